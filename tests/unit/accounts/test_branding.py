"""Branding rules without I/O: colours and their contrast, links, domains, logos, SVG sanitising."""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from billing.accounts import branding, brandreads
from billing.accounts.records import Branding
from billing.kernel.errors import InvalidRequest, PermissionDenied
from billing.kernel.scope import Scope
from billing.store.repository import Table
from tests.support.logos import DEFAULT_BRANDING_WIRE, SIMPLE_SVG, data_uri, jpeg_bytes, png_bytes

SCOPE = Scope("acct_unit", "test")
# Validation refuses before any read or write: a table that is never reached.
TABLE = Table.__new__(Table)
hex_colors = st.integers(min_value=0, max_value=0xFFFFFF).map(lambda n: f"#{n:06X}")


def param_of(call: Any, *args: Any, **kwargs: Any) -> str | None:
    with pytest.raises(InvalidRequest) as caught:
        call(*args, **kwargs)
    return caught.value.param


def svg_uri(svg: bytes) -> str:
    return data_uri("image/svg+xml", svg)


def sanitized(svg: bytes) -> str:
    """The SVG as stored after validation, decoded."""
    stored = branding.validate_logo(svg_uri(svg))
    content = branding.logo_content(Branding(logo=stored))
    assert content is not None and content[0] == "image/svg+xml"
    return content[1].decode()


def svg(body: str, extra: str = "") -> bytes:
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
        f'viewBox="0 0 10 10" {extra}><rect id="r" width="10" height="10" fill="#123456"/>{body}</svg>'
    ).encode()


class TestContrast:
    @pytest.mark.parametrize(
        ("a", "b", "expected"),
        [
            ("#000000", "#FFFFFF", 21.0),
            ("#FFFFFF", "#FFFFFF", 1.0),
            ("#777777", "#FFFFFF", 4.48),  # WebAIM: just below AA
            ("#767676", "#FFFFFF", 4.54),  # WebAIM: the lightest grey that passes AA on white
            ("#FF0000", "#FFFFFF", 4.0),
            ("#0000FF", "#FFFFFF", 8.59),
            ("#00FF00", "#000000", 15.3),
        ],
    )
    def test_known_wcag_ratios(self, a: str, b: str, expected: float) -> None:
        assert brandreads.contrast_ratio(a, b) == pytest.approx(expected, abs=0.01)

    @pytest.mark.parametrize(
        ("accent", "text"),
        [("#635BFF", "#FFFFFF"), ("#FFD600", "#000000"), ("#000000", "#FFFFFF"), ("#FFFFFF", "#000000")],
    )
    def test_text_colour_for_known_accents(self, accent: str, text: str) -> None:
        assert brandreads.text_color_for(accent) == text

    @given(hex_colors, hex_colors)
    def test_ratio_is_symmetric_and_between_1_and_21(self, a: str, b: str) -> None:
        ratio = brandreads.contrast_ratio(a, b)
        assert 1.0 <= ratio <= 21.0 + 1e-9
        assert ratio == pytest.approx(brandreads.contrast_ratio(b, a))

    @given(hex_colors)
    def test_the_text_colour_is_the_better_one_and_always_passes_aa(self, accent: str) -> None:
        text = brandreads.text_color_for(accent)
        other = "#000000" if text == "#FFFFFF" else "#FFFFFF"
        assert brandreads.contrast_ratio(accent, text) >= brandreads.contrast_ratio(accent, other)
        assert brandreads.contrast_ratio(accent, text) >= 4.5  # max(white, black) is never below √21 ≈ 4.58

    @given(hex_colors)
    def test_any_hex_colour_is_accepted_and_uppercased(self, color: str) -> None:
        assert branding.validate_color(color.lower(), param="accentColor") == color.upper()

    @pytest.mark.parametrize(
        "bad", ["635BFF", "#635BF", "#635BFFF", "#GGGGGG", "red", "#635bff ", "#635BFF\n", "rgb(1,2,3)", ""]
    )
    def test_malformed_colours_are_refused(self, bad: str) -> None:
        assert param_of(branding.update_branding, SCOPE, {"accentColor": bad}, table=TABLE) == "accentColor"


