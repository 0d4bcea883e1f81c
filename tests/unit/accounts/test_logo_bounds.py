"""Issue 17 item 2: a logo is refused at upload when what it expands to is over a bound (elements
drawn once references are resolved, nesting, pixels), with a 400 naming `logo` and the bound."""

from __future__ import annotations

import time

import pytest

from billing.accounts import branding, svglogo
from billing.kernel.errors import InvalidRequest
from tests.support.boundedlogos import SVG_OPEN, jpeg_claiming, png_of, svg_of_nested_uses, svg_of_uses
from tests.support.logos import data_uri


def refusal(mime: str, raw: bytes) -> str:
    with pytest.raises(InvalidRequest) as caught:
        branding.validate_logo(data_uri(mime, raw))
    assert caught.value.param == "logo"
    return str(caught.value)


class TestSvgExpansion:
    def test_100_shapes_used_1000_times_is_refused(self) -> None:
        # The logo (it drew for 51 s into one PDF)
        raw = svg_of_uses(100, 1_000)
        assert len(raw) < 40_000  # far under the 256 KB a logo may take
        assert "2,000 elements" in refusal("image/svg+xml", raw)

    def test_the_same_shapes_used_a_few_times_are_kept(self) -> None:
        stored = branding.validate_logo(data_uri("image/svg+xml", svg_of_uses(100, 10)))
        assert stored.startswith("data:image/svg+xml;base64,")

    def test_the_bound_counts_elements_after_resolution_not_in_the_document(self) -> None:
        # <svg>, <defs>, the group of 100 shapes, and each <use> drawing it again (102 more):
        # 18 uses make 1,939 elements, 19 make 2,041 (in a document of 122 elements)
        assert branding.validate_logo(data_uri("image/svg+xml", svg_of_uses(100, 18)))
        assert "2,000 elements" in refusal("image/svg+xml", svg_of_uses(100, 19))

    def test_nested_uses_are_counted_recursively_and_quickly(self) -> None:
        # 10 ** 8 rectangles in 1.6 KB: measured, not expanded
        raw = svg_of_nested_uses(8, 10)
        started = time.perf_counter()
        assert "2,000 elements" in refusal("image/svg+xml", raw)
        assert time.perf_counter() - started < 0.5

    def test_url_references_count_too(self) -> None:
        shapes = "".join(f'<rect x="{i}" width="1" height="1"/>' for i in range(100))
        uses = "".join(f'<rect width="9" height="9" clip-path="url(#c)" y="{i}"/>' for i in range(60))
        raw = f'{SVG_OPEN}<defs><clipPath id="c">{shapes}</clipPath></defs>{uses}</svg>'.encode()
        assert "2,000 elements" in refusal("image/svg+xml", raw)

    def test_a_repeated_id_counts_every_element_holding_it(self) -> None:
        small = '<rect id="g" width="1" height="1"/>'
        big = '<g id="g">' + '<rect width="1" height="1"/>' * 100 + "</g>"
        uses = '<use href="#g"/>' * 60
        raw = f"{SVG_OPEN}<defs>{small}{big}</defs>{uses}</svg>".encode()
        assert "2,000 elements" in refusal("image/svg+xml", raw)

    def test_a_reference_loop_is_refused(self) -> None:
        raw = f'{SVG_OPEN}<g id="a"><rect width="1" height="1"/><use xlink:href="#a"/></g></svg>'.encode()
        assert "refers to itself" in refusal("image/svg+xml", raw)

    def test_nesting_through_references_is_bounded(self) -> None:
        # 43 levels deep in the document, 73 once the <use> inside 30 groups draws the 40 below it
        deep = '<g id="deep">' + "<g>" * 39 + '<rect width="1" height="1"/>' + "</g>" * 40
        raw = f'{SVG_OPEN}<defs>{deep}</defs>{"<g>" * 30}<use href="#deep"/>{"</g>" * 30}</svg>'.encode()
        assert f"nested more than {svglogo.MAX_SVG_DEPTH} levels" in refusal("image/svg+xml", raw)

    def test_a_stored_logo_over_the_bounds_is_told_apart_from_a_good_one(self) -> None:
        assert svglogo.expansion_error(svg_of_uses(100, 1_000)) is not None
        assert svglogo.expansion_error(svg_of_uses(100, 10)) is None


class TestRasterPixels:
    def test_a_25_megapixel_png_is_refused(self) -> None:
        raw = png_of(5_000, 5_000)
        assert len(raw) < 10_000  # small on the wire, 100 MB once decoded
        assert "25,000,000 pixels" in refusal("image/png", raw)

    def test_a_jpeg_claiming_a_huge_frame_is_refused_from_its_header(self) -> None:
        assert "pixels" in refusal("image/jpeg", jpeg_claiming(6_000, 6_000))

    def test_a_png_pillow_itself_would_not_open_is_refused_as_too_large(self) -> None:
        assert "pixels" in refusal("image/png", png_of(20_000, 20_000))

    def test_4_megapixels_is_the_bound(self) -> None:
        at_bound = data_uri("image/png", png_of(2_000, 2_000))
        assert branding.validate_logo(at_bound) == at_bound
        assert "4,000,000" in refusal("image/png", png_of(2_000, 2_001))

    def test_a_header_that_cannot_be_read_is_refused(self) -> None:
        assert "readable" in refusal("image/png", b"\x89PNG\r\n\x1a\n" + b"\0" * 40)
