"""The figures' themes: estimator colours that survive colour-vision deficiencies, both themes
complete, --theme on the command line, and the portable SVG rewriting (no Qt needed)."""

from __future__ import annotations

import dataclasses
import itertools
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from ganviz.figures import svgdoc
from ganviz.views import theme
from tests.conftest import run_cli

# Machado, Oliveira & Fernandes (2009), severity 1.0, applied to linear sRGB
CVD = {
    "protanopia": [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216],
                   [-0.003882, -0.048116, 1.051998]],
    "deuteranopia": [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413],
                     [-0.011820, 0.042940, 0.968881]],
    "tritanopia": [[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602],
                   [0.004733, 0.691367, 0.303900]],
}
MIN_DELTA_E = 15.0  # CIE76 distance of the closest pair: clearly apart, even as small lines
OLD_PALETTE = ["#4C72B0", "#DD8452", "#55A868", "#C44E52"]  # seaborn "deep", the former one


def _linear(hex_colors: list[str]) -> np.ndarray:
    c = np.array([[int(h[i:i + 2], 16) for i in (1, 3, 5)] for h in hex_colors]) / 255.0
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def _lab(linear: np.ndarray) -> np.ndarray:
    xyz = linear @ np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722],
                             [0.0193, 0.1192, 0.9505]]).T
    xyz = xyz / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > 216 / 24389, np.cbrt(xyz), (24389 / 27 * xyz + 16) / 116)
    return np.stack([116 * f[:, 1] - 16, 500 * (f[:, 0] - f[:, 1]),
                     200 * (f[:, 1] - f[:, 2])], axis=-1)


def closest_pair(hex_colors: list[str], matrix=None) -> float:
    """The smallest CIE76 distance between two of the colours, as seen through ``matrix``."""
    lin = _linear(hex_colors)
    if matrix is not None:
        lin = np.clip(lin @ np.asarray(matrix).T, 0.0, 1.0)
    lab = _lab(lin)
    return min(float(np.linalg.norm(a - b)) for a, b in itertools.combinations(lab, 2))


@pytest.mark.parametrize("deficiency", [None, *CVD])
def test_estimator_colours_stay_apart(deficiency):
    colors = list(theme.ESTIMATOR_COLORS.values())
    assert closest_pair(colors, CVD.get(deficiency)) > MIN_DELTA_E


def test_the_check_fails_the_former_palette():
    worst = min(closest_pair(OLD_PALETTE, m) for m in CVD.values())
    assert worst < MIN_DELTA_E


def test_okabe_ito_colours():
    assert theme.ESTIMATOR_COLORS == {"plugin": "#0072B2", "reparam_fixed": "#E69F00",
                                      "reparam_learned": "#009E73", "score": "#D55E00"}


def test_themes_are_complete_and_paper_is_light():
    from PySide6.QtGui import QColor

    for look in (theme.DARK, theme.PAPER):
        for f in dataclasses.fields(look):
            value = getattr(look, f.name)
            if isinstance(value, str) and value.startswith("#"):
                assert QColor(value).isValid(), (look.name, f.name)
    assert theme.PAPER.background == "#ffffff" == theme.PAPER.panel_background
    assert QColor(theme.PAPER.foreground).lightness() < 60
    assert theme.theme_named("paper") is theme.PAPER
    with pytest.raises(ValueError, match="dark, paper"):
        theme.theme_named("sepia")


def test_paper_density_map_starts_white_and_darkens():
    import pyqtgraph as pg

    cmap = pg.colormap.get(theme.PAPER.density_cmap)
    rgb = np.array([cmap.map(t, mode="byte")[:3] for t in np.linspace(0, 1, 9)], dtype=float)
    luma = rgb @ [0.2126, 0.7152, 0.0722]
    assert (rgb[0] >= 250).all()
    assert (np.diff(luma) < 0).all()  # monotonic lightness: reads in greyscale print


