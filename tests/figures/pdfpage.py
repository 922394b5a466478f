"""Reading a written PDF's page size, for the tests of figures' print sizes."""

from __future__ import annotations

import re


def page_points(data: bytes) -> tuple[float, float]:
    """The width and height, in points, of the (first) page of the PDF ``data``."""
    box = re.search(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", data)
    assert box is not None, "no MediaBox in the PDF"
    return float(box.group(1)), float(box.group(2))
