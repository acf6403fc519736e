"""SQS's query-protocol wire names, which the current json model no longer carries.

Older SDKs speak the query protocol to SQS (`Attribute.1.Name`, `MessageAttribute.1.Value.StringValue`,
`SendMessageBatchRequestEntry.1.Id`, `<QueueUrl>` elements ...). The names below are those of SQS's
query model; the query protocol module reads them for both parsing and serializing.
"""

from __future__ import annotations

from cloudlet.aws.protocols.query import register_wire_names

WIRE_NAMES: dict[str, object] = {
    # members renamed on the wire
    "CreateQueueRequest.Attributes": "Attribute",
    "CreateQueueRequest.tags": "Tag",
    "SetQueueAttributesRequest.Attributes": "Attribute",
    "GetQueueAttributesResult.Attributes": "Attribute",
    "ListQueueTagsResult.Tags": "Tag",
    "TagQueueRequest.Tags": "Tag",
    "Message.Attributes": "Attribute",
    "Message.MessageAttributes": "MessageAttribute",
    "SendMessageRequest.MessageAttributes": "MessageAttribute",
    "SendMessageRequest.MessageSystemAttributes": "MessageSystemAttribute",
    "SendMessageBatchRequestEntry.MessageAttributes": "MessageAttribute",
    "SendMessageBatchRequestEntry.MessageSystemAttributes": "MessageSystemAttribute",
    "MessageAttributeValue.StringListValues": "StringListValue",
    "MessageAttributeValue.BinaryListValues": "BinaryListValue",
    "MessageSystemAttributeValue.StringListValues": "StringListValue",
    "MessageSystemAttributeValue.BinaryListValues": "BinaryListValue",
    "ListDeadLetterSourceQueuesResult.queueUrls": "QueueUrl",
    # element names of flattened lists
    "AWSAccountIdList": "AWSAccountId",
    "ActionNameList": "ActionName",
    "AttributeNameList": "AttributeName",
    "MessageSystemAttributeList": "MessageSystemAttributeName",
    "MessageAttributeNameList": "MessageAttributeName",
    "QueueUrlList": "QueueUrl",
    "TagKeyList": "TagKey",
    "MessageList": "Message",
    "BatchResultErrorEntryList": "BatchResultErrorEntry",
    "SendMessageBatchRequestEntryList": "SendMessageBatchRequestEntry",
    "SendMessageBatchResultEntryList": "SendMessageBatchResultEntry",
    "DeleteMessageBatchRequestEntryList": "DeleteMessageBatchRequestEntry",
    "DeleteMessageBatchResultEntryList": "DeleteMessageBatchResultEntry",
    "ChangeMessageVisibilityBatchRequestEntryList": "ChangeMessageVisibilityBatchRequestEntry",
    "ChangeMessageVisibilityBatchResultEntryList": "ChangeMessageVisibilityBatchResultEntry",
    "ListMessageMoveTasksResultEntryList": "ListMessageMoveTasksResultEntry",
    # flattened maps: (entry element, key element, value element)
    "QueueAttributeMap": ("Attribute", "Name", "Value"),
    "MessageSystemAttributeMap": ("Attribute", "Name", "Value"),
    "MessageBodyAttributeMap": ("MessageAttribute", "Name", "Value"),
    "MessageBodySystemAttributeMap": ("MessageSystemAttribute", "Name", "Value"),
    "TagMap": ("Tag", "Key", "Value"),
}


def register() -> None:
    register_wire_names("sqs", WIRE_NAMES)


register()
