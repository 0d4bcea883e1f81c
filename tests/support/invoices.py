"""A finalized invoice as the PDF renderer receives it (the record, with its party snapshots),
and a brand to render it in."""

from __future__ import annotations

from billing.accounts.records import Branding
from billing.invoicing.records import Invoice, InvoiceLine

SAMPLE_INVOICE = Invoice(
    id="inv_demo7",
    number="DEMO-0007",
    customer="cust_demo",
    subscription="sub_demo",
    status="paid",
    currency="eur",
    lines=(
        InvoiceLine(
            id="il_demo1",
            description="Pro plan × 3 seats",
            amount=8700,
            quantity=3,
            unit_amount=2900,
            price="price_pro",
            period_start="2026-11-01T09:00:00Z",
            period_end="2026-12-01T09:00:00Z",
            proration=False,
            discount_amount=1633,
            tax_amount=1241,
        ),
        InvoiceLine(
            id="il_demo2",
            description="Unused time on Basic after 15 Nov 2026",
            amount=-533,
            quantity=1,
            unit_amount=None,
            price="price_basic",
            period_start="2026-11-15T00:00:00Z",
            period_end="2026-12-01T09:00:00Z",
            proration=True,
            discount_amount=0,
            tax_amount=0,
        ),
    ),
    discount_name="SAVE20 (20% off)",
    tax_name="USt. 19%",
    tax_inclusive=False,
    reverse_charge_note=None,
    applied_credit=0,
    amount_paid=7775,
    amount_remaining=0,
    period_start="2026-11-01T09:00:00Z",
    period_end="2026-12-01T09:00:00Z",
    created_at="2026-11-01T09:00:00Z",
    finalized_at="2026-11-01T09:00:00Z",
    paid_at="2026-11-01T09:00:00Z",
    attempt_count=1,
    last_payment_error=None,
    seller={
        "name": "Demo Co",
        "legalName": "Demo Co GmbH",
        "address": {"line1": "Friedrichstraße 1", "city": "Berlin", "postalCode": "10117", "country": "DE"},
        "taxId": "DE136695976",
    },
    customer_details={
        "name": "Ada Lovelace <script>x</script>",
        "email": "ada@example.com",
        "address": {"line1": "12 St James's Square", "city": "London", "postalCode": "SW1Y 4JH", "country": "GB"},
        "taxIds": [{"type": "gb_vat", "value": "980780684"}],
    },
    version=1,
)
SAMPLE_BRANDING = Branding(
    accent_color="#0B6E4F",
    support_url="https://demo.example/support",
    terms_url="https://demo.example/terms",
)
