"""`GET/POST /v1/branding` driven through the API like a merchant."""

from __future__ import annotations

import base64
import io
import re
from typing import Any

import pytest
from pypdf import PdfReader

from billing.accounts import accounts, branding
from billing.kernel.errors import Conflict
from billing.kernel.scope import Scope
from billing.store.repository import Table
from tests.conftest import Stack
from tests.support.apiclient import ApiClient
from tests.support.boundedlogos import png_of, svg_of_uses
from tests.support.livekeys import live_client
from tests.support.logos import DEFAULT_BRANDING_WIRE, SIMPLE_SVG, data_uri, png_bytes
from tests.support.shop import Shop

DEFAULTS = DEFAULT_BRANDING_WIRE


def post(merchant: ApiClient, body: dict[str, Any]) -> dict[str, Any]:
    response = merchant.post("/v1/branding", body)
    assert response.status == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


class TestBranding:
    def test_a_new_merchant_reads_the_defaults(self, merchant: ApiClient) -> None:
        response = merchant.get("/v1/branding")
        assert response.status == 200, response.text
        assert response.json() == DEFAULTS

    def test_update_is_partial_and_answers_the_wire_object(self, merchant: ApiClient) -> None:
        merchant = live_client(merchant)  # (the portal domain needs a live key)
        logo = data_uri("image/png", png_bytes())
        # When the merchant sets a logo, a colour and a link
        first = post(merchant, {"logo": logo, "accentColor": "#ffd600", "supportUrl": "https://acme.example/help"})
        # Then the answer is the stored branding, with a text colour that reads on the accent
        assert first["logo"] == logo and first["accentColor"] == "#FFD600" and first["textColor"] == "#000000"
        assert first["supportUrl"] == "https://acme.example/help" and first["updatedAt"]
        # And a later update of one field leaves the others alone
        second = post(merchant, {"termsUrl": "https://acme.example/terms", "portalDomain": "Billing.Acme.Example"})
        assert second["logo"] == logo and second["supportUrl"] == "https://acme.example/help"
        assert second["termsUrl"] == "https://acme.example/terms" and second["portalDomain"] == "billing.acme.example"
        assert merchant.get("/v1/branding").json() == second

    def test_null_clears_a_field_and_resets_the_accent(self, merchant: ApiClient) -> None:
        post(
            merchant,
            {"logo": data_uri("image/png", png_bytes()), "accentColor": "#0B6E4F", "privacyUrl": "https://a.example/p"},
        )
        cleared = post(merchant, {"logo": None, "accentColor": None, "privacyUrl": None})
        assert cleared["logo"] is None and cleared["privacyUrl"] is None
        assert cleared["accentColor"] == "#635BFF" and cleared["textColor"] == "#FFFFFF"
        assert merchant.get("/v1/branding").json() == cleared

    def test_an_empty_update_changes_nothing(self, merchant: ApiClient) -> None:
        assert post(merchant, {}) == DEFAULTS
        assert merchant.get("/v1/branding").json() == DEFAULTS

    @pytest.mark.parametrize(
        ("payload", "param"),
        [
            ({"accentColor": "red"}, "accentColor"),
            ({"accentColor": 123}, "accentColor"),
            ({"supportUrl": "http://acme.example/help"}, "supportUrl"),
            ({"privacyUrl": "javascript:alert(1)"}, "privacyUrl"),
            ({"termsUrl": "https://user:pw@acme.example/terms"}, "termsUrl"),
            ({"termsUrl": "https://acme.example/" + "t" * 2048}, "termsUrl"),
            ({"portalDomain": "https://billing.acme.example"}, "portalDomain"),
            ({"portalDomain": "10.0.0.1"}, "portalDomain"),
            ({"portalDomain": "billing.acme.example:8443"}, "portalDomain"),
            ({"logo": "https://acme.example/logo.png"}, "logo"),
            ({"logo": "data:image/gif;base64,R0lGODlhAQABAAAAACw="}, "logo"),
            ({"logo": "data:image/png;base64,%%%"}, "logo"),
            ({"logo": data_uri("image/jpeg", png_bytes())}, "logo"),
            ({"logo": data_uri("image/svg+xml", b"<svg><script>alert(1)</script></svg>")}, "logo"),
            ({"fontFamily": "Comic Sans"}, "fontFamily"),
        ],
    )
    def test_each_bad_field_is_a_400_naming_it(self, merchant: ApiClient, payload: dict[str, Any], param: str) -> None:
        response = merchant.post("/v1/branding", payload)
        assert response.status == 400, response.text
        assert response.json()["error"]["param"] == param
        assert merchant.get("/v1/branding").json() == DEFAULTS  # nothing was written

    def test_the_schema_states_the_shapes_and_every_value_taken_fits_them(self, merchant: ApiClient) -> None:
        merchant = live_client(merchant)  # (the portal domain needs a live key)
        # Given the schema of the update, each field offering null (null clears it)
        schema = merchant.get("/v1/openapi.json", key="").json()["components"]["schemas"]["BrandingUpdate"]
        fields = {name: field["anyOf"] for name, field in schema["properties"].items()}
        assert all(branches[1] == {"type": "null"} for branches in fields.values())
        patterns = {name: re.compile(branches[0]["pattern"]) for name, branches in fields.items()}
        assert fields["logo"][0]["maxLength"] == branding.MAX_LOGO_CHARS
        assert fields["supportUrl"][0]["maxLength"] == branding.MAX_URL_CHARS
        assert fields["portalDomain"][0]["maxLength"] == branding.MAX_DOMAIN_CHARS
        cases = {
            "logo": [
                data_uri("image/png", png_bytes()),
                "DATA:IMAGE/PNG;BASE64," + data_uri("image/png", png_bytes()).split(",", 1)[1],
                "data:image/svg+xml;utf8," + SIMPLE_SVG.decode(),
                "data:image/svg+xml," + SIMPLE_SVG.decode(),
                "data:image/gif;base64,R0lGODlhAQABAAAAACw=",
                "https://acme.example/logo.png",
                "data:image/pngx;base64,AAAA",
            ],
            "accentColor": ["#ffd600", "#FFD600", "ffd600", "#ffd60", "#ffd6000", "red"],
            "supportUrl": [
                "https://acme.example/help?q=1#top",
                "HTTPS://acme.example",
                "https://acme.example:8443/help",
                "http://acme.example/help",
                "https://user:pw@acme.example/help",
                "https://acme.example/a b",
                "https://",
                "https:acme.example",
            ],
            "portalDomain": [
                "billing.acme.example",
                "Billing.Acme.Example",
                "xn--bcher-kva.example",
                "billing",
                "10.0.0.1",
                "billing.acme.example:8443",
                "-billing.acme.example",
                "billing.acme.123",
            ],
        }
        for name, values in cases.items():
            for value in values:
                # When a merchant sends the value
                response = merchant.post("/v1/branding", {name: value})
                # Then each value the service takes (the first of each list, at least) fits the
                # schema's pattern, and one refused is a 400 naming the field, as it always was
                assert response.status == 200 or value != values[0], response.text
                if response.status == 200:
                    assert patterns[name].search(value), (name, value)
                else:
                    assert (response.status, response.json()["error"]["param"]) == (400, name), (value, response.text)
                    assert response.json()["error"]["code"] == "invalid_request"

    def test_an_oversize_logo_is_refused(self, merchant: ApiClient) -> None:
        raw = png_bytes() + b"\0" * 200_000  # ~267,000 base64 characters
        response = merchant.post("/v1/branding", {"logo": data_uri("image/png", raw)})
        assert response.status == 400 and response.json()["error"]["param"] == "logo"
        assert "256 KB" in response.json()["error"]["message"]

    @pytest.mark.parametrize(
        ("logo", "bound"),
        [
            (data_uri("image/svg+xml", svg_of_uses(100, 1_000)), "2,000 elements"),  # issue 17: 51 s per PDF
            (data_uri("image/png", png_of(5_000, 5_000)), "25,000,000 pixels"),  # issue 17: 380 MB per PDF
        ],
        ids=["svg-100-shapes-used-1000-times", "png-25-megapixels"],
    )
    def test_a_logo_that_expands_past_a_bound_is_refused(self, merchant: ApiClient, logo: str, bound: str) -> None:
        response = merchant.post("/v1/branding", {"logo": logo})
        assert response.status == 400, response.text
        error = response.json()["error"]
        assert error["param"] == "logo" and bound in error["message"]
        assert merchant.get("/v1/branding").json()["logo"] is None  # nothing stored

    def test_a_malicious_svg_is_stored_sanitised(self, merchant: ApiClient) -> None:
        hostile = SIMPLE_SVG.replace(
            b"</svg>",
            b"<script>alert(1)</script><foreignObject><p>x</p></foreignObject>"
            b'<use xlink:href="javascript:alert(2)" xmlns:xlink="http://www.w3.org/1999/xlink"/></svg>',
        ).replace(b"<svg ", b'<svg onload="alert(3)" ')
        stored = post(merchant, {"logo": data_uri("image/svg+xml", hostile)})["logo"]
        assert stored.startswith("data:image/svg+xml;base64,")
        markup = base64.b64decode(stored.split(",", 1)[1]).decode()
        for gone in ("script", "alert", "foreignObject", "onload", "javascript"):
            assert gone not in markup
        assert "<rect" in markup and "<circle" in markup
        assert merchant.get("/v1/branding").json()["logo"] == stored

    def test_accounts_do_not_see_each_others_branding(self, stack: Stack, merchant: ApiClient) -> None:
        post(merchant, {"accentColor": "#112233", "supportUrl": "https://mine.example/help"})
        _, other_key = stack.new_account()
        other = ApiClient(stack.template, key=other_key)
        assert other.get("/v1/branding").json() == DEFAULTS
        post(other, {"accentColor": "#445566"})
        assert merchant.get("/v1/branding").json()["accentColor"] == "#112233"

    def test_test_and_live_modes_are_separate(self, stack: Stack) -> None:
        account, test_key = stack.new_account()
        test = ApiClient(stack.template, key=test_key)
        live = ApiClient(stack.template, key=accounts.add_key(account, "live", table=Table()).secret)
        post(test, {"accentColor": "#112233"})
        live_view = live.get("/v1/branding").json()
        assert live_view == {**DEFAULTS, "livemode": True}
        post(live, {"termsUrl": "https://acme.example/terms"})
        assert test.get("/v1/branding").json()["termsUrl"] is None
        assert live.get("/v1/branding").json()["accentColor"] == "#635BFF"

    @pytest.mark.parametrize("already_stored", [False, True])
    def test_a_stale_read_is_a_conflict_not_a_lost_update(
        self, stack: Stack, monkeypatch: pytest.MonkeyPatch, already_stored: bool
    ) -> None:
        account, _ = stack.new_account()
        scope = Scope(account, "test")
        if already_stored:
            branding.update_branding(scope, {"accentColor": "#112233"}, table=Table())
        # Given a read taken before another request's write
        stale = branding.get_branding(scope, table=Table())
        branding.update_branding(scope, {"supportUrl": "https://acme.example/help"}, table=Table())
        monkeypatch.setattr(branding, "get_branding", lambda scope, table=None: stale)
        # When an update is based on that read, then it is refused, and the other write stays
        with pytest.raises(Conflict):
            branding.update_branding(scope, {"accentColor": "#778899"}, table=Table())
        monkeypatch.undo()
        assert branding.get_branding(scope, table=Table()).support_url == "https://acme.example/help"

    def test_without_a_key_it_is_401(self, merchant: ApiClient) -> None:
        assert merchant.get("/v1/branding", key="").status == 401
        assert merchant.post("/v1/branding", {"accentColor": "#000000"}, key="").status == 401


def test_the_invoice_pdf_wears_the_branding(shop: Shop) -> None:
    # Given a merchant with a logo, an accent colour and links
    post(
        shop.api,
        {
            "logo": data_uri("image/png", png_bytes(300, 90)),
            "accentColor": "#0B6E4F",
            "supportUrl": "https://shop.example/help",
            "termsUrl": "https://shop.example/terms",
        },
    )
    invoice = shop.invoice(shop.subscribe(shop.customer()).json())
    # When the invoice PDF is fetched
    response = shop.api.get(f"/v1/invoices/{invoice['id']}/pdf")
    # Then it carries the logo and the links
    assert response.status == 200, response.text
    page = PdfReader(io.BytesIO(response.body)).pages[0]
    assert len(page.images) == 1
    text = page.extract_text()
    assert "Support: https://shop.example/help" in text and "Terms: https://shop.example/terms" in text
