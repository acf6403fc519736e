"""SQS's migration to integer-keyed messages keeps every stored message, in order."""

from __future__ import annotations

from cloudlet.services.sqs.messages import decode_handle, encode_handle
from cloudlet.services.sqs.schema import MIGRATIONS
from cloudlet.store.sqlite import SqliteStore

OLD_COLUMNS = "mid, qid, seq, body, md5_body, sent_ms, visible_ms, recv_count, token"


def test_messages_stored_before_the_migration_keep_their_ids_bodies_and_order(tmp_path):
    store = SqliteStore(tmp_path)
    try:
        store.migrate("sqs", MIGRATIONS[:2])  # the schema keyed by message id
        with store.tx() as conn:
            conn.executemany(
                f"INSERT INTO sqs_messages ({OLD_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [("m-second", 7, 20, "b", "md5b", 1, 1, 0, None), ("m-first", 7, 10, "a", "md5a", 1, 1, 2, "t")],
            )
            conn.execute("INSERT INTO sqs_receive_attempts (qid, attempt, taken, expires_ms) VALUES (7, 'x', '[]', 9)")
        store.migrate("sqs", MIGRATIONS)
        with store.read() as conn:
            rows = conn.all("SELECT id, mid, body, recv_count, token FROM sqs_messages ORDER BY id")
            assert rows == [(1, "m-first", "a", 2, "t"), (2, "m-second", "b", 0, None)]
            assert conn.all("SELECT COUNT(*) FROM sqs_receive_attempts") == [(0,)]
            indexes = {r[0] for r in conn.all("SELECT name FROM sqlite_master WHERE tbl_name = 'sqs_messages'"
                                              " AND type = 'index'")}
            assert indexes == {"sqs_messages_visible", "sqs_messages_group"}  # none of the message id any more
        with store.tx() as conn:  # new rows get the next keys
            conn.execute(f"INSERT INTO sqs_messages ({OLD_COLUMNS}) VALUES ('m-third', 7, 30, 'c', 'x', 1, 1, 0, NULL)")
            assert conn.scalar("SELECT id FROM sqs_messages WHERE mid = 'm-third'") == 3
    finally:
        store.close()


def test_receipt_handles_carry_the_integer_key_and_refuse_anything_else():
    import pytest

    from cloudlet.aws.errors import AWSError

    assert decode_handle(encode_handle(12, 345, "tok")) == (12, 345, "tok")
    old_style = encode_handle(12, "0f1e2d3c-message-id", "tok")  # type: ignore[arg-type]
    with pytest.raises(AWSError) as err:
        decode_handle(old_style)
    assert err.value.code == "ReceiptHandleIsInvalid"
