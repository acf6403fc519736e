"""The DynamoDB Streams API with boto3: ListStreams and DescribeStream paging, every shard iterator
type, GetRecords paging and limits, iterator expiry, shard rolls, stream disable/re-enable, retention,
and the errors AWS answers (code and HTTP status)."""

import base64
import datetime as dt
import time

import pytest
from botocore.exceptions import ClientError
from ddb_helpers import error
from ddbstreams_helpers import make_table, raw_client, read_shard, read_stream, shard_ids, stream_durations
from polling import Window, wait_for


def put_keys(ddb, keys, table="tbl"):
    for key in keys:
        ddb.put_item(TableName=table, Item={"pk": {"S": key}})


def keys_of(records):
    return [r["dynamodb"]["Keys"]["pk"]["S"] for r in records]


def iterator(streams, arn, shard, kind, **kwargs):
    return streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType=kind, **kwargs)["ShardIterator"]


def test_list_streams_with_table_filter_and_paging(cloudlet):
    ddb, streams = cloudlet.client("dynamodb"), cloudlet.client("dynamodbstreams")
    arns = sorted(make_table(ddb, name)["LatestStreamArn"] for name in ("t-a", "t-b", "t-c"))
    make_table(ddb, "no-stream", view=None)
    listed = streams.list_streams()
    assert [s["StreamArn"] for s in listed["Streams"]] == arns and "LastEvaluatedStreamArn" not in listed
    assert listed["Streams"][0]["TableName"] == "t-a"
    assert listed["Streams"][0]["StreamLabel"] == arns[0].rsplit("/", 1)[1]
    first = streams.list_streams(Limit=2)
    assert [s["StreamArn"] for s in first["Streams"]] == arns[:2]
    assert first["LastEvaluatedStreamArn"] == arns[1]
    rest = streams.list_streams(Limit=2, ExclusiveStartStreamArn=first["LastEvaluatedStreamArn"])
    assert [s["StreamArn"] for s in rest["Streams"]] == arns[2:] and "LastEvaluatedStreamArn" not in rest
    assert [s["StreamArn"] for s in streams.list_streams(TableName="t-b")["Streams"]] == [arns[1]]
    assert streams.list_streams(TableName="no-stream")["Streams"] == []
    with pytest.raises(ClientError) as excinfo:
        streams.list_streams(TableName="never-was")
    assert error(excinfo) == ("ResourceNotFoundException", "Requested resource not found: Table: never-was not found", 400)


def test_describe_stream(cloudlet):
    ddb, streams = cloudlet.client("dynamodb"), cloudlet.client("dynamodbstreams")
    table = make_table(ddb, view="NEW_IMAGE", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                                                         {"AttributeName": "sk", "KeyType": "RANGE"}],
                       AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                             {"AttributeName": "sk", "AttributeType": "N"}])
    arn = table["LatestStreamArn"]
    description = streams.describe_stream(StreamArn=arn)["StreamDescription"]
    assert description["StreamArn"] == arn and description["StreamLabel"] == table["LatestStreamLabel"]
    assert description["StreamStatus"] == "ENABLED" and description["StreamViewType"] == "NEW_IMAGE"
    assert description["TableName"] == "tbl"
    assert description["KeySchema"] == [{"AttributeName": "pk", "KeyType": "HASH"},
                                        {"AttributeName": "sk", "KeyType": "RANGE"}]
    assert abs(description["CreationRequestDateTime"].timestamp() - time.time()) < 60
    [shard] = description["Shards"]
    assert shard["ShardId"].startswith("shardId-") and 28 <= len(shard["ShardId"]) <= 65
    assert "ParentShardId" not in shard and "EndingSequenceNumber" not in shard["SequenceNumberRange"]
    ddb.put_item(TableName="tbl", Item={"pk": {"S": "a"}, "sk": {"N": "1"}})
    [record] = read_stream(streams, arn)
    assert record["dynamodb"]["SequenceNumber"] == shard["SequenceNumberRange"]["StartingSequenceNumber"]
    assert record["dynamodb"]["Keys"] == {"pk": {"S": "a"}, "sk": {"N": "1"}}


