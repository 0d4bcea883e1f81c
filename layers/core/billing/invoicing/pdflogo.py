"""The branding's logo made ready for invoice PDFs once, not once per PDF.

A logo is prepared the first time a PDF needs it and kept, in this container, under the
SHA-256 of its data URI (a branding change is a new hash): an SVG converted by svglib into a
reportlab drawing, a PNG or JPEG decoded and scaled down to what the logo box prints at
(PRINT_DPI). Every PDF after that draws the prepared form: no XML, no CSS, no full-size decode.
A logo that cannot be drawn is remembered as such (the merchant's name stands in for it).

Logos are bounded when they are uploaded (`billing.accounts.branding`, `svglogo`); one stored
before those bounds is checked against them here first, and refused the same way.
"""

from __future__ import annotations

import hashlib
import io
import math
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Image

from billing.accounts import branding as branding_service
from billing.accounts.records import Branding

if TYPE_CHECKING:  # reportlab.graphics loads only with an SVG logo
    from reportlab.graphics.shapes import Drawing

LOGO_BOX = (60 * mm, 18 * mm)  # width, height: the logo is scaled to fit, never stretched
PRINT_DPI = 300  # a raster logo is kept at this resolution in the box (print quality), no more
CACHE_SIZE = 16  # logos kept per container (a few accounts' and modes' worth)


@dataclass(frozen=True)
class PreparedLogo:
    """What a PDF draws: `drawing` (an SVG's) or `image` (encoded PNG/JPEG bytes), at `size`
    (points, fitted into LOGO_BOX)."""

    size: tuple[float, float]
    drawing: Drawing | None = None
    image: bytes | None = None

    def flowable(self) -> Flowable:
        """A new flowable for one PDF; the prepared parts are only read."""
        width, height = self.size
        if self.drawing is not None:
            return _ScaledDrawing(self.drawing, width, height)
        return Image(io.BytesIO(self.image or b""), width=width, height=height, hAlign="LEFT")


_prepared: OrderedDict[str, PreparedLogo | None] = OrderedDict()


def prepared(branding: Branding) -> PreparedLogo | None:
    """The branding's logo ready to draw, or None (no logo, or one that cannot be drawn)."""
    if not branding.logo:
        return None
    digest = hashlib.sha256(branding.logo.encode()).hexdigest()
    if digest in _prepared:
        _prepared.move_to_end(digest)
        return _prepared[digest]
    logo = _prepare(branding)
    _prepared[digest] = logo
    while len(_prepared) > CACHE_SIZE:
        _prepared.popitem(last=False)
    return logo


def prepare_count() -> int:
    """How many logos this container has prepared and keeps (for tests and benchmarks)."""
    return len(_prepared)


def forget() -> None:
    _prepared.clear()


def fit(width: float, height: float) -> tuple[float, float]:
    """`width` × `height` scaled (up or down) into LOGO_BOX, keeping the aspect ratio."""
    box_width, box_height = LOGO_BOX
    scale = min(box_width / width, box_height / height)
    return width * scale, height * scale


def _prepare(branding: Branding) -> PreparedLogo | None:
    content = branding_service.logo_content(branding)
    if content is None:
        return None
    mime, raw = content
    try:
        return _prepare_svg(raw) if mime == "image/svg+xml" else _prepare_raster(raw)
    except Exception:  # any decoder failure: the merchant's name stands in for the logo
        return None


def _prepare_svg(raw: bytes) -> PreparedLogo:
    from svglib.svglib import svg2rlg

    from billing.accounts import svglogo

    if svglogo.expansion_error(raw) is not None:
        raise ValueError("SVG logo over the upload bounds")
    drawing = svg2rlg(io.BytesIO(raw))
    if drawing is None or drawing.width <= 0 or drawing.height <= 0:
        raise ValueError("SVG logo has no size")
    return PreparedLogo(size=fit(drawing.width, drawing.height), drawing=drawing)


def _prepare_raster(raw: bytes) -> PreparedLogo:
    from PIL import Image as PILImage

    if branding_service.raster_pixels(raw) > branding_service.MAX_LOGO_PIXELS:
        raise ValueError("logo too large to decode")
    with PILImage.open(io.BytesIO(raw)) as image:
        image.load()  # a truncated or corrupt image fails here, not halfway through a PDF
        size = fit(image.width, image.height)
        print_size = tuple(max(1, math.ceil(side / 72 * PRINT_DPI)) for side in size)
        if image.width <= print_size[0] and image.height <= print_size[1]:
            return PreparedLogo(size=size, image=raw)
        out = io.BytesIO()
        if image.format == "JPEG":
            image.resize(print_size, PILImage.Resampling.LANCZOS).save(out, "JPEG", quality=90)
        else:
            has_alpha = "A" in image.getbands() or "transparency" in image.info
            flat = image.convert("RGBA" if has_alpha else "RGB")
            flat.resize(print_size, PILImage.Resampling.LANCZOS).save(out, "PNG")
    return PreparedLogo(size=size, image=out.getvalue())


class _ScaledDrawing(Flowable):
    """A prepared drawing shown at `width` × `height` (the canvas is scaled; the drawing, which
    later PDFs draw too, is not changed)."""

    def __init__(self, drawing: Drawing, width: float, height: float) -> None:
        super().__init__()
        self.drawing, self.width, self.height = drawing, width, height
        self.hAlign = "LEFT"

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        return self.width, self.height

    def draw(self) -> None:
        from reportlab.graphics import renderPDF

        scale = self.width / self.drawing.width
        self.canv.saveState()
        self.canv.scale(scale, scale)
        renderPDF.draw(self.drawing, self.canv, 0, 0)
        self.canv.restoreState()
