"""Which requests the edge hands to the function URL server."""

from __future__ import annotations

from cloudlet.aws.http import HttpRequest
from cloudlet.services.lambda_.url_routing import is_function_url, locate

URL_ID = "a" * 32


def request(path: str = "/", host: str = "127.0.0.1:4566") -> HttpRequest:
    return HttpRequest("GET", path, headers={"host": host})


def test_host_form():
    req = request("/x/y", f"{URL_ID}.lambda-url.eu-west-1.localhost:4566")
    assert is_function_url(req)
    assert locate(req) == (URL_ID, "/x/y", "eu-west-1")


def test_path_form():
    req = request(f"/_cloudlet/lambda-url/{URL_ID}/x%20y")
    assert is_function_url(req)
    assert locate(req) == (URL_ID, "/x%20y", None)
    assert locate(request(f"/_cloudlet/lambda-url/{URL_ID}")) == (URL_ID, "/", None)


def test_other_hosts_stay_with_the_apis():
    assert not is_function_url(request("/bucket/key"))
    assert not is_function_url(request("/", "my.lambda-url.data.s3.localhost:4566"))  # an S3 bucket's host
    assert not is_function_url(request("/_cloudlet/lambda/metering"))
