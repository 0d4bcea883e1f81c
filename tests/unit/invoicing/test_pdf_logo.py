"""Issue 17 item 2, the PDF side: a logo is prepared once per logo (not once per PDF), drawn at
print size, and one stored before the upload bounds is refused the same way (the name stands in)."""

from __future__ import annotations

import io
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import svglib.svglib
from msgspec.structs import replace
from PIL import Image
from pypdf import PdfReader

from billing.accounts import branding
from billing.invoicing import pdf, pdflogo
from tests.support.boundedlogos import png_of, svg_of_uses
from tests.support.invoices import SAMPLE_BRANDING, SAMPLE_INVOICE
from tests.support.logos import SIMPLE_SVG, data_uri, png_bytes


@pytest.fixture(autouse=True)
def fresh_cache() -> Iterator[None]:
    pdflogo.forget()
    yield
    pdflogo.forget()


@pytest.fixture
def svg_conversions(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts svglib's conversions (the work a logo is prepared by)."""
    calls: list[int] = []
    original = svglib.svglib.svg2rlg

    def counting(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(svglib.svglib, "svg2rlg", counting)
    return calls


def counted(monkeypatch: pytest.MonkeyPatch, name: str) -> list[int]:
    """Counts the calls of `pdflogo.<name>` (which still does its work)."""
    calls: list[int] = []
    original = getattr(pdflogo, name)

    def counting(*args: Any) -> Any:
        calls.append(1)
        return original(*args)

    monkeypatch.setattr(pdflogo, name, counting)
    return calls


def masthead(document: bytes) -> list[str]:
    text = PdfReader(io.BytesIO(document)).pages[0].extract_text()
    return [line for line in text.split("\nInvoice\n")[0].splitlines() if ": https://" not in line]


def images_of(document: bytes) -> list[Any]:
    return list(PdfReader(io.BytesIO(document)).pages[0].images)


def with_logo(mime: str, raw: bytes, *, validated: bool = True) -> Any:
    logo = branding.validate_logo(data_uri(mime, raw)) if validated else data_uri(mime, raw)
    return replace(SAMPLE_BRANDING, logo=logo)


def test_an_svg_logo_is_prepared_once_for_every_pdf(svg_conversions: list[int]) -> None:
    brand = with_logo("image/svg+xml", SIMPLE_SVG)
    documents = [pdf.render(SAMPLE_INVOICE, brand) for _ in range(3)]
    assert len(svg_conversions) == 1
    # and each PDF still draws it (its fill colour in the page's operators, no name instead)
    for document in documents:
        assert masthead(document) == []
        assert b".760784 .094118 .356863 rg" in PdfReader(io.BytesIO(document)).pages[0].get_contents().get_data()  # type: ignore[union-attr]


def test_a_branding_change_prepares_the_new_logo(svg_conversions: list[int]) -> None:
    pdf.render(SAMPLE_INVOICE, with_logo("image/svg+xml", SIMPLE_SVG))
    changed = with_logo("image/svg+xml", SIMPLE_SVG.replace(b"#C2185B", b"#0B6E4F"))
    pdf.render(SAMPLE_INVOICE, changed)
    pdf.render(SAMPLE_INVOICE, changed)
    assert len(svg_conversions) == 2


def test_a_raster_logo_is_decoded_once_and_kept_at_print_size(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a 2000 × 500 PNG (the logo box prints 709 × 213 pixels at 300 dpi)
    brand = with_logo("image/png", png_bytes(2_000, 500))
    prepares = counted(monkeypatch, "_prepare_raster")
    documents = [pdf.render(SAMPLE_INVOICE, brand) for _ in range(2)]
    assert prepares == [1]
    for document in documents:
        [image] = images_of(document)
        assert image.image.size == (709, 178)  # scaled down, aspect ratio kept
        assert masthead(document) == []


def test_an_svg_stored_before_the_bounds_gives_way_to_the_name_without_being_drawn(
    svg_conversions: list[int],
) -> None:
    # Given the logo stored before uploads were bounded (it took 51 s to draw)
    brand = with_logo("image/svg+xml", svg_of_uses(100, 1_000), validated=False)
    started = time.perf_counter()
    document = pdf.render(SAMPLE_INVOICE, brand)
    assert time.perf_counter() - started < 2
    assert svg_conversions == [] and masthead(document) == ["Demo Co"]


def test_a_25_megapixel_png_stored_before_the_bounds_is_not_decoded(monkeypatch: pytest.MonkeyPatch) -> None:
    brand = with_logo("image/png", png_of(5_000, 5_000), validated=False)
    monkeypatch.setattr(Image.Image, "load", lambda self: pytest.fail("decoded"))
    assert masthead(pdf.render(SAMPLE_INVOICE, brand)) == ["Demo Co"]


def test_a_logo_that_cannot_be_drawn_is_not_tried_again(monkeypatch: pytest.MonkeyPatch) -> None:
    brand = replace(SAMPLE_BRANDING, logo=data_uri("image/png", png_bytes()[:40]))  # truncated
    prepares = counted(monkeypatch, "_prepare")
    for _ in range(2):
        assert masthead(pdf.render(SAMPLE_INVOICE, brand)) == ["Demo Co"]
    assert prepares == [1]


def test_the_cache_keeps_a_bounded_number_of_logos() -> None:
    for width in range(10, 10 + pdflogo.CACHE_SIZE + 5):
        pdflogo.prepared(with_logo("image/png", png_bytes(width, 10)))
    assert pdflogo.prepare_count() == pdflogo.CACHE_SIZE


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="pdftoppm (poppler-utils) is not installed")
def test_an_ordinary_svg_logo_is_seen_on_the_rendered_page(tmp_path: Path) -> None:
    # Given the PDF of an invoice with an ordinary SVG logo (a magenta band with a white disc)
    document = pdf.render(SAMPLE_INVOICE, with_logo("image/svg+xml", SIMPLE_SVG))
    (tmp_path / "invoice.pdf").write_bytes(document)
    # When its first page is rasterised as a viewer would
    subprocess.run(
        ["pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "1", "-singlefile", "invoice.pdf", "page"],
        cwd=tmp_path,
        check=True,
        timeout=60,
    )
    page = Image.open(tmp_path / "page.png").convert("RGB")
    # Then the top of the page carries the logo's colour, at the left of the masthead
    top = page.crop((0, 0, page.width, page.height // 8))
    magenta = [xy for xy in _pixels(top) if _near(top.getpixel(xy), (0xC2, 0x18, 0x5B))]
    assert len(magenta) > 200
    left = min(x for x, _ in magenta)
    assert left < page.width // 4


def _pixels(image: Image.Image) -> Iterator[tuple[int, int]]:
    for y in range(image.height):
        for x in range(image.width):
            yield x, y


def _near(pixel: Any, color: tuple[int, int, int], tolerance: int = 24) -> bool:
    return all(abs(int(a) - b) <= tolerance for a, b in zip(pixel, color, strict=True))
