"""Make Qt's SVG output portable: stack several drawings into one, flatten cosmetic strokes.

``QSvgGenerator`` writes SVG that only Qt reads as meant:

- the clip paths of a widget rendered at an offset are written without that offset, so every
  plot below the first widget is clipped away (Inkscape, browsers); each widget is therefore
  drawn into its own SVG at the origin and moved by a ``translate`` on a group here, which
  moves its clip paths with it;
- a cosmetic (1-pixel) pen inside a scaled group is written as ``vector-effect:
  non-scaling-stroke``, which librsvg and resvg ignore: a 1-px line under a x60 plot scale
  becomes 60 px wide and the panels drown in filled shapes. Such groups get their points
  mapped to the page here and their scale dropped, so the stroke is 1 px in every renderer;
- text names Qt's alias for the default font ("Sans Serif"), which no other renderer knows
  (resvg then draws no text at all): the family Qt really used is named instead, then the
  generic ``sans-serif``.

Plain XML work (no Qt), so it is testable on its own.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence

SVG = "http://www.w3.org/2000/svg"
XLINK = "http://www.w3.org/1999/xlink"
ET.register_namespace("", SVG)
ET.register_namespace("xlink", XLINK)

NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_MATRIX = re.compile(r"^\s*matrix\(([^)]*)\)\s*$")
_PAIR = re.compile(rf"({NUMBER})\s*,\s*({NUMBER})")
_URL = re.compile(r"url\(#([^)]+)\)")
SHAPES = ("path", "polyline", "polygon", "rect")
Matrix = tuple[float, float, float, float, float, float]


def _tag(name: str) -> str:
    return f"{{{SVG}}}{name}"


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _matrix(text: str | None) -> Matrix | None:
    match = _MATRIX.match(text or "")
    if match is None:
        return None
    values = [float(v) for v in re.findall(NUMBER, match.group(1))]
    return tuple(values) if len(values) == 6 else None  # type: ignore[return-value]


def _fmt(v: float) -> str:
    return f"{v:.6g}"


def _map_pairs(text: str, m: Matrix) -> str:
    """Every ``x,y`` pair of a path's d or a polyline's points, mapped by ``m``."""
    a, b, c, d, e, f = m

    def one(match: re.Match) -> str:
        x, y = float(match.group(1)), float(match.group(2))
        return f"{_fmt(a * x + c * y + e)},{_fmt(b * x + d * y + f)}"

    return _PAIR.sub(one, text)


def _flattenable(group: ET.Element) -> bool:
    """A scaled group whose children are all shapes drawn with cosmetic pens (or unstroked),
    whose coordinates are all absolute pairs: its scale can move into the points."""
    if len(group) == 0 or (group.text and group.text.strip()):
        return False
    unstroked = group.get("stroke") == "none"
    for child in group:
        if _local(child.tag) not in SHAPES or len(child):
            return False
        if not unstroked and child.get("vector-effect") != "non-scaling-stroke":
            return False
        if _local(child.tag) == "path" and re.search(r"[^MLCZ\d\s,.eE+-]", child.get("d", "")):
            return False  # arcs or relative commands: keep the group as Qt wrote it
    return True


def _flatten(group: ET.Element, m: Matrix) -> None:
    for child in group:
        kind = _local(child.tag)
        if kind == "path":
            child.set("d", _map_pairs(child.get("d", ""), m))
        elif kind in ("polyline", "polygon"):
            child.set("points", _map_pairs(child.get("points", ""), m))
        else:  # rect: as a closed path, since the mapped rectangle may be flipped
            x, y = float(child.get("x", 0)), float(child.get("y", 0))
            w, h = float(child.get("width", 0)), float(child.get("height", 0))
            corners = f"M{x},{y} L{x + w},{y} L{x + w},{y + h} L{x},{y + h} Z"
            for name in ("x", "y", "width", "height", "rx", "ry"):
                child.attrib.pop(name, None)
            child.tag = _tag("path")
            child.set("d", _map_pairs(corners, m))
    del group.attrib["transform"]


def drop_empty_paths(root: ET.Element) -> None:
    """Remove ``<path d="">`` (Qt writes them for empty shapes; its own reader then warns
    "Invalid path data"); an empty path draws nothing, and a clip path left empty still clips
    everything away, as before."""
    for parent in root.iter():
        for child in [c for c in parent if _local(c.tag) == "path" and not c.get("d", "").strip()]:
            parent.remove(child)


def flatten_cosmetic(root: ET.Element) -> int:
    """Map the points of every scaled group of cosmetic strokes to the page (see the module
    docstring); returns how many groups changed."""
    changed = 0
    for group in root.iter(_tag("g")):
        m = _matrix(group.get("transform"))
        if m is None or m[:4] == (1.0, 0.0, 0.0, 1.0):
            continue
        if _flattenable(group):
            _flatten(group, m)
            changed += 1
    return changed


def name_fonts(root: ET.Element, families: dict[str, str]) -> None:
    """Every ``font-family``: the family Qt drew with (``families`` maps Qt's names to real
    ones), then the generic sans-serif as a fallback."""
    for el in root.iter():
        family = el.get("font-family")
        if family and "," not in family:
            el.set("font-family", f"'{families.get(family, family)}', sans-serif")


def _rename_ids(root: ET.Element, prefix: str) -> None:
    """Prefix every id and every ``url(#id)`` / ``xlink:href="#id"`` reference."""
    href = f"{{{XLINK}}}href"
    for el in root.iter():
        if "id" in el.attrib:
            el.set("id", prefix + el.get("id"))
        for key, value in list(el.attrib.items()):
            if "url(#" in value:
                el.set(key, _URL.sub(lambda mt: f"url(#{prefix}{mt.group(1)})", value))
            elif key == href and value.startswith("#"):
                el.set(key, "#" + prefix + value[1:])


def stack(parts: Sequence[tuple[bytes, float, float]], width: int, height: int, title: str,
          background: str, families: dict[str, str] | None = None,
          per_inch: float | None = None) -> bytes:
    """One SVG of ``width`` x ``height`` px on ``background``: each part (an SVG of
    QSvgGenerator, with its offset x, y) moved into place, its cosmetic strokes flattened, its
    fonts named (``families``: Qt's font names to the families drawn). ``per_inch``: the
    figure's pixels per printed inch, so its size is stated in inches (a print figure)."""
    size = ((f"{width}px", f"{height}px") if per_inch is None
            else (f"{_fmt(width / per_inch)}in", f"{_fmt(height / per_inch)}in"))
    root = ET.Element(_tag("svg"), {"width": size[0], "height": size[1],
                                    "viewBox": f"0 0 {width} {height}", "version": "1.1"})
    ET.SubElement(root, _tag("title")).text = title
    defs = ET.SubElement(root, _tag("defs"))
    ET.SubElement(root, _tag("rect"), {"x": "0", "y": "0", "width": str(width),
                                       "height": str(height), "fill": background})
    for i, (data, dx, dy) in enumerate(parts):
        part = ET.fromstring(data)
        _rename_ids(part, f"p{i}-")
        drop_empty_paths(part)
        flatten_cosmetic(part)
        name_fonts(part, families or {})
        group = ET.SubElement(root, _tag("g"), {"transform": f"translate({_fmt(dx)},{_fmt(dy)})"})
        for child in part:
            kind = _local(child.tag)
            if kind == "defs":
                defs.extend(list(child))
            elif kind not in ("title", "desc"):
                group.append(child)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)
