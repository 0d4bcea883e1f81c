"""What a cold start imports: each handler in a fresh interpreter, as Lambda loads it, leaves out
what only some requests need (they import it when they come; `make bench`'s `import_time`
measures the rest)."""

from __future__ import annotations

import pytest

from tests.support.functions import cold_start_json


def cold_start_modules(function: str, module: str = "app") -> set[str]:
    code = f"import json, sys\nimport {module}\nprint(json.dumps(sorted(sys.modules)))\n"
    return set(cold_start_json(function, code))


@pytest.mark.parametrize(
    ("function", "module", "present", "absent"),
    [
        (
            "api",
            "app",
            {"merchant_api.routes.meta", "billing.accounts.accounts", "pydantic"},
            # the route modules, Powertools' OpenAPI models (the document only), the gateway's crypto
            {"merchant_api.routes.customers", "aws_lambda_powertools.event_handler.openapi.models", "cryptography"},
        ),
        (
            "portal",
            "app",
            {"portal_site.pages", "billing.portal.portalsessions"},
            # the parts of the portal, Jinja2 (the first page), the catalogs' tools (another language)
            {"portal_site.payment_methods", "portal_site.signin", "jinja2", "babel.messages", "cryptography"},
        ),
        # a run with nothing due reads the due work only
        (
            "clock",
            "app",
            {"billing.subscriptions.store"},
            {"billing.invoicing.invoices", "billing.subscriptions.collection"},
        ),
        # an event that makes no email reads no account, customer or email record
        ("fanout", "app", {"billing.webhooks.deliveries"}, {"billing.customers.customers", "billing.emails.store"}),
        # an email reads its invoice's link, never the invoice service; its brand, never what
        # validates a branding; no customer or list code; money's formatting, not its fractions
        (
            "mailer",
            "app",
            {"billing.invoicing.hostedinvoices", "billing.accounts.brandreads"},
            {
                "billing.invoicing.invoices",
                "billing.accounts.branding",
                "billing.accounts.domains",
                "billing.customers.store",
                "billing.store.listing",
                "fractions",
            },
        ),
    ],
)
def test_a_cold_start_leaves_out_what_only_some_requests_need(
    function: str, module: str, present: set[str], absent: set[str]
) -> None:
    loaded = cold_start_modules(function, module)
    assert present <= loaded, sorted(present - loaded)
    assert not absent & loaded, sorted(absent & loaded)


HANDLERS = [
    ("api", "app"),
    ("portal", "app"),
    ("clock", "app"),
    ("fanout", "app"),
    ("deliver", "app"),
    ("mailer", "app"),
    ("mailer", "feedback"),
    ("invoicepdf", "app"),
]


@pytest.mark.parametrize(("function", "module"), HANDLERS)
def test_a_cold_start_imports_without_collecting_and_freezes_what_it_made(function: str, module: str) -> None:
    """`billing.kernel.coldstart`: no collection runs while the handler imports (what Python's
    startup collected before is the baseline), the collector is on afterwards, and what the
    imports made is frozen, so no collection after scans it either."""
    code = (
        "import gc, json\n"
        "before = [s['collections'] for s in gc.get_stats()]\n"
        f"import {module}\n"
        "after = [s['collections'] for s in gc.get_stats()]\n"
        "print(json.dumps({'collections': [a - b for a, b in zip(after, before)],"
        " 'enabled': gc.isenabled(), 'frozen': gc.get_freeze_count()}))\n"
    )
    found = cold_start_json(function, code)
    assert found["enabled"]
    # (the few before the pause: importing the billing package and the coldstart module)
    assert sum(found["collections"]) <= 5, found
    assert found["collections"][2] == 0, found
    assert found["frozen"] > 20_000, found
