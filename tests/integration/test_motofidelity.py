"""The local stack's moto keeps what DynamoDB would: nothing more (local/motofidelity.py)."""

from __future__ import annotations

from typing import Any, cast

from moto.core.model_instances import model_data

from billing.store.repository import Put, Table
from tests.conftest import Stack


def tracked() -> int:
    return sum(len(cast(Any, model).instances_tracked) for model in model_data["dynamodb"].values())


def test_a_transaction_leaves_no_copy_of_the_table_behind(stack: Stack) -> None:
    # Given a table of 200 items
    table = Table()
    for n in range(200):
        table.put({"pk": f"LEAK#{n}", "sk": "A", "n": n})
    # When 20 transactions run (each rolls back from a copy of the whole table, when one fails)
    before = tracked()
    for n in range(20):
        table.transact([Put({"pk": f"NEW#{n}", "sk": "A"}), Put({"pk": f"NEW#{n}", "sk": "B"})])
    # Then moto tracks no copy of the table or its items: a handful of objects, not 20 × 200
    assert tracked() - before < 200, tracked() - before
    assert table.get("NEW#19", "B") == {"pk": "NEW#19", "sk": "B"}