def test_iterator_types(cloudlet):
    ddb, streams = cloudlet.client("dynamodb"), cloudlet.client("dynamodbstreams")
    arn = make_table(ddb)["LatestStreamArn"]
    [shard] = shard_ids(streams, arn)
    latest_before = iterator(streams, arn, shard, "LATEST")
    put_keys(ddb, ["a", "b", "c"])
    time.sleep(1.1)  # AT_TIMESTAMP below falls between b and d by whole seconds
    cut = dt.datetime.now(dt.UTC)
    put_keys(ddb, ["d"])
    records = read_shard(streams, arn, shard)
    assert keys_of(records) == ["a", "b", "c", "d"]
    seq = [r["dynamodb"]["SequenceNumber"] for r in records]
    assert keys_of(streams.get_records(ShardIterator=latest_before)["Records"]) == ["a", "b", "c", "d"]
    latest = iterator(streams, arn, shard, "LATEST")
    assert streams.get_records(ShardIterator=latest)["Records"] == []
    put_keys(ddb, ["e"])
    assert keys_of(streams.get_records(ShardIterator=latest)["Records"]) == ["e"]
    assert keys_of(read_shard(streams, arn, shard, "AT_SEQUENCE_NUMBER", SequenceNumber=seq[1])) == ["b", "c", "d", "e"]
    assert keys_of(read_shard(streams, arn, shard, "AFTER_SEQUENCE_NUMBER", SequenceNumber=seq[1])) == ["c", "d", "e"]
    assert keys_of(read_shard(streams, arn, shard, "AFTER_SEQUENCE_NUMBER", SequenceNumber=seq[3])) == ["e"]
    assert keys_of(read_shard(streams, arn, shard, "AT_TIMESTAMP", Timestamp=cut)) == ["d", "e"]
    assert keys_of(read_shard(streams, arn, shard, "AT_TIMESTAMP", Timestamp=cut - dt.timedelta(hours=1))) == [
        "a", "b", "c", "d", "e"]


def test_get_records_paging_and_limits(cloudlet):
    ddb, streams = cloudlet.client("dynamodb"), cloudlet.client("dynamodbstreams")
    arn = make_table(ddb, view="KEYS_ONLY")["LatestStreamArn"]
    [shard] = shard_ids(streams, arn)
    put_keys(ddb, [f"k{i}" for i in range(7)])
    it = iterator(streams, arn, shard, "TRIM_HORIZON")
    pages = []
    while True:
        page = streams.get_records(ShardIterator=it, Limit=3)
        if not page["Records"]:
            break
        pages.append(keys_of(page["Records"]))
        it = page["NextShardIterator"]
    assert pages == [["k0", "k1", "k2"], ["k3", "k4", "k5"], ["k6"]]
    # an open shard always hands back a next iterator, also when nothing is new
    assert "NextShardIterator" in streams.get_records(ShardIterator=it)
    for bad in (0, 1001):
        with pytest.raises(ClientError) as excinfo:
            raw_client(cloudlet).get_records(ShardIterator=it, Limit=bad)
        code, message, status = error(excinfo)
        assert (code, status) == ("ValidationException", 400) and "limit" in message


def test_get_records_returns_at_most_about_one_megabyte(cloudlet):
    ddb, streams = cloudlet.client("dynamodb"), cloudlet.client("dynamodbstreams")
    arn = make_table(ddb, view="NEW_IMAGE")["LatestStreamArn"]
    [shard] = shard_ids(streams, arn)
    for i in range(4):
        ddb.put_item(TableName="tbl", Item={"pk": {"S": f"k{i}"}, "blob": {"B": bytes(350_000)}})
    page = streams.get_records(ShardIterator=iterator(streams, arn, shard, "TRIM_HORIZON"))
    assert keys_of(page["Records"]) == ["k0", "k1"]
    assert sum(r["dynamodb"]["SizeBytes"] for r in page["Records"]) <= 1024 * 1024
    assert keys_of(streams.get_records(ShardIterator=page["NextShardIterator"])["Records"]) == ["k2", "k3"]


TTL = 1.0  # a shortened iterator lifetime, and the roll interval of shards (seconds)


