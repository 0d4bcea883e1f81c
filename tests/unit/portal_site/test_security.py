"""The portal's Content-Security-Policy on the pages with the payment gateway's fields
(`portal_site.security.with_gateway`): Stripe's own origins by default, one origin for
localstripe, added to the page's policy without loosening anything else."""

from __future__ import annotations

import pytest

from billing.kernel.config import ConfigurationError
from tests.support.functions import import_function_module

security = import_function_module("portal", "portal_site.security")


def directives(policy: str) -> dict[str, list[str]]:
    return {name: values for name, *values in (part.split() for part in policy.split(";"))}


def test_stripes_own_origins_by_default() -> None:
    sources = security.gateway_sources("https://js.stripe.com/v3/", None)
    found = directives(security.with_gateway(security.CSP, sources))
    assert found["script-src"] == ["'self'", "https://js.stripe.com", "https://*.js.stripe.com"]
    assert found["frame-src"] == ["https://js.stripe.com", "https://*.js.stripe.com", "https://hooks.stripe.com"]
    assert found["connect-src"] == ["'self'", "https://api.stripe.com"]
    # And the rest of the portal's policy as it was
    assert {name: found[name] for name in directives(security.CSP)} == directives(security.CSP)


def test_a_fake_gateway_on_one_origin_is_named_alone() -> None:
    sources = security.gateway_sources("http://127.0.0.1:8420/js.stripe.com/v3/", "http://127.0.0.1:8420")
    found = directives(security.with_gateway(security.CSP, sources))
    assert found["script-src"] == ["'self'", "http://127.0.0.1:8420"]
    assert found["frame-src"] == ["http://127.0.0.1:8420"]
    assert found["connect-src"] == ["'self'", "http://127.0.0.1:8420"]
    assert "https://js.stripe.com" not in security.with_gateway(security.CSP, sources)


def test_the_pages_own_additions_are_kept_and_nothing_is_named_twice() -> None:
    page = security.page_csp(script_sha256="abc=", form_redirect_to="https://app.example.com/account")
    sources = security.gateway_sources("https://js.stripe.com/v3/", None)
    found = directives(security.with_gateway(security.with_gateway(page, sources), sources))
    assert found["script-src"] == ["'sha256-abc='", "'self'", "https://js.stripe.com", "https://*.js.stripe.com"]
    assert found["form-action"] == ["'self'", "https://app.example.com"]
    assert found["connect-src"] == ["'self'", "https://api.stripe.com"]


@pytest.mark.parametrize("url", ["javascript:alert(1)", "js.stripe.com/v3/", "https://js.stripe.com extra/"])
def test_a_gateway_url_that_is_not_an_origin_is_a_configuration_error(url: str) -> None:
    with pytest.raises(ConfigurationError):
        security.gateway_sources(url, None)
