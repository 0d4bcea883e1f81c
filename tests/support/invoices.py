"""A finalized invoice as the PDF renderer receives it (wire shape with party snapshots)."""

from __future__ import annotations

from typing import Any

SAMPLE_INVOICE: dict[str, Any] = {
    "number": "DEMO-0007",
    "status": "paid",
    "currency": "eur",
    "createdAt": "2026-11-01T09:00:00Z",
    "finalizedAt": "2026-11-01T09:00:00Z",
    "periodStart": "2026-11-01T09:00:00Z",
    "periodEnd": "2026-12-01T09:00:00Z",
    "seller": {
        "name": "Demo Co",
        "legalName": "Demo Co GmbH",
        "address": {"line1": "Friedrichstraße 1", "city": "Berlin", "postalCode": "10117", "country": "DE"},
        "taxId": "DE136695976",
    },
    "customerDetails": {
        "name": "Ada Lovelace <script>x</script>",
        "email": "ada@example.com",
        "address": {"line1": "12 St James's Square", "city": "London", "postalCode": "SW1Y 4JH", "country": "GB"},
        "taxIds": [{"type": "gb_vat", "value": "980780684"}],
    },
    "lines": [
        {
            "description": "Pro plan × 3 seats",
            "periodStart": "2026-11-01T09:00:00Z",
            "periodEnd": "2026-12-01T09:00:00Z",
            "quantity": 3,
            "unitAmount": 2900,
            "amount": 8700,
        },
        {
            "description": "Unused time on Basic after 15 Nov 2026",
            "periodStart": "2026-11-15T00:00:00Z",
            "periodEnd": "2026-12-01T09:00:00Z",
            "quantity": 1,
            "unitAmount": None,
            "amount": -533,
        },
    ],
    "subtotal": 8167,
    "discount": 1633,
    "discountName": "SAVE20 (20% off)",
    "tax": 1241,
    "taxName": "USt. 19%",
    "total": 7775,
    "amountPaid": 7775,
    "amountDue": 0,
}
SAMPLE_BRANDING = {
    "accentColor": "#0B6E4F",
    "supportUrl": "https://demo.example/support",
    "termsUrl": "https://demo.example/terms",
}
