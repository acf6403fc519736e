"""Dead-letter queues: redrive on the receive past maxReceiveCount, RedriveAllowPolicy,
ListDeadLetterSourceQueues, and message move tasks."""

from __future__ import annotations

import json
import time

import pytest
from polling import Window, wait_for
from sqs_helpers import make_queue, queue_attrs, raises


@pytest.fixture
def sqs(cloudlet):
    return cloudlet.client("sqs")


def arn_of(sqs, url) -> str:
    return queue_attrs(sqs, url, "QueueArn")["QueueArn"]


def redrive(dlq_arn: str, count: int) -> str:
    return json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": count})


def test_message_moves_on_the_receive_that_exceeds_max_receive_count(sqs):
    dlq = make_queue(sqs, "dlq")
    src = make_queue(sqs, "src", VisibilityTimeout=0, RedrivePolicy=redrive(arn_of(sqs, dlq), 2))
    assert json.loads(queue_attrs(sqs, src, "RedrivePolicy")["RedrivePolicy"]) == {
        "deadLetterTargetArn": arn_of(sqs, dlq),
        "maxReceiveCount": 2,
    }
    sent = sqs.send_message(QueueUrl=src, MessageBody="poison")
    for _ in range(2):
        assert sqs.receive_message(QueueUrl=src)["Messages"][0]["MessageId"] == sent["MessageId"]
    assert "Messages" not in sqs.receive_message(QueueUrl=src)  # the third receive moves it
    moved = sqs.receive_message(QueueUrl=dlq, MessageSystemAttributeNames=["All"])["Messages"][0]
    assert moved["MessageId"] == sent["MessageId"]
    assert moved["Body"] == "poison"
    assert moved["Attributes"]["DeadLetterQueueSourceArn"] == arn_of(sqs, src)
    assert moved["Attributes"]["ApproximateReceiveCount"] == "1"


def test_redrive_policy_checks(sqs):
    fifo_dlq = make_queue(sqs, "dlq.fifo", FifoQueue="true")
    missing = "arn:aws:sqs:us-east-1:000000000000:nothere"
    with raises("InvalidParameterValue"):
        make_queue(sqs, "a", RedrivePolicy=redrive(missing, 3))
    with raises("InvalidParameterValue"):
        make_queue(sqs, "b", RedrivePolicy=redrive(arn_of(sqs, fifo_dlq), 3))
    with raises("InvalidParameterValue"):
        make_queue(sqs, "c", RedrivePolicy=redrive(arn_of(sqs, fifo_dlq), 0))
    assert len(sqs.list_queues()["QueueUrls"]) == 1


def test_redrive_allow_policy(sqs):
    deny = make_queue(sqs, "deny", RedriveAllowPolicy=json.dumps({"redrivePermission": "denyAll"}))
    with raises("InvalidParameterValue"):
        make_queue(sqs, "s1", RedrivePolicy=redrive(arn_of(sqs, deny), 3))
    allowed_src = "arn:aws:sqs:us-east-1:000000000000:s2"
    by_queue = make_queue(
        sqs,
        "byq",
        RedriveAllowPolicy=json.dumps({"redrivePermission": "byQueue", "sourceQueueArns": [allowed_src]}),
    )
    make_queue(sqs, "s2", RedrivePolicy=redrive(arn_of(sqs, by_queue), 3))
    with raises("InvalidParameterValue"):
        make_queue(sqs, "s3", RedrivePolicy=redrive(arn_of(sqs, by_queue), 3))
    with raises("InvalidParameterValue"):
        make_queue(sqs, "bad", RedriveAllowPolicy=json.dumps({"redrivePermission": "byQueue"}))
    with raises("InvalidAttributeValue"):
        make_queue(sqs, "bad", RedriveAllowPolicy=json.dumps({"redrivePermission": "sometimes"}))


def test_list_dead_letter_source_queues(sqs):
    dlq = make_queue(sqs, "dlq")
    policy = redrive(arn_of(sqs, dlq), 5)
    urls = [make_queue(sqs, f"src{i}", RedrivePolicy=policy) for i in range(3)]
    make_queue(sqs, "unrelated")
    assert sqs.list_dead_letter_source_queues(QueueUrl=dlq)["queueUrls"] == urls
    page = sqs.list_dead_letter_source_queues(QueueUrl=dlq, MaxResults=2)
    assert page["queueUrls"] == urls[:2]
    rest = sqs.list_dead_letter_source_queues(QueueUrl=dlq, MaxResults=2, NextToken=page["NextToken"])
    assert rest["queueUrls"] == urls[2:] and "NextToken" not in rest
    sqs.set_queue_attributes(QueueUrl=urls[0], Attributes={"RedrivePolicy": ""})
    assert sqs.list_dead_letter_source_queues(QueueUrl=dlq)["queueUrls"] == urls[1:]


