"""The refusal codes per protocol family (S3's REST-XML has no live service yet)."""

from __future__ import annotations

import pytest

from cloudlet.aws.auth import refusal


@pytest.mark.parametrize(
    "kind, protocol, code, status, query_code",
    [
        ("missing", "query", "MissingAuthenticationToken", 403, None),
        ("missing", "json", "MissingAuthenticationTokenException", 403, "MissingAuthenticationToken"),
        ("missing", "rest-xml", "AccessDenied", 403, None),
        ("unknown-key", "query", "InvalidClientTokenId", 403, None),
        ("unknown-key", "rest-json", "UnrecognizedClientException", 403, "InvalidClientTokenId"),
        ("unknown-key", "rest-xml", "InvalidAccessKeyId", 403, None),
        ("mismatch", "smithy-rpc-v2-cbor", "InvalidSignatureException", 403, "SignatureDoesNotMatch"),
        ("mismatch", "rest-xml", "SignatureDoesNotMatch", 403, None),
        ("expired", "query", "SignatureDoesNotMatch", 403, None),
        ("expired", "rest-xml", "RequestTimeTooSkewed", 403, None),
        ("not-yet-current", "json", "InvalidSignatureException", 403, "SignatureDoesNotMatch"),
        ("presign-expired", "query", "RequestExpired", 400, None),
        ("presign-expired", "rest-xml", "AccessDenied", 403, None),
        ("expired-token", "query", "ExpiredToken", 403, None),
        ("expired-token", "json", "ExpiredTokenException", 403, "ExpiredToken"),
        ("expired-token", "rest-xml", "ExpiredToken", 400, None),
        ("incomplete", "query", "IncompleteSignature", 400, None),
        ("payload", "rest-xml", "XAmzContentSHA256Mismatch", 400, None),
        ("scope", "rest-xml", "AuthorizationHeaderMalformed", 400, None),
    ],
)
def test_refusal_codes(kind, protocol, code, status, query_code):
    err = refusal(kind, protocol, "detail")
    assert (err.code, err.status, err.query_code) == (code, status, query_code)
    assert err.message


def test_fixed_messages():
    assert refusal("missing", "query").message == "Request is missing Authentication Token"
    assert refusal("missing", "json").message == "Missing Authentication Token"
    assert refusal("unknown-key", "query").message == "The security token included in the request is invalid."
    assert (
        refusal("expired-token", "query").message == "The security token included in the request is expired"
    )
    assert refusal("presign-expired", "rest-xml").message == "Request has expired"