def test_cli_themes_match_the_gui():
    from ganviz.cli.args import THEMES

    assert tuple(THEMES) == tuple(theme.THEMES)


def test_cli_theme_is_checked(capsys):
    code, _, err = run_cli(["train", "--steps", "1", "--figures", "--theme", "sepia",
                            "--out", "x"], capsys)
    assert code != 0
    assert "--theme" in err and "paper" in err


# ----------------------------------------------------------------- svgdoc
QT_LIKE = """<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100">
<defs><clipPath id="clipPath1"><path d="M0,0 L50,0 L50,50 L0,50 Z"/></clipPath></defs>
<g clip-path="url(#clipPath1)"><g fill="none" stroke="#ff0000" stroke-width="1"
 transform="matrix(10,0,0,-10,20,80)" font-family="Sans Serif">
<path vector-effect="non-scaling-stroke" d="M0,0 L1,2 Z"/>
<polyline vector-effect="non-scaling-stroke" points="1,1 2,1 "/>
<rect vector-effect="non-scaling-stroke" x="0" y="0" width="1" height="1"/>
</g></g>
<g stroke="#000000" transform="matrix(10,0,0,10,0,0)"><path vector-effect="none" d="M0,0 L1,1"/></g>
<g transform="matrix(1,0,0,1,5,5)"><text font-family="Sans Serif">a</text></g>
</svg>"""


def test_stack_flattens_cosmetic_strokes_and_moves_clips():
    data = svgdoc.stack([(QT_LIKE.encode(), 0, 0), (QT_LIKE.encode(), 0, 100)], 100, 200,
                        "t", "#ffffff", {"Sans Serif": "DejaVu Sans"})
    root = ET.fromstring(data)
    ns = {"s": svgdoc.SVG}
    ds = [el.get("d") for el in root.iter(f"{{{svgdoc.SVG}}}path")]
    assert ds.count("M20,80 L30,60 Z") == 2  # the cosmetic path, mapped by its matrix
    assert ds.count("M20,80 L30,80 L30,70 L20,70 Z") == 2  # the rect, as a mapped path
    points = [el.get("points").strip() for el in root.iter(f"{{{svgdoc.SVG}}}polyline")]
    assert points == ["30,70 40,70"] * 2
    assert ds.count("M0,0 L1,1") == 2  # a scaling stroke is left as Qt wrote it
    scaled = [g for g in root.iter(f"{{{svgdoc.SVG}}}g")
              if (svgdoc._matrix(g.get("transform")) or (1, 0, 0, 1))[:4] != (1, 0, 0, 1)]
    assert len(scaled) == 2  # the non-cosmetic (scaling) strokes keep their transform
    ids = [c.get("id") for c in root.find("s:defs", ns)]
    assert ids == ["p0-clipPath1", "p1-clipPath1"]
    uses = [g.get("clip-path") for g in root.iter() if g.get("clip-path")]
    assert uses == ["url(#p0-clipPath1)", "url(#p1-clipPath1)"]
    moved = [g.get("transform") for g in root.findall("s:g", ns)]
    assert moved == ["translate(0,0)", "translate(0,100)"]
    fonts = {el.get("font-family") for el in root.iter() if el.get("font-family")}
    assert fonts == {"'DejaVu Sans', sans-serif"}


def test_train_figures_take_the_theme(small_toml, tmp_path, capsys, monkeypatch):
    """--theme reaches the figures (the drawing itself is tested in test_export_render)."""
    from ganviz.figures import comparison as headless

    seen = []
    monkeypatch.setattr(headless, "write_figures",
                        lambda snap, out, theme="dark": seen.append(theme) or [])
    code, stdout, _ = run_cli(["train", "--config", small_toml, "--steps", "2", "--out",
                               tmp_path / "o", "--quiet", "--figures", "--theme", "paper"],
                              capsys)
    assert code == 0, stdout
    assert seen == ["paper"]