def _fill_dlq(sqs, n: int):
    dlq = make_queue(sqs, "dlq")
    src = make_queue(sqs, "src", VisibilityTimeout=0, RedrivePolicy=redrive(arn_of(sqs, dlq), 1))
    sqs.send_message_batch(QueueUrl=src, Entries=[{"Id": str(i), "MessageBody": str(i)} for i in range(n)])
    for _ in range(50):  # receive once (count 1), then the next receive moves them
        empty = "Messages" not in sqs.receive_message(QueueUrl=src, MaxNumberOfMessages=10)
        if empty and queue_attrs(sqs, dlq, "ApproximateNumberOfMessages")[
            "ApproximateNumberOfMessages"
        ] == str(n):
            break
    return src, dlq


def wait_for_status(sqs, arn, status, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = sqs.list_message_move_tasks(SourceArn=arn)["Results"][0]
        if result["Status"] == status:
            return result
        time.sleep(0.05)
    raise AssertionError(f"task did not reach {status}: {result}")


def moved_so_far(sqs, arn) -> int:
    return sqs.list_message_move_tasks(SourceArn=arn)["Results"][0]["ApproximateNumberOfMessagesMoved"]


def test_move_task_redrives_to_source(sqs):
    src, dlq = _fill_dlq(sqs, 5)
    dlq_arn = arn_of(sqs, dlq)
    handle = sqs.start_message_move_task(SourceArn=dlq_arn)["TaskHandle"]
    assert handle
    done = wait_for_status(sqs, dlq_arn, "COMPLETED")
    assert done["ApproximateNumberOfMessagesMoved"] == 5
    assert done["ApproximateNumberOfMessagesToMove"] == 5
    assert done["SourceArn"] == dlq_arn and "TaskHandle" not in done
    assert queue_attrs(sqs, src, "ApproximateNumberOfMessages")["ApproximateNumberOfMessages"] == "5"
    assert queue_attrs(sqs, dlq, "ApproximateNumberOfMessages")["ApproximateNumberOfMessages"] == "0"


def test_move_task_to_destination_with_rate_and_cancel(sqs):
    _, dlq = _fill_dlq(sqs, 6)
    dest = make_queue(sqs, "dest")
    dlq_arn, dest_arn = arn_of(sqs, dlq), arn_of(sqs, dest)
    window = Window(2.0)  # two per second: the third pair cannot move before two 1 s pauses
    handle = sqs.start_message_move_task(
        SourceArn=dlq_arn, DestinationArn=dest_arn, MaxNumberOfMessagesPerSecond=2
    )["TaskHandle"]
    with raises("InvalidParameterValue"):
        sqs.start_message_move_task(SourceArn=dlq_arn)  # one running task per source
    running = sqs.list_message_move_tasks(SourceArn=dlq_arn, MaxResults=10)["Results"][0]
    assert running["Status"] == "RUNNING" and running["TaskHandle"] == handle
    assert running["MaxNumberOfMessagesPerSecond"] == 2
    assert running["DestinationArn"] == dest_arn
    wait_for(lambda: moved_so_far(sqs, dlq_arn) >= 2, what="the first pair moved")
    moved = sqs.cancel_message_move_task(TaskHandle=handle)["ApproximateNumberOfMessagesMoved"]
    window.check("cancelling the task")
    assert 2 <= moved <= 4  # two per second, not all six at once
    cancelled = wait_for_status(sqs, dlq_arn, "CANCELLED")
    time.sleep(1.1)
    dest_count = int(queue_attrs(sqs, dest, "ApproximateNumberOfMessages")["ApproximateNumberOfMessages"])
    assert dest_count == cancelled["ApproximateNumberOfMessagesMoved"] < 6
    with raises("ResourceNotFoundException", 404, "ResourceNotFoundException"):
        sqs.cancel_message_move_task(TaskHandle=handle)


def test_move_task_errors(sqs):
    plain = make_queue(sqs, "plain")
    with raises("ResourceNotFoundException", 404):
        sqs.start_message_move_task(SourceArn="arn:aws:sqs:us-east-1:000000000000:none")
    with raises("InvalidParameterValue"):
        sqs.start_message_move_task(SourceArn=arn_of(sqs, plain))  # not a dead-letter queue
    with raises("ResourceNotFoundException", 404):
        sqs.list_message_move_tasks(SourceArn="arn:aws:sqs:us-east-1:000000000000:none")
    assert sqs.list_message_move_tasks(SourceArn=arn_of(sqs, plain))["Results"] == []
    with raises("InvalidParameterValue"):
        sqs.cancel_message_move_task(TaskHandle="bm90IGEgaGFuZGxl")
