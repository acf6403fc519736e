"""The restXml protocol (S3, Route 53, CloudFront): REST routes and XML bodies."""

from __future__ import annotations

from functools import lru_cache

from botocore.model import OperationModel, ServiceModel, Shape

from cloudlet.aws import ids
from cloudlet.aws.errors import AWSError
from cloudlet.aws.http import HttpResponse
from cloudlet.aws.protocols.common import ResolvedError
from cloudlet.aws.protocols.rest import RestProtocol
from cloudlet.aws.xml import (
    element,
    escape,
    namespace_attr,
    parse_document,
    read_members,
    read_value,
    write_attributes,
    write_members,
)

DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'

# Root element names AWS uses for S3 outputs that have no payload member (the model does not say).
S3_ROOTS = {
    "ListBuckets": "ListAllMyBucketsResult",
    "ListDirectoryBuckets": "ListAllMyDirectoryBucketsResult",
    "ListObjects": "ListBucketResult",
    "ListObjectsV2": "ListBucketResult",
    "ListObjectVersions": "ListVersionsResult",
    "ListMultipartUploads": "ListMultipartUploadsResult",
    "ListParts": "ListPartsResult",
    "CreateMultipartUpload": "InitiateMultipartUploadResult",
    "CompleteMultipartUpload": "CompleteMultipartUploadResult",
    "DeleteObjects": "DeleteResult",
    "GetBucketAcl": "AccessControlPolicy",
    "GetObjectAcl": "AccessControlPolicy",
    "GetBucketTagging": "Tagging",
    "GetObjectTagging": "Tagging",
    "GetBucketVersioning": "VersioningConfiguration",
    "GetBucketCors": "CORSConfiguration",
    "GetBucketLifecycleConfiguration": "LifecycleConfiguration",
    "GetBucketNotificationConfiguration": "NotificationConfiguration",
    "GetBucketWebsite": "WebsiteConfiguration",
    "GetBucketLogging": "BucketLoggingStatus",
    "GetBucketAccelerateConfiguration": "AccelerateConfiguration",
    "GetBucketRequestPayment": "RequestPaymentConfiguration",
    "GetObjectAttributes": "GetObjectAttributesOutput",
    "GetBucketLocation": "LocationConstraint",
}


@lru_cache(maxsize=64)
def service_namespace(service: ServiceModel) -> str:
    """The XML namespace of a rest-xml service, from its metadata or its shapes' xmlNamespace."""
    namespace = service.metadata.get("xmlNamespace")
    if namespace:
        return namespace if isinstance(namespace, str) else namespace.get("uri", "")
    for name in service.operation_names:
        shape = service.operation_model(name).input_shape
        if shape is None:
            continue
        candidates = [shape, *shape.members.values()]
        for candidate in candidates:
            ns = candidate.serialization.get("xmlNamespace")
            if ns:
                return ns if isinstance(ns, str) else ns.get("uri", "")
    return f"https://{service.endpoint_prefix}.amazonaws.com/doc/{service.api_version}/"


class RestXmlProtocol(RestProtocol):
    name = "rest-xml"
    content_type = "application/xml"

    def request_id_headers(self, service: ServiceModel, ctx) -> dict[str, str]:
        request_id = ctx.request_id if ctx else ""
        if service.service_name == "s3":
            return {"x-amz-request-id": request_id, "x-amz-id-2": ids.hex_id(24)}
        return {"x-amzn-RequestId": request_id}

    def bad_value(self, service: ServiceModel, err: AWSError) -> AWSError:
        # S3 calls a value it cannot read an InvalidArgument; the other rest-xml services InvalidInput.
        code = "InvalidArgument" if service.service_name == "s3" else "InvalidInput"
        return AWSError(code, err.message, 400)

    def decode_body(self, shape: Shape, body: bytes, members: list[str] | None) -> dict:
        root = parse_document(body)
        return read_value(shape, root) if members is None else read_members(shape, root)

    def encode_body(
        self, shape: Shape, value: dict, members: list[str] | None, op: OperationModel | None
    ) -> bytes:
        if members is None:
            root = shape.serialization.get("name") or shape.name
            inner = write_members(shape, value) if shape.type_name == "structure" else ""
            attrs = namespace_attr(shape) or self._xmlns(op)
            attrs += write_attributes(shape, value, attrs) if shape.type_name == "structure" else ""
            return (DECLARATION + element(root, inner, attrs)).encode()
        service = op.service_model if op else None
        root = (
            shape.serialization.get("name")
            or (S3_ROOTS.get(op.name) if service and service.service_name == "s3" else None)
            or (f"{op.name}Result" if op else shape.name)
        )
        if op is not None and op.name == "GetBucketLocation" and service.service_name == "s3":
            # S3 answers the location as the text of the root element itself.
            text = escape(str(value.get("LocationConstraint") or ""))
            return (DECLARATION + element(root, text, self._xmlns(op))).encode()
        return (DECLARATION + element(root, write_members(shape, value), self._xmlns(op))).encode()

    @staticmethod
    def _xmlns(op: OperationModel | None) -> str:
        return f' xmlns="{escape(service_namespace(op.service_model))}"' if op is not None else ""

    def error_response(
        self, service: ServiceModel, error: ResolvedError, message: str, ctx, resp: HttpResponse
    ) -> None:
        resp.headers["Content-Type"] = self.content_type
        fields = {k: v for k, v in error.fields.items() if k not in ("Message", "message", "Code")}
        extra = write_members(error.shape, fields) if error.shape is not None else ""
        members = error.shape.members if error.shape is not None else {}
        # Details no shape models (S3's BucketName, Key, Resource ...) go in as plain elements.
        extra += "".join(
            element(k, escape(str(v))) for k, v in fields.items() if k not in members and v is not None
        )
        request_id = ctx.request_id if ctx else ""
        if service.service_name == "s3":
            body = element(
                "Error",
                element("Code", escape(error.code))
                + element("Message", escape(message))
                + extra
                + element("RequestId", request_id)
                + element("HostId", resp.headers.get("x-amz-id-2", "")),
            )
        else:
            inner = (
                element("Type", "Sender" if error.sender_fault else "Receiver")
                + element("Code", escape(error.code))
                + element("Message", escape(message))
                + extra
            )
            body = element(
                "ErrorResponse",
                element("Error", inner) + element("RequestId", request_id),
                f' xmlns="{escape(service_namespace(service))}"',
            )
        resp.body = (DECLARATION + body).encode()


PROTOCOL = RestXmlProtocol()
