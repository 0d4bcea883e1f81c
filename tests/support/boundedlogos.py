"""Logos that expand: the cases of issue 17 item 2, made in memory."""

from __future__ import annotations

import io
import struct

SVG_OPEN = '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="200" height="60">'


def svg_of_uses(shapes: int, uses: int) -> bytes:
    """`shapes` rectangles in one group, drawn `uses` times through <use> (100 × 1,000: 26 KB)."""
    defs = "".join(f'<rect x="{i % 50}" y="{i % 10}" width="3" height="4" fill="#0B6E4F"/>' for i in range(shapes))
    body = "".join(f'<use href="#g" x="{j % 40}" y="{j // 40}"/>' for j in range(uses))
    return f'{SVG_OPEN}<defs><g id="g">{defs}</g></defs>{body}</svg>'.encode()


def svg_of_nested_uses(levels: int, fan_out: int) -> bytes:
    """Each level uses the one below `fan_out` times: fan_out ** levels rectangles in a few KB."""
    groups = ['<rect id="l0" width="1" height="1"/>']
    groups += [f'<g id="l{i}">' + f'<use href="#l{i - 1}"/>' * fan_out + "</g>" for i in range(1, levels + 1)]
    return f'{SVG_OPEN}<defs>{"".join(groups)}</defs><use href="#l{levels}"/></svg>'.encode()


def png_of(width: int, height: int, mode: str = "1") -> bytes:
    """A real PNG of that size (1-bit and blank by default: 25 megapixels in 3 KB)."""
    from PIL import Image

    out = io.BytesIO()
    Image.new(mode, (width, height)).save(out, "PNG")
    return out.getvalue()


def jpeg_claiming(width: int, height: int) -> bytes:
    """A small JPEG whose frame header claims `width` × `height` (what a decoder would allocate)."""
    from PIL import Image

    out = io.BytesIO()
    Image.new("L", (8, 8)).save(out, "JPEG")
    raw = bytearray(out.getvalue())
    frame = raw.index(b"\xff\xc0")  # SOF0: marker, length (2), precision (1), height (2), width (2)
    raw[frame + 5 : frame + 9] = struct.pack(">HH", height, width)
    return bytes(raw)
