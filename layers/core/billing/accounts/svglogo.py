"""SVG logos made safe: parsed with defusedxml (no DTD, entities or external references) and
rebuilt from an allowlist of elements and attributes, so no script, event handler, foreign
object or outside reference survives. Imported only when an SVG logo is uploaded or drawn.

What is kept is also bounded in what it expands to: `<use>`, `href` and `url(#…)` references
are resolved (recursively) and the elements drawn counted, with the nesting depth they reach,
because a few hundred bytes can repeat a shape a million times and every PDF would draw each.
"""

from __future__ import annotations

import re
from xml.etree import ElementTree as ET

from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeET

from billing.kernel.errors import InvalidRequest


def _logo_error(message: str) -> InvalidRequest:
    return InvalidRequest(message, param="logo")


SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
XML_NS = "http://www.w3.org/XML/1998/namespace"
ET.register_namespace("xlink", XLINK_NS)  # the conventional prefix on output (idempotent)

SVG_ELEMENTS = frozenset(
    "svg g path rect circle ellipse line polyline polygon text tspan defs linearGradient radialGradient "
    "stop clipPath mask title desc symbol use".split()
)
DRAWABLE = frozenset("path rect circle ellipse line polyline polygon text use".split())
NOT_RENDERED = frozenset("defs symbol clipPath mask linearGradient radialGradient title desc".split())
TEXT_ELEMENTS = frozenset("text tspan title desc".split())
MAX_SVG_DEPTH = 64  # in the document, and once its references are resolved
MAX_SVG_ELEMENTS = 20_000  # in the document (an early stop while parsing)
# Elements once references are resolved. Measured here, svglib converts one in about 0.4 ms
# (once per logo and container, `billing.invoicing.pdflogo`) and reportlab draws one in about
# 0.07 ms (every PDF); a 512 MB Lambda is a few times slower. 2,000 keeps the first PDF within
# a few seconds there and the next ones well under one; real logos stay in the hundreds.
MAX_DRAWN_ELEMENTS = 2_000
_URL_REF = re.compile(r"url\(")
_REFERENCE = re.compile(r"url\(\s*['\"]?#([^)'\"\s]+)")
_LOCAL_URL_REF = re.compile(r"url\(['\"]?#")
_HOSTILE_VALUE = ("javascript:", "vbscript:", "data:", "expression(", "@import", "-moz-binding", "behavior:")


