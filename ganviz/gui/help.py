"""The Help page, "What am I looking at?": a non-modal dialog that renders ``ganviz.core.help_text``
(the text the docs share) with colour chips drawn from the colours the views really use.

``add_help_action`` puts its entry (F1) into a menu; ``show_help(parent, section_id)`` opens
it (one per parent) at a section.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QUrl
from PySide6.QtGui import QAction, QColor, QImage, QKeySequence, QPainter, QTextDocument
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QTextBrowser, QVBoxLayout, QWidget

from ganviz.core import help_text
from ganviz.core.names import ESTIMATORS
from ganviz.views import run_panel, theme

TITLE = "What am I looking at?"
SIZE = (860, 760)  # preferred; a small screen gets at most SCREEN_SHARE of it
SCREEN_SHARE = 0.9
CHIP = (14, 12)  # pixels: a colour's chip
RAMP = (44, 12)  # pixels: a colour map's ramp
LINK_COLOR = "#7fb8ff"
DIM = "#9aa3b2"
STYLE = f"""
body {{ color: {theme.FOREGROUND}; }}
h2 {{ color: #ffffff; margin-top: 18px; margin-bottom: 4px; }}
h3 {{ color: #ffffff; margin-top: 12px; margin-bottom: 2px; }}
p, li {{ margin-top: 2px; margin-bottom: 4px; }}
a {{ color: {LINK_COLOR}; }}
code {{ color: #e6c07b; }}
.contents {{ color: {DIM}; }}
"""


def _rgba(color) -> QColor:
    """A QColor from '#rrggbb[aa]' or an (r, g, b[, a]) tuple."""
    return QColor(*color) if isinstance(color, tuple) else QColor(color)


def _chip(color) -> QImage:
    """A filled square of ``color`` on the panel background (so alpha shows as it does there)."""
    image = QImage(*CHIP, QImage.Format.Format_RGB32)
    image.fill(QColor(run_panel.PANEL_BACKGROUND))
    painter = QPainter(image)
    painter.fillRect(1, 1, CHIP[0] - 2, CHIP[1] - 2, _rgba(color))
    painter.end()
    return image


def _strip(colors: list) -> QImage:
    """Colours side by side in equal blocks (low to high for a colour map)."""
    image = QImage(RAMP[0], RAMP[1], QImage.Format.Format_RGB32)
    image.fill(QColor(run_panel.PANEL_BACKGROUND))
    painter = QPainter(image)
    n = len(colors)
    for k, color in enumerate(colors):
        x0, x1 = round(k * RAMP[0] / n), round((k + 1) * RAMP[0] / n)
        painter.fillRect(x0, 0, x1 - x0, RAMP[1], _rgba(color))
    painter.end()
    return image


def _ramp(cmap_name: str) -> QImage:
    """A colour map from its low (left) to its high end (right)."""
    lut = pg.colormap.get(cmap_name).getLookupTable(nPts=RAMP[0], alpha=False)
    return _strip([tuple(int(v) for v in row[:3]) for row in np.asarray(lut)])


def swatch_images() -> dict[str, QImage]:
    """Each swatch role of the help text -> its image, from the colours the panels draw."""
    out = {
        "density": _ramp(theme.DENSITY_CMAP),
        "disc": _ramp(theme.DISC_CMAP),
        "sigma": _ramp(theme.SIGMA_CMAP),
        "fakes": _chip(run_panel.FAKE_COLOR),
        "field": _chip(run_panel.FIELD_COLOR),
        "fake_field": _chip(run_panel.FAKE_FIELD_COLOR),
        "smooth": _chip(run_panel.SMOOTH_COLOR),
        "manifold": _chip(run_panel.MANIFOLD_COLOR),
        "real": _chip(run_panel.REAL_COLOR),
        "ellipses": _chip(run_panel.ELLIPSE_COLOR),
        "estimators": _strip([theme.ESTIMATOR_COLORS[e] for e in ESTIMATORS]),
    }
    for est, color in theme.ESTIMATOR_COLORS.items():
        out[f"estimator:{est}"] = _chip(color)
    return out


def page_html(swatch_roles: set[str] | frozenset[str] = frozenset()) -> str:
    """The whole page as HTML: a line of links to the chapters, then every section; roles in
    ``swatch_roles`` get an image (``swatch:ROLE``) before their title."""
    chapters = [s for s in help_text.SECTIONS if s.level == 1 and s.id != "overview"]
    links = " · ".join(f'<a href="#{s.id}">{s.title}</a>' for s in chapters)
    tags = {role: f'<img src="swatch:{role}"> ' for role in swatch_roles}
    return (f"<html><body><p class='contents'>Contents: {links}</p>"
            f"{help_text.to_html(tags)}</body></html>")


class HelpDialog(QDialog):
    """The Help page: every layer, colour, estimator and curve, and equation 1; non-modal, so
    it can stay open beside the window."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"ganviz — {TITLE}")
        self.setModal(False)
        self.browser = QTextBrowser()
        self.browser.setOpenExternalLinks(True)
        self.browser.setStyleSheet(
            f"QTextBrowser {{ background: {theme.BACKGROUND}; color: {theme.FOREGROUND}; "
            "border: none; padding: 6px 10px; }")
        doc = self.browser.document()
        doc.setDefaultStyleSheet(STYLE)
        images = swatch_images()
        for role, image in images.items():
            doc.addResource(QTextDocument.ResourceType.ImageResource, QUrl(f"swatch:{role}"),
                            image)
        self.browser.setHtml(page_html(set(images)))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 6)
        layout.addWidget(self.browser)
        layout.addWidget(buttons)
        self._fit_screen(parent)

    def _fit_screen(self, parent: QWidget | None) -> None:
        """The preferred size, or less on a small screen."""
        screen = (parent.screen() if parent is not None else self.screen()).availableGeometry()
        self.resize(min(SIZE[0], int(screen.width() * SCREEN_SHARE)),
                    min(SIZE[1], int(screen.height() * SCREEN_SHARE)))

    def show_section(self, section_id: str) -> None:
        """Scroll to a section (``help_text`` ids, e.g. ``curve-modes``; KeyError if unknown)."""
        help_text.section(section_id)
        self.browser.scrollToAnchor(section_id)


def show_help(parent: QWidget, section_id: str | None = None) -> HelpDialog:
    """Open (or raise) ``parent``'s Help page, at ``section_id`` if given."""
    dialog = getattr(parent, "_help_dialog", None)
    if not isinstance(dialog, HelpDialog):
        dialog = HelpDialog(parent)
        parent._help_dialog = dialog
    if dialog.isVisible():  # already open, maybe behind the window: bring it forward
        dialog.raise_()
        dialog.activateWindow()
    dialog.show()
    if section_id is not None:
        dialog.show_section(section_id)
    return dialog


def add_help_action(menu, parent: QWidget) -> QAction:
    """Add "What am I looking at?" (F1) to ``menu``; it opens ``parent``'s Help page."""
    action = QAction(TITLE, parent)
    action.setShortcut(QKeySequence("F1"))
    action.setToolTip("What each panel, layer, colour, curve and estimator shows (F1)")
    action.triggered.connect(lambda: show_help(parent))
    menu.addAction(action)
    return action


__all__ = ["HelpDialog", "add_help_action", "page_html", "show_help", "swatch_images"]