class TestLinks:
    @pytest.mark.parametrize(
        "url", ["https://example.com", "https://example.com/help?x=1#top", "https://sub.example.co.uk:8443/a"]
    )
    def test_https_urls_are_kept_as_given(self, url: str) -> None:
        assert branding.validate_https_url(url, param="supportUrl") == url

    @pytest.mark.parametrize(
        "url",
        [
            "http://example.com",
            "javascript:alert(1)",
            "data:text/html,hi",
            "ftp://example.com",
            "//example.com/path",
            "example.com",
            "https://user:pass@example.com",
            "https://user@example.com",
            "https://",
            "https://exa mple.com",
            "https://example.com/\nx",
            "https://example.com:99999",
            "https://example.com/" + "a" * 2048,
        ],
    )
    @pytest.mark.parametrize("field", ["supportUrl", "privacyUrl", "termsUrl"])
    def test_anything_but_a_plain_https_url_is_refused(self, url: str, field: str) -> None:
        assert param_of(branding.update_branding, SCOPE, {field: url}, table=TABLE) == field

    def test_2048_characters_is_the_limit(self) -> None:
        url = "https://example.com/" + "a" * (2048 - len("https://example.com/"))
        assert branding.validate_https_url(url, param="termsUrl") == url


class TestPortalDomain:
    @pytest.mark.parametrize(
        ("given_", "stored"),
        [
            ("billing.example.com", "billing.example.com"),
            ("Billing.Example.COM", "billing.example.com"),
            ("xn--bcher-kva.example", "xn--bcher-kva.example"),
            ("a-b.c-d.example.io", "a-b.c-d.example.io"),
        ],
    )
    def test_host_names_are_kept_lowercase(self, given_: str, stored: str) -> None:
        assert branding.validate_domain(given_) == stored

    @pytest.mark.parametrize(
        "bad",
        [
            "https://billing.example.com",
            "billing.example.com:443",
            "billing.example.com/path",
            "192.168.0.1",
            "[::1]",
            "::1",
            "localhost",
            "-bad.example.com",
            "bad-.example.com",
            "bad..example.com",
            "billing.example.com.",
            "bill_ing.example.com",
            "billing\n.example.com",  # a newline ends a label's `$` but not its `\Z`
            "user@billing.example.com",
            ("a" * 64) + ".example.com",
            ".".join(["a" * 63] * 4) + ".com",  # 259 characters
            "",
        ],
    )
    def test_anything_but_a_host_name_is_refused(self, bad: str) -> None:
        live = Scope("acct_unit", "live")  # (a test key may not set one: test_a_test_key_may_not_set_a_domain)
        assert param_of(branding.update_branding, live, {"portalDomain": bad}, table=TABLE) == "portalDomain"

    def test_a_test_key_may_not_set_a_domain(self) -> None:
        with pytest.raises(PermissionDenied) as caught:
            branding.update_branding(SCOPE, {"portalDomain": "billing.example.com"}, table=TABLE)
        assert (caught.value.param, caught.value.code, caught.value.status) == (
            "portalDomain",
            "live_key_required",
            403,
        )