def sanitize_svg(raw: bytes) -> bytes:
    """`raw` SVG rebuilt from safe parts only; InvalidRequest (param `logo`) when nothing is left."""
    try:
        root = SafeET.fromstring(raw, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException:
        raise _logo_error("logo SVG must not contain a DTD, entities or external references.") from None
    except (ET.ParseError, ValueError):
        raise _logo_error("logo is not a well-formed SVG document.") from None
    if _local_name(root) != "svg":
        raise _logo_error("logo is not an SVG image (its root element is not <svg>).")
    counter = [0]
    clean = _clean_element(root, depth=0, counter=counter, parent_keeps_text=False)
    if clean is None or not _draws_something(clean):
        raise _logo_error("logo SVG has nothing drawable left once made safe.")
    check_expansion(clean)
    clean.set("xmlns", SVG_NS)  # names are kept unqualified; this puts them all in the SVG namespace
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(clean, encoding="utf-8", xml_declaration=False)


def _local_name(element: ET.Element) -> str | None:
    """The SVG element's name, or None for anything outside the SVG namespace (or no namespace)."""
    tag = element.tag
    if not isinstance(tag, str):
        return None  # comments, processing instructions
    if tag.startswith("{"):
        namespace, _, name = tag[1:].partition("}")
        return name if namespace == SVG_NS else None
    return tag


def _clean_element(
    element: ET.Element, *, depth: int, counter: list[int], parent_keeps_text: bool
) -> ET.Element | None:
    name = _local_name(element)
    if name not in SVG_ELEMENTS:
        return None
    counter[0] += 1
    if depth > MAX_SVG_DEPTH or counter[0] > MAX_SVG_ELEMENTS:
        raise _logo_error("logo SVG is nested too deeply or has too many elements.")
    attributes = _clean_attributes(element)
    if name == "use" and not str(attributes.get(f"{{{XLINK_NS}}}href", attributes.get("href", ""))).startswith("#"):
        return None
    clean = ET.Element(name, attributes)
    keeps_text = name in TEXT_ELEMENTS
    if keeps_text and element.text:
        clean.text = element.text
    for child in element:
        kept = _clean_element(child, depth=depth + 1, counter=counter, parent_keeps_text=keeps_text)
        if kept is not None:
            clean.append(kept)
    if parent_keeps_text and element.tail:
        clean.tail = element.tail
    return clean


def _clean_attributes(element: ET.Element) -> dict[str, str]:
    kept: dict[str, str] = {}
    for key, value in element.attrib.items():
        if key.startswith("{"):
            namespace, _, local = key[1:].partition("}")
            allowed = (namespace == XLINK_NS and local == "href") or (namespace == XML_NS and local == "space")
            if not allowed:
                continue
        else:
            local = key
        if local.lower().startswith("on") or not _safe_value(local, value):
            continue
        kept[key] = value
    return kept


def _safe_value(name: str, value: str) -> bool:
    squeezed = "".join(ch for ch in value if not ch.isspace() and ord(ch) >= 0x20).lower()
    if name.lower() == "href":
        return squeezed.startswith("#")
    if "\\" in squeezed or "&#" in squeezed:  # CSS escapes could spell url( or javascript: another way
        return False
    if any(word in squeezed for word in _HOSTILE_VALUE):
        return False
    return len(_URL_REF.findall(squeezed)) == len(_LOCAL_URL_REF.findall(squeezed))


def _draws_something(element: ET.Element) -> bool:
    name = _local_name(element)
    if name in NOT_RENDERED:
        return False
    if name in DRAWABLE and (name not in ("text",) or "".join(element.itertext()).strip()):
        return True
    return any(_draws_something(child) for child in element)


# ------------------------------------------------------------------ expansion bound
def check_expansion(root: ET.Element) -> None:
    """InvalidRequest (param `logo`) when `root` draws more than MAX_DRAWN_ELEMENTS elements or
    nests deeper than MAX_SVG_DEPTH once every reference is resolved, or refers to itself."""
    _Expansion(root).measure(root, depth=1)


def expansion_error(raw: bytes) -> str | None:
    """Why a stored (already sanitised) SVG is over the bounds, or None: a PDF checks a logo
    stored before the bounds existed before it draws it."""
    try:
        sanitize_svg(raw)
    except InvalidRequest as error:
        return str(error)
    return None


class _Expansion:
    """Each element's size (elements drawn) and height (levels) with its references resolved,
    worked out once per element, so that a document is measured in time linear in its size."""

    def __init__(self, root: ET.Element) -> None:
        self.by_id: dict[str, list[ET.Element]] = {}
        for element in root.iter():
            if element.get("id"):
                self.by_id.setdefault(str(element.get("id")), []).append(element)
        self.measured: dict[int, tuple[int, int]] = {}
        self.open: set[int] = set()

    def measure(self, element: ET.Element, *, depth: int) -> tuple[int, int]:
        """(size, height) of `element`; `depth` is the level it is reached at (1: the root)."""
        known = self.measured.get(id(element))
        if known is None:
            if id(element) in self.open:
                raise _logo_error("logo SVG refers to itself (a <use> or url(#…) reference loop).")
            self._check_depth(depth)
            self.open.add(id(element))
            size, height = 1, 1
            for child in [*element, *self._targets(element)]:
                child_size, child_height = self.measure(child, depth=depth + 1)
                size, height = size + child_size, max(height, child_height + 1)
                if size > MAX_DRAWN_ELEMENTS:
                    raise _logo_error(
                        f"logo SVG draws more than {MAX_DRAWN_ELEMENTS:,} elements once its <use> "
                        "references are resolved."
                    )
            self.open.discard(id(element))
            known = self.measured[id(element)] = (size, height)
        self._check_depth(depth - 1 + known[1])
        return known

    def _targets(self, element: ET.Element) -> list[ET.Element]:
        """The elements `element` refers to (`href="#id"`, `url(#id)`); with a repeated id, every
        element holding it counts (a renderer may pick any of them)."""
        names: list[str] = []
        for key, value in element.attrib.items():
            if key in ("href", f"{{{XLINK_NS}}}href") and value.startswith("#"):
                names.append(value[1:])
            names += _REFERENCE.findall(value)
        return [target for name in names for target in self.by_id.get(name, ())]

    @staticmethod
    def _check_depth(depth: int) -> None:
        if depth > MAX_SVG_DEPTH:
            raise _logo_error(
                f"logo SVG is nested more than {MAX_SVG_DEPTH} levels deep once its <use> references are resolved."
            )
