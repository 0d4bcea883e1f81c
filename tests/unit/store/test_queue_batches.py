"""The batches `Queue.send` makes: ten messages at most, and at most SQS's 256 KiB in all."""

from __future__ import annotations

from billing.store.repository import SQS_BATCH_BYTES, _send_batches


def test_small_messages_go_ten_to_a_batch_in_order() -> None:
    bodies = [f"m{n}" for n in range(23)]
    batches = list(_send_batches(bodies))
    assert [len(b) for b in batches] == [10, 10, 3]
    assert [body for batch in batches for body in batch] == bodies


def test_large_messages_share_a_batch_only_within_its_size_limit() -> None:
    large = "x" * (100 * 1024)
    bodies = [large, large, large, "small", large]
    batches = list(_send_batches(bodies))
    assert [len(b) for b in batches] == [2, 3]
    assert [body for batch in batches for body in batch] == bodies
    assert all(sum(len(body.encode()) for body in batch) <= SQS_BATCH_BYTES for batch in batches)


def test_sizes_are_counted_in_utf8_bytes() -> None:
    wide = "é" * (SQS_BATCH_BYTES // 4)  # half the limit in bytes, a quarter in characters
    assert [len(b) for b in _send_batches([wide, wide, wide])] == [2, 1]


def test_nothing_to_send_makes_no_batch() -> None:
    assert list(_send_batches([])) == []