def test_iterators_expire(cloudlet):
    ddb, streams = cloudlet.client("dynamodb"), cloudlet.client("dynamodbstreams")
    arn = make_table(ddb)["LatestStreamArn"]
    [shard] = shard_ids(streams, arn)
    put_keys(ddb, ["a"])
    with stream_durations(cloudlet, iterator_ttl=TTL):
        window = Window(TTL)
        with window.inside("reading with a fresh iterator"):
            it = iterator(streams, arn, shard, "TRIM_HORIZON")
            page = streams.get_records(ShardIterator=it)  # fresh: fine, and hands back a fresh one
        time.sleep(TTL + 0.1)  # both were handed out before now
        for stale in (it, page["NextShardIterator"]):
            with pytest.raises(ClientError) as excinfo:
                streams.get_records(ShardIterator=stale)
            code, _, status = error(excinfo)
            assert (code, status) == ("ExpiredIteratorException", 400)
        fresh = iterator(streams, arn, shard, "TRIM_HORIZON")
        assert keys_of(streams.get_records(ShardIterator=fresh)["Records"]) == ["a"]


def test_errors(cloudlet):
    ddb, streams = cloudlet.client("dynamodb"), cloudlet.client("dynamodbstreams")
    arn = make_table(ddb)["LatestStreamArn"]
    [shard] = shard_ids(streams, arn)
    put_keys(ddb, ["a", "b"])
    missing = arn.replace("/tbl/", "/nope/")

    def expect(call, code, message=None, **kwargs):
        with pytest.raises(ClientError) as excinfo:
            call(**kwargs)
        got_code, got_message, status = error(excinfo)
        assert (got_code, status) == (code, 400), got_message
        if message is not None:
            assert got_message == message

    not_found = f"Requested resource not found: Stream: {missing} not found"
    expect(streams.describe_stream, "ResourceNotFoundException", not_found, StreamArn=missing)
    expect(streams.get_shard_iterator, "ResourceNotFoundException", not_found, StreamArn=missing, ShardId=shard,
           ShardIteratorType="LATEST")
    expect(streams.describe_stream, "ValidationException", StreamArn="arn:aws:dynamodb:us-east-1:000000000000:table/tbl")
    expect(streams.get_shard_iterator, "ResourceNotFoundException",
           "Requested resource not found: Shard does not exist",
           StreamArn=arn, ShardId="shardId-00000000000000000099-00000000", ShardIteratorType="LATEST")
    expect(streams.get_shard_iterator, "ValidationException", StreamArn=arn, ShardId=shard,
           ShardIteratorType="AT_SEQUENCE_NUMBER")
    expect(streams.get_shard_iterator, "ValidationException", StreamArn=arn, ShardId=shard,
           ShardIteratorType="AFTER_SEQUENCE_NUMBER", SequenceNumber="999999999999999999999999")
    expect(streams.get_shard_iterator, "ValidationException", StreamArn=arn, ShardId=shard,
           ShardIteratorType="AT_SEQUENCE_NUMBER", SequenceNumber="not-a-number-at-all-xx")
    expect(streams.get_shard_iterator, "ValidationException", StreamArn=arn, ShardId=shard,
           ShardIteratorType="AT_TIMESTAMP")
    good = iterator(streams, arn, shard, "TRIM_HORIZON")
    for token in (b"[1, 2, 3]", b'"abcdef"', b"\xff\xfe", b'["000000000000", "x", "y", 99999999999999999999999, 0, 0]',
                  b'["000000000000", "x", "y", -1, 0, 0]', b"{}"):
        bad = arn + "|1|" + base64.urlsafe_b64encode(token).decode()
        expect(streams.get_records, "ValidationException", "Invalid ShardIterator", ShardIterator=bad)
    for bad in ("garbage", arn + "|1|!!!", arn + "|1|" + "A" * 40, good.replace(arn, arn + "x")):
        expect(streams.get_records, "ValidationException" if "x|" not in bad else "ResourceNotFoundException",
               ShardIterator=bad)
    expect(streams.describe_stream, "ValidationException", StreamArn=arn, Limit=101)
    expect(streams.list_streams, "ValidationException", Limit=101)
    expect(streams.describe_stream, "ValidationException", StreamArn=arn, ShardFilter={"Type": "CHILD_SHARDS"})
    # bad requests change nothing: the stream reads as before
    assert keys_of(read_stream(streams, arn)) == ["a", "b"]


def test_invalid_iterator_type_is_rejected_by_the_model(cloudlet):
    arn = make_table(cloudlet.client("dynamodb"))["LatestStreamArn"]
    with pytest.raises(ClientError) as excinfo:
        raw_client(cloudlet).get_shard_iterator(StreamArn=arn, ShardId="shardId-00000000000000000001-00000000",
                                  ShardIteratorType="SOMEWHERE")
    code, message, status = error(excinfo)
    assert (code, status) == ("ValidationException", 400) and "shardIteratorType" in message


