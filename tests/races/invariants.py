"""What must hold in an account's table whatever raced: read from the table itself."""

from __future__ import annotations

from collections import Counter
from typing import Any

from billing.kernel.scope import Scope
from billing.subscriptions import store, subscriptions
from tests.conftest import Stack
from tests.support.tablestate import snapshot

WIRE_FIELDS = ("status", "items", "currentPeriodStart", "currentPeriodEnd", "cancelAtPeriodEnd", "latestInvoice")


def _events(items: list[dict[str, Any]], object_id: str) -> list[dict[str, Any]]:
    found = [
        i["event"] for i in items if i.get("type") == "event" and i["event"]["data"]["object"].get("id") == object_id
    ]
    return sorted(found, key=lambda e: str(e["id"]))


def check_invoices(stack: Stack, scope: Scope) -> list[dict[str, Any]]:
    """Gapless numbers given once each; totals that are their lines' sums; one set of events each."""
    items = [i for i in snapshot(stack).values() if str(i["pk"]).startswith(scope.key())]
    invoices = [i for i in items if i.get("type") == "invoice"]
    numbers = sorted(int(str(i["number"]).rsplit("-", 1)[1]) for i in invoices)
    assert numbers == list(range(1, len(invoices) + 1)), f"invoice numbers {numbers}"
    counter = next(i for i in items if i["sk"] == "INVOICE_NUMBER")
    assert counter["last"] == len(invoices)
    for invoice in invoices:
        lines = invoice["lines"]
        assert sum(line["amount"] for line in lines) == invoice["subtotal"], invoice["id"]
        assert sum(line["discountAmount"] for line in lines) == invoice["discount"], invoice["id"]
        assert sum(line["taxAmount"] for line in lines) == invoice["tax"], invoice["id"]
        tax = 0 if invoice["taxInclusive"] else invoice["tax"]
        assert invoice["total"] == invoice["subtotal"] - invoice["discount"] + tax, invoice["id"]
        assert invoice["amountDue"] == max(invoice["total"], 0) - invoice["appliedCredit"], invoice["id"]
        if invoice["status"] == "paid":
            assert invoice["amountPaid"] == invoice["amountDue"] and invoice["amountRemaining"] == 0
        kinds = Counter(e["type"] for e in _events(items, invoice["id"]))
        assert kinds["invoice.created"] == 1 and kinds["invoice.finalized"] == 1, (invoice["id"], kinds)
        assert kinds["invoice.paid"] + kinds["invoice.payment_failed"] >= 1, (invoice["id"], kinds)
    return invoices


def check_subscription(stack: Stack, scope: Scope, sub_id: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """One event per committed version, and the last event says what the subscription is now."""
    items = list(snapshot(stack).values())
    pk, sk = store.sub_key(scope, sub_id)
    sub = next(i for i in items if i["pk"] == pk and i["sk"] == sk)
    events = _events(items, sub_id)
    kinds = Counter(e["type"] for e in events)
    assert kinds["subscription.created"] == 1, kinds
    changes = [e for e in events if e["type"] != "subscription.created"]
    assert len(changes) == sub["version"] - 1, f"version {sub['version']}, change events {kinds}"
    last = events[-1]["data"]["object"]
    now = subscriptions.to_wire(store.from_item(sub), scope)
    assert {f: last[f] for f in WIRE_FIELDS} == {f: now[f] for f in WIRE_FIELDS}
    invoice_ids = {i["id"] for i in items if i.get("type") == "invoice"}
    assert sub["latestInvoice"] in invoice_ids
    return sub, changes