class TestLogo:
    def test_png_and_jpeg_are_kept_and_decoded(self) -> None:
        for mime, raw in (("image/png", png_bytes()), ("image/jpeg", jpeg_bytes())):
            uri = data_uri(mime, raw)
            assert branding.validate_logo(uri) == uri
            assert branding.logo_content(Branding(logo=uri)) == (mime, raw)

    def test_the_media_type_is_normalised(self) -> None:
        raw = png_bytes()
        stored = branding.validate_logo(f"data:IMAGE/PNG;base64,{base64.b64encode(raw).decode()}")
        assert stored == data_uri("image/png", raw)

    @pytest.mark.parametrize(
        "bad",
        [
            "https://example.com/logo.png",
            "data:image/gif;base64," + base64.b64encode(b"GIF89a....").decode(),
            "data:text/html;base64,PHNjcmlwdD4=",
            "data:image/png," + "abc",  # not base64
            "data:image/png;base64,not base64!",
            "data:image/png;base64," + base64.b64encode(png_bytes()).decode()[:-1],  # bad padding
            "data:image/png;base64,"
            + base64.b64encode(png_bytes()).decode()[:8]
            + "\n"
            + base64.b64encode(png_bytes()).decode()[8:],
            "data:image/png;base64,",
            "data:image/png;base64," + base64.b64encode(jpeg_bytes()).decode(),  # JPEG bytes called PNG
            "data:image/jpeg;base64," + base64.b64encode(png_bytes()).decode(),
            "data:image/png;base64," + base64.b64encode(SIMPLE_SVG).decode(),
            "data:image/svg+xml;base64," + base64.b64encode(png_bytes()).decode(),  # not XML
            "data:image/png;base64,iVBORw0KGgp=",  # non-canonical trailing bits
            "",
        ],
    )
    def test_anything_but_a_real_png_jpeg_or_svg_data_uri_is_refused(self, bad: str) -> None:
        assert param_of(branding.update_branding, SCOPE, {"logo": bad}, table=TABLE) == "logo"

    def test_256_kb_is_the_limit_for_the_whole_data_uri(self) -> None:
        prefix = "data:image/png;base64,"
        # Given a PNG whose data URI is exactly 262,144 characters (a PNG tolerates trailing bytes)
        head = png_bytes()
        payload_chars = (branding.MAX_LOGO_CHARS - len(prefix)) // 4 * 4
        raw = head + b"\0" * (payload_chars // 4 * 3 - len(head))
        exact = prefix + base64.b64encode(raw).decode()
        assert len(exact) <= branding.MAX_LOGO_CHARS
        assert branding.validate_logo(exact) == exact
        # And one 4 characters longer
        over = prefix + base64.b64encode(raw + b"\0\0\0").decode()
        assert len(over) > branding.MAX_LOGO_CHARS
        with pytest.raises(InvalidRequest, match="256 KB") as caught:
            branding.validate_logo(over)
        assert caught.value.param == "logo"

    def test_a_non_string_value_is_refused(self) -> None:
        assert param_of(branding.update_branding, SCOPE, {"logo": 42}, table=TABLE) == "logo"

    def test_hash_is_16_hex_of_the_uri_and_changes_with_it(self) -> None:
        one, two = data_uri("image/png", png_bytes(10, 10)), data_uri("image/png", png_bytes(11, 10))
        h1 = brandreads.logo_hash(Branding(logo=one))
        assert h1 is not None and len(h1) == 16 and int(h1, 16) >= 0
        assert h1 != brandreads.logo_hash(Branding(logo=two))
        assert brandreads.logo_hash(Branding(logo=None)) is None and branding.logo_content(Branding()) is None


class TestSvgSanitising:
    def test_a_clean_svg_keeps_its_drawing(self) -> None:
        out = sanitized(SIMPLE_SVG)
        assert "<rect" in out and "<circle" in out and 'viewBox="0 0 200 50"' in out
        assert 'xmlns="http://www.w3.org/2000/svg"' in out

    def test_utf8_and_percent_encoded_svg_is_accepted_and_stored_as_base64(self) -> None:
        for uri in (
            "data:image/svg+xml;utf8," + SIMPLE_SVG.decode(),
            "data:image/svg+xml," + quote(SIMPLE_SVG.decode()),
            "data:image/svg+xml;charset=utf-8," + quote(SIMPLE_SVG.decode()),
        ):
            stored = branding.validate_logo(uri)
            assert stored.startswith("data:image/svg+xml;base64,")
            assert b"<circle" in base64.b64decode(stored.split(",", 1)[1])

    @pytest.mark.parametrize(
        ("hostile", "gone"),
        [
            ("<script>alert(1)</script>", ["script", "alert"]),
            ('<script xlink:href="https://evil.example/x.js"/>', ["script", "evil"]),
            ('<circle r="1" onclick="alert(1)" onmouseover="alert(2)"/>', ["onclick", "onmouseover", "alert"]),
            ('<use xlink:href="javascript:alert(1)"/>', ["javascript", "<use"]),
            ('<use href="https://evil.example/sprite.svg#x"/>', ["evil", "<use"]),
            ('<use xlink:href="data:image/svg+xml;base64,PHN2Zz4="/>', ["data:", "<use"]),
            ('<a xlink:href="javascript:alert(1)"><circle r="2"/></a>', ["<a", "javascript"]),
            ('<a href="https://evil.example"><text>click</text></a>', ["evil", "click"]),
            ("<foreignObject><div xmlns='http://www.w3.org/1999/xhtml'>x</div></foreignObject>", ["foreign", "div"]),
            ("<style>rect{fill:url(https://evil.example/t)}</style>", ["<style", "evil"]),
            ('<image href="https://evil.example/track.png" width="1" height="1"/>', ["<image", "evil"]),
            ('<image xlink:href="data:image/png;base64,AAAA"/>', ["<image", "AAAA"]),
            ('<animate attributeName="href" to="javascript:alert(1)"/>', ["animate", "javascript"]),
            ('<set attributeName="onmouseover" to="alert(1)"/>', ["<set", "alert"]),
            ('<circle r="1" fill="url(https://evil.example/p#x)"/>', ["evil"]),
            ('<circle r="1" style="fill: url(&apos;//evil.example/p&apos;)"/>', ["evil"]),
            ('<circle r="1" style="background:u\\72l(//evil.example)"/>', ["evil"]),
            ('<circle r="1" style="behavior: url(#x); -moz-binding: x"/>', ["binding"]),
            ('<circle r="1" filter="javascript:alert(1)"/>', ["javascript"]),
            ('<circle r="1" fill="JaVaScRiPt:alert(1)"/>', ["alert"]),
            ("<iframe src='https://evil.example'/>", ["iframe", "evil"]),
            ("<x:script xmlns:x='http://www.w3.org/2000/svg'>alert(1)</x:script>", ["script", "alert"]),
            ("<h:script xmlns:h='http://www.w3.org/1999/xhtml'>alert(1)</h:script>", ["script", "alert"]),
            ("<?xml-stylesheet href='https://evil.example/s.css'?><!-- a comment -->", ["evil", "comment"]),
            ("<g><metadata><rdf>tracking</rdf></metadata></g>", ["metadata", "tracking"]),
        ],
    )
    def test_hostile_parts_are_removed_and_the_drawing_stays(self, hostile: str, gone: list[str]) -> None:
        out = sanitized(svg(hostile))
        lowered = out.lower()
        for fragment in gone:
            assert fragment.lower() not in lowered, (fragment, out)
        assert '<rect id="r"' in out

    def test_local_references_stay(self) -> None:
        out = sanitized(
            svg(
                '<defs><linearGradient id="g"><stop offset="0" stop-color="#fff"/></linearGradient></defs>'
                '<circle r="3" fill="url(#g)" clip-path="url(\'#r\')"/><use xlink:href="#r"/><use href="#r"/>'
            )
        )
        assert 'fill="url(#g)"' in out and "clip-path=\"url('#r')\"" in out
        assert 'xlink:href="#r"' in out and 'href="#r"' in out and "<stop" in out

    def test_onload_on_the_root_is_removed(self) -> None:
        out = sanitized(svg("", extra='onload="alert(1)"'))
        assert "onload" not in out and "alert" not in out

    @pytest.mark.parametrize(
        "document",
        [
            # billion laughs
            b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
            b'<svg xmlns="http://www.w3.org/2000/svg"><text>&lol2;</text></svg>',
            # XXE: a local file
            b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
            b'<svg xmlns="http://www.w3.org/2000/svg"><text>&xxe;</text></svg>',
            # XXE: a remote DTD
            b'<!DOCTYPE svg SYSTEM "https://evil.example/evil.dtd"><svg xmlns="http://www.w3.org/2000/svg">'
            b'<rect width="1" height="1"/></svg>',
            # parameter entities
            b'<!DOCTYPE svg [<!ENTITY % p SYSTEM "https://evil.example/p">%p;]>'
            b'<svg xmlns="http://www.w3.org/2000/svg"><rect/></svg>',
        ],
    )
    def test_dtds_and_entities_are_refused(self, document: bytes) -> None:
        with pytest.raises(InvalidRequest, match="DTD") as caught:
            branding.validate_logo(svg_uri(document))
        assert caught.value.param == "logo"

    @pytest.mark.parametrize(
        ("document", "reason"),
        [
            (b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>", "nothing drawable"),
            (b"<svg xmlns='http://www.w3.org/2000/svg'><foreignObject><p>hi</p></foreignObject></svg>", "nothing"),
            (
                b"<svg xmlns='http://www.w3.org/2000/svg'><defs><rect id='r' width='1' height='1'/></defs></svg>",
                "nothing",
            ),
            (b"<svg xmlns='http://www.w3.org/2000/svg'><text>   </text><title>Logo</title></svg>", "nothing"),
            (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "nothing drawable"),
            (b"<svg xmlns='http://www.w3.org/2000/svg'><rect></svg>", "well-formed"),
            (b"<html><body>hi</body></html>", "root element"),
            (b"<svg:svg xmlns:svg='http://example.com/not-svg'><rect/></svg:svg>", "root element"),
            (b"plain text", "well-formed"),
            (
                b"<svg xmlns='http://www.w3.org/2000/svg'>" + b"<g>" * 100 + b"<rect/>" + b"</g>" * 100 + b"</svg>",
                "nested",
            ),
        ],
    )
    def test_empty_malformed_or_foreign_documents_are_refused(self, document: bytes, reason: str) -> None:
        with pytest.raises(InvalidRequest, match=reason) as caught:
            branding.validate_logo(svg_uri(document))
        assert caught.value.param == "logo"


class TestWireAndSnapshot:
    def test_defaults(self) -> None:
        wire = branding.to_wire(Branding(), SCOPE)
        assert wire == DEFAULT_BRANDING_WIRE

    def test_a_session_keeps_the_domain_only_once_it_is_verified(self) -> None:
        pending = Branding(domain="billing.example.com", domain_token="t" * 32)
        assert pending.portal_domain is None and branding.portal_snapshot(pending)["portalDomain"] is None
        assert branding.to_wire(pending, SCOPE)["portalDomain"] == "billing.example.com"
        verified = Branding(
            domain="billing.example.com", domain_token="t" * 32, domain_verified_at="2026-12-03T05:00:00Z"
        )
        assert verified.portal_domain == "billing.example.com"
        assert branding.portal_snapshot(verified)["portalDomain"] == "billing.example.com"

    def test_the_snapshot_has_no_logo_bytes(self) -> None:
        logo = data_uri("image/png", png_bytes())
        item = Branding(logo=logo, accent_color="#FFD600", terms_url="https://x.example/t")
        snapshot = branding.portal_snapshot(item)
        assert snapshot == {
            "accentColor": "#FFD600",
            "textColor": "#000000",
            "supportUrl": None,
            "privacyUrl": None,
            "termsUrl": "https://x.example/t",
            "portalDomain": None,
            "logoHash": brandreads.logo_hash(item),
            "logoType": "image/png",
        }
        assert logo.split(",", 1)[1][:40] not in str(snapshot)

    def test_unknown_fields_are_refused_by_name(self) -> None:
        assert param_of(branding.update_branding, SCOPE, {"fontFamily": "Comic Sans"}, table=TABLE) == "fontFamily"