def test_shards_roll_and_closed_shards_end(cloudlet):
    ddb, streams = cloudlet.client("dynamodb"), cloudlet.client("dynamodbstreams")
    window = Window(TTL)  # the first shard opens with the table
    arn = make_table(ddb)["LatestStreamArn"]
    with stream_durations(cloudlet, shard_roll=TTL, sweep_interval=60) as service:
        with window.inside("writing a and b into the first shard"):
            put_keys(ddb, ["a", "b"])
        time.sleep(TTL + 0.1)
        put_keys(ddb, ["c"])  # the first write after the interval opens the next shard
        shards = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
        assert len(shards) == 2
        first, second = shards
        assert second["ParentShardId"] == first["ShardId"]
        assert "EndingSequenceNumber" not in second["SequenceNumberRange"]
        records = read_stream(streams, arn)
        assert keys_of(records) == ["a", "b", "c"]
        assert first["SequenceNumberRange"]["EndingSequenceNumber"] == records[1]["dynamodb"]["SequenceNumber"]
        assert second["SequenceNumberRange"]["StartingSequenceNumber"] == records[2]["dynamodb"]["SequenceNumber"]
        with pytest.raises(ClientError) as excinfo:  # c's number belongs to the second shard
            iterator(streams, arn, first["ShardId"], "AT_SEQUENCE_NUMBER", SequenceNumber=records[2]["dynamodb"]["SequenceNumber"])
        assert error(excinfo)[0::2] == ("ValidationException", 400)
        # a closed shard read to its end hands back no next iterator
        page = streams.get_records(ShardIterator=iterator(streams, arn, first["ShardId"], "TRIM_HORIZON"))
        assert keys_of(page["Records"]) == ["a", "b"] and "NextShardIterator" not in page
        page = streams.get_records(ShardIterator=iterator(streams, arn, first["ShardId"], "LATEST"))
        assert page["Records"] == [] and "NextShardIterator" not in page
        children = streams.describe_stream(StreamArn=arn, ShardFilter={"Type": "CHILD_SHARDS", "ShardId": first["ShardId"]})
        assert [s["ShardId"] for s in children["StreamDescription"]["Shards"]] == [second["ShardId"]]
        # the background sweep rolls idle shards too
        service.configure(sweep_interval=0.05)
        wait_for(lambda: len(shard_ids(streams, arn)) >= 4, what="the sweep rolling idle shards")
        shards = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
        assert len(shards) >= 4
        for parent, child in zip(shards, shards[1:], strict=False):
            assert child["ParentShardId"] == parent["ShardId"]
            assert int(child["SequenceNumberRange"]["StartingSequenceNumber"]) > int(
                parent["SequenceNumberRange"]["EndingSequenceNumber"])
        service.configure(shard_roll=3600)
        page = streams.describe_stream(StreamArn=arn, Limit=2)["StreamDescription"]
        assert [s["ShardId"] for s in page["Shards"]] == [s["ShardId"] for s in shards[:2]]
        rest = streams.describe_stream(StreamArn=arn, ExclusiveStartShardId=page["LastEvaluatedShardId"])
        assert [s["ShardId"] for s in rest["StreamDescription"]["Shards"]][:2] == [s["ShardId"] for s in shards[2:4]]
        assert keys_of(read_stream(streams, arn)) == ["a", "b", "c"]


def test_disable_and_reenable(cloudlet):
    ddb, streams = cloudlet.client("dynamodb"), cloudlet.client("dynamodbstreams")
    old_arn = make_table(ddb, view="KEYS_ONLY")["LatestStreamArn"]
    put_keys(ddb, ["a"])
    ddb.update_table(TableName="tbl", StreamSpecification={"StreamEnabled": False})
    put_keys(ddb, ["not-recorded"])
    old = streams.describe_stream(StreamArn=old_arn)["StreamDescription"]
    assert old["StreamStatus"] == "DISABLED"
    [shard] = old["Shards"]
    assert "EndingSequenceNumber" in shard["SequenceNumberRange"]
    assert keys_of(read_stream(streams, old_arn)) == ["a"]
    time.sleep(0.002)  # a new label needs a new millisecond
    new_arn = ddb.update_table(TableName="tbl", StreamSpecification={
        "StreamEnabled": True, "StreamViewType": "NEW_IMAGE"})["TableDescription"]["LatestStreamArn"]
    assert new_arn != old_arn
    put_keys(ddb, ["b"])
    new = streams.describe_stream(StreamArn=new_arn)["StreamDescription"]
    assert new["StreamStatus"] == "ENABLED" and new["StreamViewType"] == "NEW_IMAGE"
    assert keys_of(read_stream(streams, new_arn)) == ["b"]
    assert keys_of(read_stream(streams, old_arn)) == ["a"]
    assert sorted(s["StreamArn"] for s in streams.list_streams(TableName="tbl")["Streams"]) == sorted([old_arn, new_arn])


