"""rest-json, rest-xml and rpc-v2-cbor end to end: boto3 -> HTTP -> a live server -> small
stand-in services (defined here, registered for this module's server only) -> boto3."""

from __future__ import annotations

import datetime as dt

import pytest
from botocore.config import Config as BotoConfig
from botocore.exceptions import ClientError

from cloudlet.aws.errors import AWSError
from cloudlet.services import REGISTRY
from cloudlet.services.base import Service
from cloudlet.testing.pytest_plugin import CloudletHandle, start_server

STAMP = dt.datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=dt.UTC)


class StandInLambda(Service):
    name = "lambda"

    def get_function_configuration(self, ctx, params: dict) -> dict:
        if params["FunctionName"] == "missing":
            raise AWSError(
                "ResourceNotFoundException", "Function not found: missing", fields={"Type": "User"}
            )
        return {"FunctionName": params["FunctionName"], "MemorySize": 256, "Timeout": 3}

    def invoke(self, ctx, params: dict) -> dict:
        return {"StatusCode": 200, "Payload": params.get("Payload", b""), "ExecutedVersion": "$LATEST"}


class StandInS3(Service):
    name = "s3"
    objects: dict = {}

    def put_object(self, ctx, params: dict) -> dict:
        self.objects[(params["Bucket"], params["Key"])] = (
            params.get("Body", b""),
            params.get("Metadata", {}),
        )
        return {"ETag": '"etag"'}

    def get_object(self, ctx, params: dict) -> dict:
        found = self.objects.get((params["Bucket"], params["Key"]))
        if found is None:
            raise AWSError("NoSuchKey", "The specified key does not exist.")
        body, metadata = found
        return {"Body": body, "ContentLength": len(body), "Metadata": metadata, "LastModified": STAMP}

    def head_object(self, ctx, params: dict) -> dict:
        found = self.objects.get((params["Bucket"], params["Key"]))
        if found is None:
            raise AWSError("NoSuchKey", "The specified key does not exist.")
        return {"ContentLength": len(found[0]), "ETag": '"etag"'}

    def list_buckets(self, ctx, params: dict) -> dict:
        return {"Buckets": [{"Name": "photos", "CreationDate": STAMP}], "Owner": {"ID": "me"}}

    def get_bucket_location(self, ctx, params: dict) -> dict:
        return {"LocationConstraint": "eu-west-1"}

    def create_bucket(self, ctx, params: dict) -> dict:
        location = params.get("CreateBucketConfiguration", {}).get("LocationConstraint", "none")
        return {"Location": f"/{params['Bucket']}-{location}"}


class StandInCloudWatch(Service):
    name = "cloudwatch"
    received: list = []

    def put_metric_data(self, ctx, params: dict) -> dict:
        self.received.append(params)
        return {}

    def get_metric_statistics(self, ctx, params: dict) -> dict:
        return {
            "Label": params["MetricName"],
            "Datapoints": [{"Timestamp": STAMP, "Average": 1.5, "Unit": "Seconds"}],
        }

    def delete_dashboards(self, ctx, params: dict) -> dict:
        raise AWSError("DashboardNotFoundError", "Dashboard does not exist.")


@pytest.fixture(scope="module")
def stand_in():
    with pytest.MonkeyPatch.context() as patch:  # services load lazily: keep it for the module
        for name, cls in [("lambda", StandInLambda), ("s3", StandInS3), ("cloudwatch", StandInCloudWatch)]:
            patch.setitem(REGISTRY, name, f"{__name__}:{cls.__name__}")
        server = start_server()
        try:
            yield CloudletHandle(server)
        finally:
            server.stop()


def _client(handle: CloudletHandle, service: str):
    return handle.client(service, config=BotoConfig(retries={"max_attempts": 1}))


def test_rest_json_round_trip_and_modeled_error(stand_in) -> None:
    lam = _client(stand_in, "lambda")
    config = lam.get_function_configuration(FunctionName="f")
    assert (config["FunctionName"], config["MemorySize"], config["Timeout"]) == ("f", 256, 3)
    out = lam.invoke(FunctionName="f", Payload=b'{"x": 1}')
    assert out["StatusCode"] == 200 and out["Payload"].read() == b'{"x": 1}'
    with pytest.raises(lam.exceptions.ResourceNotFoundException) as info:
        lam.get_function_configuration(FunctionName="missing")
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert info.value.response["Type"] == "User"


def test_rest_xml_round_trip_headers_and_errors(stand_in) -> None:
    s3 = _client(stand_in, "s3")
    s3.put_object(Bucket="photos", Key="a/b c.txt", Body=b"hello", Metadata={"owner": "me"})
    got = s3.get_object(Bucket="photos", Key="a/b c.txt")
    assert got["Body"].read() == b"hello"
    assert got["Metadata"] == {"owner": "me"}
    assert got["LastModified"] == STAMP.replace(microsecond=0)
    head = s3.head_object(Bucket="photos", Key="a/b c.txt")
    assert (head["ContentLength"], head["ETag"]) == (5, '"etag"')
    assert s3.list_buckets()["Buckets"][0]["Name"] == "photos"
    created = s3.create_bucket(Bucket="new", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    assert created["Location"] == "/new-eu-west-1"
    assert s3.get_bucket_location(Bucket="new")["LocationConstraint"] == "eu-west-1"
    with pytest.raises(s3.exceptions.NoSuchKey) as info:
        s3.get_object(Bucket="photos", Key="nope")
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert info.value.response["ResponseMetadata"]["RequestId"]
    with pytest.raises(ClientError) as info:
        s3.head_object(Bucket="photos", Key="nope")
    assert info.value.response["Error"]["Code"] == "404"
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_cbor_round_trip_and_query_compatible_error(stand_in) -> None:
    cw = _client(stand_in, "cloudwatch")
    cw.put_metric_data(
        Namespace="app",
        MetricData=[{"MetricName": "latency", "Value": 12.5, "Timestamp": STAMP, "Unit": "Seconds"}],
    )
    received = StandInCloudWatch.received[-1]["MetricData"][0]
    assert (received["Value"], received["Timestamp"]) == (12.5, STAMP)
    stats = cw.get_metric_statistics(
        Namespace="app",
        MetricName="latency",
        StartTime=STAMP,
        EndTime=STAMP,
        Period=60,
        Statistics=["Average"],
    )
    assert stats["Datapoints"] == [{"Timestamp": STAMP, "Average": 1.5, "Unit": "Seconds"}]
    with pytest.raises(ClientError) as info:  # two shapes share the code ResourceNotFound
        cw.delete_dashboards(DashboardNames=["d"])
    assert info.value.response["Error"]["Code"] == "ResourceNotFound"
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
