"""When a hosted invoice link lapses: 30 days after the invoice was settled or finalized,
whichever is later; never while it is open; a draft has no link."""

from __future__ import annotations

from datetime import timedelta

from msgspec.structs import replace

from billing.invoicing import hostedlinks
from billing.kernel import clock
from tests.support.invoices import SAMPLE_INVOICE

FINALIZED = "2026-11-01T09:00:00Z"


def test_an_open_invoice_never_lapses_and_a_draft_has_no_link() -> None:
    invoice = replace(SAMPLE_INVOICE, status="open", finalized_at=FINALIZED, paid_at=None)
    assert hostedlinks.lapses_at(invoice) is None
    assert not hostedlinks.lapsed(invoice, clock.from_wire(FINALIZED) + timedelta(days=3650))
    draft = replace(SAMPLE_INVOICE, status="draft", finalized_at=None)
    assert not hostedlinks.has_link(draft) and hostedlinks.lapses_at(draft) is None


def test_a_paid_invoice_lapses_30_days_after_it_was_paid() -> None:
    paid = replace(SAMPLE_INVOICE, status="paid", finalized_at=FINALIZED, paid_at="2026-11-20T09:00:00Z")
    assert hostedlinks.lapses_at(paid) == clock.from_wire("2026-12-20T09:00:00Z")
    assert not hostedlinks.lapsed(paid, clock.from_wire("2026-12-20T08:59:59Z"))
    assert hostedlinks.lapsed(paid, clock.from_wire("2026-12-20T09:00:00Z"))


def test_a_voided_invoice_lapses_from_when_it_was_voided_or_else_finalized() -> None:
    voided = replace(
        SAMPLE_INVOICE, status="void", finalized_at=FINALIZED, paid_at=None, closed_at="2026-11-05T00:00:00Z"
    )
    assert hostedlinks.lapses_at(voided) == clock.from_wire("2026-12-05T00:00:00Z")
    # (voided before the moment was kept: from its finalization)
    older = replace(voided, closed_at=None)
    assert hostedlinks.lapses_at(older) == clock.from_wire(FINALIZED) + timedelta(days=30)


def test_an_uncollectible_invoice_paid_later_lapses_from_its_payment() -> None:
    paid_late = replace(
        SAMPLE_INVOICE,
        status="paid",
        finalized_at=FINALIZED,
        closed_at="2026-11-10T00:00:00Z",
        paid_at="2026-12-24T00:00:00Z",
    )
    assert hostedlinks.lapses_at(paid_late) == clock.from_wire("2027-01-23T00:00:00Z")


def test_well_formed_tokens() -> None:
    assert hostedlinks.well_formed("A" * 43) and hostedlinks.well_formed("a-_" + "b" * 40)
    for bad in ("A" * 42, "A" * 44, "A" * 42 + "/", "A" * 42 + "é", ""):
        assert not hostedlinks.well_formed(bad)
