"""SigV4 verification against botocore's own signers as the oracle, and tampering refusals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import quote, urlsplit

import pytest
from botocore.auth import S3SigV4Auth, S3SigV4QueryAuth, SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from hypothesis import given, settings
from hypothesis import strategies as st

from cloudlet.aws import sigv4
from cloudlet.aws.http import HttpRequest

CREDS = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
TOKEN_CREDS = Credentials("ASIAEXAMPLE", "secret/with+chars", "session-token-value")


def as_received(request: AWSRequest) -> HttpRequest:
    """The request as the server sees it: raw path and query, lower-case headers, Host added."""
    prepared = request.prepare()
    url = urlsplit(prepared.url)
    headers: dict[str, str] = {"host": url.netloc}
    for name, value in prepared.headers.items():
        value = value.decode("latin-1") if isinstance(value, bytes) else value
        headers[name.lower()] = value
    body = prepared.body or b""
    if isinstance(body, str):
        body = body.encode()
    return HttpRequest(prepared.method, url.path or "/", url.query, headers, body)


def verify(req: HttpRequest, secret: str = CREDS.secret_key, s3: bool = False) -> sigv4.Signature:
    sig = sigv4.parse(req)
    assert sig is not None
    sigv4.check_time(sig)
    sigv4.verify(req, sig, secret, s3=s3)
    return sig


segment = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=12).filter(
    lambda s: s not in (".", "..")
)
query_pairs = st.lists(
    st.tuples(st.sampled_from(["a", "b", "key", "Key", "x y", "ü", "k~", "_"]), st.text(max_size=8)),
    max_size=6,
)
bodies = st.binary(max_size=64)
methods = st.sampled_from(["GET", "POST", "PUT", "DELETE"])


def build(method, segments, pairs, body, host="127.0.0.1:4566", extra_headers=None) -> AWSRequest:
    path = "/" + "/".join(quote(s, safe="~") for s in segments)
    query = "&".join(f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}" for k, v in pairs)
    url = f"http://{host}{path}" + (f"?{query}" if query else "")
    headers = {"Content-Type": "application/x-amz-json-1.0", "X-Custom": "  a   b  "}
    headers.update(extra_headers or {})
    return AWSRequest(method=method, url=url, headers=headers, data=body)


@settings(max_examples=150, deadline=None)
@given(methods, st.lists(segment, max_size=4), query_pairs, bodies)
def test_header_signature_matches_botocore(method, segments, pairs, body):
    request = build(method, segments, pairs, body)
    SigV4Auth(CREDS, "sqs", "eu-west-1").add_auth(request)
    sig = verify(as_received(request))
    assert sig.scope == sigv4.CredentialScope("AKIDEXAMPLE", sig.amz_date[:8], "eu-west-1", "sqs")
    assert not sig.presigned


@settings(max_examples=100, deadline=None)
@given(methods, st.lists(segment, max_size=4), query_pairs, bodies)
def test_s3_header_signature_matches_botocore(method, segments, pairs, body):
    request = build(method, segments, pairs, body)
    S3SigV4Auth(CREDS, "s3", "us-east-1").add_auth(request)
    verify(as_received(request), s3=True)


@settings(max_examples=100, deadline=None)
@given(st.lists(segment, max_size=4), query_pairs)
def test_presigned_matches_botocore(segments, pairs):
    request = build("GET", segments, pairs, b"")
    SigV4QueryAuth(TOKEN_CREDS, "sts", "us-east-1", expires=300).add_auth(request)
    sig = verify(as_received(request), secret=TOKEN_CREDS.secret_key)
    assert sig.presigned and sig.expires == 300 and sig.security_token == "session-token-value"


@settings(max_examples=100, deadline=None)
@given(st.lists(segment, max_size=4), query_pairs)
def test_s3_presigned_matches_botocore(segments, pairs):
    request = build("GET", segments, pairs, b"")
    S3SigV4QueryAuth(CREDS, "s3", "us-east-1", expires=60).add_auth(request)
    verify(as_received(request), s3=True)


def test_params_form_and_dot_segments():
    request = AWSRequest(
        method="GET",
        url="http://h/a/./b/../c//d/",
        params=[("z", "1"), ("a", "two words"), ("a", ""), ("m", "ü/+")],
    )
    SigV4Auth(CREDS, "lambda", "us-east-1").add_auth(request)
    verify(as_received(request))


def test_security_token_header_is_read():
    request = build("POST", ["x"], [], b"{}")
    SigV4Auth(TOKEN_CREDS, "sts", "us-east-1").add_auth(request)
    assert verify(as_received(request), TOKEN_CREDS.secret_key).security_token == "session-token-value"


def signed_request(s3: bool = False) -> HttpRequest:
    request = build("POST", ["q", "name with space"], [("a", "1"), ("a", "0")], b'{"k":"v"}')
    (S3SigV4Auth(CREDS, "s3", "us-east-1") if s3 else SigV4Auth(CREDS, "sqs", "us-east-1")).add_auth(request)
    return as_received(request)


def flip(text: str, index: int) -> str:
    ch = text[index]
    return text[:index] + ("B" if ch != "B" else "C") + text[index + 1 :]


def other_second(amz_date: str) -> str:
    return amz_date[:14] + ("1" if amz_date[14] != "1" else "2") + amz_date[15:]


@pytest.mark.parametrize(
    "tamper",
    [
        lambda r: setattr(r, "body", r.body[:-1] + b"X"),
        lambda r: setattr(r, "path", flip(r.path, 1)),
        lambda r: setattr(r, "query_string", r.query_string.replace("a=0", "a=2")),
        lambda r: setattr(r, "method", "PUT"),
        lambda r: r.headers.__setitem__("host", "127.0.0.1:4567"),
        lambda r: r.headers.__setitem__("x-custom", "a c"),
        lambda r: r.headers.__setitem__("x-amz-date", other_second(r.headers["x-amz-date"])),
        lambda r: r.headers.__setitem__(
            "authorization",
            r.headers["authorization"][:-1] + ("0" if r.headers["authorization"][-1] != "0" else "1"),
        ),
    ],
    ids=["body", "path", "query", "method", "host", "header", "date", "signature"],
)
def test_one_changed_byte_is_refused(tamper):
    req = signed_request()
    verify(req)
    tamper(req)
    req.__dict__.pop("query_dict", None)
    req.__dict__.pop("query", None)
    with pytest.raises(sigv4.SignatureError) as info:
        verify(req)
    assert info.value.kind == "mismatch"


def test_wrong_secret_is_refused():
    with pytest.raises(sigv4.SignatureError) as info:
        verify(signed_request(), secret="not-the-secret")
    assert info.value.kind == "mismatch"
    assert info.value.message.startswith("The request signature we calculated does not match")


def test_s3_body_must_match_declared_hash():
    req = signed_request(s3=True)
    verify(req, s3=True)
    req.body = b'{"k":"w"}'
    with pytest.raises(sigv4.SignatureError) as info:
        verify(req, s3=True)
    assert info.value.kind == "payload"


def test_unsigned_payload_only_for_s3():
    request = build("PUT", ["obj"], [], b"data", extra_headers={"X-Amz-Content-SHA256": "UNSIGNED-PAYLOAD"})
    SigV4Auth(CREDS, "s3", "us-east-1").add_auth(request)
    req = as_received(request)
    verify(req, s3=True)
    req.body = b"other"
    verify(req, s3=True)  # S3 allows an unsigned payload
    with pytest.raises(sigv4.SignatureError):
        verify(req, s3=False)  # other services always sign the body


def test_clock_skew_both_ways():
    req = signed_request()
    sig = sigv4.parse(req)
    signed_at = datetime.strptime(sig.amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    sigv4.check_time(sig, signed_at + timedelta(minutes=14))
    sigv4.check_time(sig, signed_at - timedelta(minutes=14))
    with pytest.raises(sigv4.SignatureError) as info:
        sigv4.check_time(sig, signed_at + timedelta(minutes=16))
    assert info.value.kind == "expired"
    assert info.value.message.startswith(f"Signature expired: {sig.amz_date} is now earlier than ")
    assert info.value.message.endswith(" - 15 min.)")
    with pytest.raises(sigv4.SignatureError) as info:
        sigv4.check_time(sig, signed_at - timedelta(minutes=16))
    assert info.value.kind == "not-yet-current"
    assert "+ 15 min.)" in info.value.message


def test_presigned_expiry():
    request = build("GET", ["x"], [], b"")
    SigV4QueryAuth(CREDS, "sts", "us-east-1", expires=30).add_auth(request)
    sig = sigv4.parse(as_received(request))
    signed_at = datetime.strptime(sig.amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    sigv4.check_time(sig, signed_at + timedelta(seconds=30))
    with pytest.raises(sigv4.SignatureError) as info:
        sigv4.check_time(sig, signed_at + timedelta(seconds=31))
    assert info.value.kind == "presign-expired"


def test_scope_date_must_match_request_date():
    req = signed_request()
    auth = req.headers["authorization"]
    date = req.headers["x-amz-date"][:8]
    req.headers["authorization"] = auth.replace(f"/{date}/", "/20200101/")
    with pytest.raises(sigv4.SignatureError) as info:
        sigv4.check_time(sigv4.parse(req))
    assert info.value.kind == "scope"
    assert "Date in Credential scope does not match" in info.value.message


def test_scope_service_and_region():
    sig = sigv4.parse(signed_request())
    sigv4.check_scope(sig, "sqs")
    with pytest.raises(sigv4.SignatureError, match="scoped to correct service: 'sts'"):
        sigv4.check_scope(sig, "sts")


@pytest.mark.parametrize(
    "header",
    [
        "AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/sqs/aws4_request, SignedHeaders=host",
        "AWS4-HMAC-SHA256 Signature=abc, SignedHeaders=host",
        "AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/sqs/wrong, SignedHeaders=host, Signature=ab",
        "AWS4-HMAC-SHA1 Credential=AKID/20240101/us-east-1/sqs/aws4_request, SignedHeaders=host, Signature=ab",
    ],
)
def test_malformed_authorization_is_incomplete(header):
    req = HttpRequest(
        "GET", "/", "", {"host": "h", "authorization": header, "x-amz-date": "20240101T000000Z"}
    )
    with pytest.raises(sigv4.SignatureError) as info:
        sigv4.parse(req)
    assert info.value.kind == "incomplete"


def test_presigned_expires_bounds():
    base = (
        "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F20240101%2Fus-east-1%2Fsts%2Faws4_request"
        "&X-Amz-Date=20240101T000000Z&X-Amz-SignedHeaders=host&X-Amz-Signature=ab"
    )
    for expires in ("0", "604801", "x"):
        with pytest.raises(sigv4.SignatureError):
            sigv4.parse(HttpRequest("GET", "/", base + f"&X-Amz-Expires={expires}", {"host": "h"}))
    assert (
        sigv4.parse(HttpRequest("GET", "/", base + "&X-Amz-Expires=604800", {"host": "h"})).expires == 604800
    )


def test_signing_key_is_cached_per_scope():
    sigv4.signing_key.cache_clear()
    for _ in range(3):
        sigv4.verify(signed_request(), sigv4.parse(signed_request()), CREDS.secret_key)
    info = sigv4.signing_key.cache_info()
    assert info.misses == 1 and info.hits >= 2


@pytest.mark.parametrize(
    "value",
    ["2026010T235959Z", "20260101T2359590", "20261301T000000Z", "20260101T 00000Z", "٢٠٢٦0101T000000Z", ""],
)
def test_malformed_request_date_is_incomplete(value):
    sig = sigv4.Signature(
        sigv4.CredentialScope("AKID", value[:8], "us-east-1", "sqs"),
        value,
        ("host",),
        "ab",
        False,
        None,
        None,
    )
    with pytest.raises(sigv4.SignatureError) as info:
        sigv4.check_time(sig)
    assert info.value.kind == "incomplete"


def test_date_header_is_accepted_instead_of_x_amz_date():
    request = build("POST", ["x"], [], b"{}", extra_headers={"Date": "Thu, 01 Jan 2026 00:00:00 GMT"})
    SigV4Auth(CREDS, "sqs", "us-east-1").add_auth(request)
    req = as_received(request)
    assert "x-amz-date" not in req.headers
    sig = sigv4.parse(req)
    assert sig.amz_date[:8] == sig.scope.date
    sigv4.verify(req, sig, CREDS.secret_key)


@pytest.mark.parametrize(
    "authorization, expected",
    [
        (
            "AWS4-HMAC-SHA256 Credential=AKID/20261127/eu-west-1/sqs/aws4_request, "
            "SignedHeaders=host;x-amz-date, Signature=00",
            ("AKID", "20261127", "eu-west-1", "sqs"),
        ),
        ("AWS4-HMAC-SHA256 Credential=AKID/d/r/s/aws4_request", ("AKID", "d", "r", "s")),
        ("AWS4-HMAC-SHA256 SignedHeaders=host, Credential=K/d/r/s/aws4_request", ("K", "d", "r", "s")),
        ("AWS4-HMAC-SHA256 Credential=a/b/c/d/e, Credential=x/y/z/w/v", ("x", "y", "z", "w")),
        ("AWS4-HMAC-SHA256 Credential=AKID/d/r/aws4_request, Signature=00", None),
        ("AWS4-HMAC-SHA256 Credential=, Signature=00", None),
        ("AWS4-HMAC-SHA256", None),
    ],
)
def test_credential_scope_is_read_from_any_layout_of_the_header(authorization, expected):
    scope = sigv4.credential_scope(HttpRequest("POST", "/", headers={"authorization": authorization}))
    assert (scope and (scope.access_key, scope.date, scope.region, scope.service)) == expected


def test_credential_scope_of_a_presigned_query():
    req = HttpRequest(
        "GET", "/", query_string="X-Amz-Credential=AKID%2Fd%2Fr%2Fs3%2Faws4_request&X-Amz-Signature=0"
    )
    assert sigv4.credential_scope(req) == sigv4.CredentialScope("AKID", "d", "r", "s3")