def test_deleting_the_table_disables_its_stream(cloudlet):
    ddb, streams = cloudlet.client("dynamodb"), cloudlet.client("dynamodbstreams")
    arn = make_table(ddb)["LatestStreamArn"]
    put_keys(ddb, ["a"])
    ddb.delete_table(TableName="tbl")
    description = streams.describe_stream(StreamArn=arn)["StreamDescription"]
    assert description["StreamStatus"] == "DISABLED"
    assert keys_of(read_stream(streams, arn)) == ["a"]
    # a new table of the same name gets a stream of its own
    time.sleep(0.002)
    new_arn = make_table(ddb)["LatestStreamArn"]
    put_keys(ddb, ["b"])
    assert new_arn != arn and keys_of(read_stream(streams, new_arn)) == ["b"]
    assert keys_of(read_stream(streams, arn)) == ["a"]


def test_retention_trims_old_records(cloudlet):
    ddb, streams = cloudlet.client("dynamodb"), cloudlet.client("dynamodbstreams")
    arn = make_table(ddb)["LatestStreamArn"]
    [shard] = shard_ids(streams, arn)
    put_keys(ddb, ["a", "b"])
    first = read_shard(streams, arn, shard)
    stale = iterator(streams, arn, shard, "AFTER_SEQUENCE_NUMBER", SequenceNumber=first[0]["dynamodb"]["SequenceNumber"])
    with stream_durations(cloudlet, retention=0.3, sweep_interval=0.05):
        wait_for(lambda: not read_shard(streams, arn, shard), what="the sweep trimming a and b")
    put_keys(ddb, ["c"])
    assert keys_of(read_shard(streams, arn, shard)) == ["c"]
    with pytest.raises(ClientError) as excinfo:
        streams.get_records(ShardIterator=stale)
    assert error(excinfo)[0::2] == ("TrimmedDataAccessException", 400)
    for kind in ("AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER"):
        with pytest.raises(ClientError) as excinfo:
            streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType=kind,
                                       SequenceNumber=first[0]["dynamodb"]["SequenceNumber"])
        assert error(excinfo)[0::2] == ("TrimmedDataAccessException", 400)
    # the last trimmed record is still a valid starting point: nothing after it was lost
    after_b = iterator(streams, arn, shard, "AFTER_SEQUENCE_NUMBER", SequenceNumber=first[1]["dynamodb"]["SequenceNumber"])
    assert keys_of(streams.get_records(ShardIterator=after_b)["Records"]) == ["c"]


def test_disabled_streams_vanish_after_retention(cloudlet):
    ddb, streams = cloudlet.client("dynamodb"), cloudlet.client("dynamodbstreams")
    arn = make_table(ddb)["LatestStreamArn"]
    put_keys(ddb, ["a"])
    ddb.delete_table(TableName="tbl")
    with stream_durations(cloudlet, retention=0.2, sweep_interval=0.05):
        wait_for(lambda: not streams.list_streams()["Streams"], what="the sweep forgetting the stream")
    assert streams.list_streams()["Streams"] == []
    with pytest.raises(ClientError) as excinfo:
        streams.describe_stream(StreamArn=arn)
    assert error(excinfo)[0::2] == ("ResourceNotFoundException", 400)


def test_streams_api_as_the_first_call_of_a_fresh_server(tmp_path):
    from cloudlet.testing.pytest_plugin import CloudletHandle, start_server

    server = start_server(data_dir=str(tmp_path))
    try:
        streams = CloudletHandle(server).client("dynamodbstreams")
        with pytest.raises(ClientError) as excinfo:
            streams.list_streams(TableName="never-was")
        assert error(excinfo)[0::2] == ("ResourceNotFoundException", 400)
    finally:
        server.stop()
