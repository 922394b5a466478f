"""The look of a plot, shared by the run panels, the curves dock and the offline figures
(equation 1, variance, study): titles that never widen their plot and are cut with an
ellipsis line by line rather than clipped (:class:`TitleLabel`), axes with tidy ticks, legend
samples, and text sized by the theme (``Theme.text``, ``Theme.room``)."""

from __future__ import annotations

import math

import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QFont, QTextCursor

from ganviz.views.theme import DARK, Theme

# text sizes are the theme's (``Theme.text``); the pixel sizes below are the window's room
# for that text, widened by ``Theme.room`` for a theme with larger text
TITLE_HEIGHT = 24
LEFT_AXIS_WIDTH = 52
BOTTOM_AXIS_HEIGHT = 32
AXIS_OVERHANG = 10
TICK_CHAR_PX = 6  # a tick label's digit at the window's tick size, a little generous (px)
TICK_GAP = 14  # at least this much room between two step labels (px)
TICK_LINE_PX = 16  # a tick label's line at the window's tick size and a little room (px)
ELLIPSIS = "…"
LOG_DECADES_AS_POWERS = 3.5
SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def _next_nice(x: float) -> float:
    """The next of 1, 2, 5, 10, 20, ... (times a power of ten) above ``x``."""
    unit = 10.0 ** math.floor(math.log10(x))
    return next(f * unit for f in (1, 2, 5, 10) if f * unit > x * (1 + 1e-9))


def _power_of_ten(k: int) -> str:
    return "1" if k == 0 else "10" + str(k).translate(SUPERSCRIPT)


def _log_factors(span: float) -> tuple[int, ...]:
    """The mantissas a log axis over ``span`` decades may label: decades, and on short
    ranges 5s and 2s too, in the order they are placed."""
    return (1, 5, 2) if span < 1.5 else (1,)


def _log_label(k: int, factor: int, span: float) -> str:
    """The label of ``factor`` x 10^k on a log axis over ``span`` decades (decades as 10⁻³
    when many)."""
    if factor == 1 and span > LOG_DECADES_AS_POWERS:
        return _power_of_ten(k)
    return f"{factor * 10.0**k:g}"


class LegendSample(pg.ItemSample):
    """A legend sample: a line (and a band for learned sigma); dimmed when hidden, not clickable."""

    def __init__(self, item: pg.PlotDataItem) -> None:
        super().__init__(item)
        self.setFixedWidth(26)

    def boundingRect(self) -> QRectF:
        return QRectF(0, 0, 26, 20)

    def paint(self, p, *args) -> None:
        p.setRenderHint(p.RenderHint.Antialiasing)
        pen = pg.mkPen(self.item.opts["pen"])
        pen.setWidthF(max(2.0, pen.widthF()))  # thin plot lines read better a little wider here
        band = self.item.opts.get("fillBrush")
        if not self.item.isVisible():
            p.setOpacity(0.3)
        if band is not None:
            p.fillRect(QRectF(1, 5, 24, 12), pg.mkBrush(band))
        p.setPen(pen)
        p.drawLine(QPointF(1, 11), QPointF(25, 11))

    def mouseClickEvent(self, event) -> None:
        event.ignore()


class TidyAxis(pg.AxisItem):
    """An axis with tidy log labels whose edge labels may overhang a little with the grid on.

    pyqtgraph drops labels that leave ``boundingRect()``, and with a grid that rect has no
    overhang margin, so the labels at the ends of a fixed range (0 and 1) would vanish.
    ``room``: the theme's room for text (``Theme.text_room``), for the tick labels' spacing.
    """

    def __init__(self, orientation: str, room: float = 1.0) -> None:
        super().__init__(orientation)
        self.room = room

    @property
    def vertical(self) -> bool:
        return self.orientation in ("left", "right")

    def tickStrings(self, values, scale, spacing) -> list[str]:
        """Log axes: decades (as 10⁻³ when many), plus 2 and 5 on short ranges, each only
        where its label keeps clear of the labels already placed (:meth:`log_labelled`)."""
        if not self.logMode:
            return super().tickStrings(values, scale, spacing)
        low, high = sorted(self.range)
        span = high - low
        geometry = self.geometry()
        shown = self.log_labelled(low, high,
                                  geometry.height() if self.vertical else geometry.width())
        out = []
        for v in values:
            k = math.floor(v + 1e-6)
            mantissa = round(10 ** (v - k), 3)
            labelled = mantissa in _log_factors(span) and (shown is None or round(v, 6) in shown)
            out.append(_log_label(k, int(mantissa), span) if labelled else "")
        return out

    def log_labelled(self, low: float, high: float, length: float) -> set[float] | None:
        """The log10 values on ``[low, high]`` that get a label on an axis ``length`` px long:
        decades first, then fives and twos (short ranges only), each taken only if it keeps
        a label's room from those taken before; None when the length is not known yet."""
        span = high - low
        if not 0 < span < math.inf or not 0 < length < math.inf:
            return None
        per_value = length / span
        taken: list[tuple[float, float]] = []  # (value, room its label needs)
        for factor in _log_factors(span):
            for k in range(math.floor(low), math.ceil(high) + 1):
                v = k + math.log10(factor)
                if not low - 1e-9 <= v <= high + 1e-9:
                    continue
                room = (TICK_LINE_PX if self.vertical
                        else len(_log_label(k, factor, span)) * TICK_CHAR_PX + TICK_GAP) * self.room
                if all(abs(v - u) * per_value >= (room + other) / 2 for u, other in taken):
                    taken.append((v, room))
        return {round(v, 6) for v, _ in taken}

    def tickSpacing(self, minVal: float, maxVal: float, size: float) -> list:
        """pyqtgraph's spacing, widened on a short axis until the labels (steps as "1200"
        side by side, values one above the other) no longer run into each other; the old
        major ticks become the minor ones."""
        levels = super().tickSpacing(minVal, maxVal, size)
        span = abs(maxVal - minVal)
        if self.logMode or not levels or not 0 < span < math.inf or not 0 < size < math.inf:
            return levels

        def need(step: float) -> float:  # px between two labels' centres
            if self.vertical:
                return TICK_LINE_PX * self.room
            low, high = sorted((minVal, maxVal))
            ends = (math.ceil(low / step) * step, math.floor(high / step) * step)
            return (max(len(f"{v:g}") for v in ends) * TICK_CHAR_PX + TICK_GAP) * self.room

        major = levels[0][0]
        while major / span * size < need(major):
            major = _next_nice(major)
        if major == levels[0][0]:
            return levels
        # the old major ticks stay as minor ones only where they fall between the new
        # (2 under 10, not 2 under 5: that would label 4, 5, 6 side by side)
        divides = abs(major / levels[0][0] - round(major / levels[0][0])) < 1e-9
        return [(major, 0), levels[0]] if divides else [(major, 0)]

    def boundingRect(self) -> QRectF:
        rect = super().boundingRect()
        if self.vertical:
            return rect.adjusted(0, -AXIS_OVERHANG, 0, AXIS_OVERHANG)
        return rect.adjusted(-AXIS_OVERHANG, 0, AXIS_OVERHANG, 0)


def elide_title(label: pg.LabelItem) -> None:
    """Fit ``label``'s text to its width: each line too wide for it is cut at the right with
    an ellipsis, colours kept, the other lines left whole.

    The full text stays in ``label.text`` (what ``setTitle`` was given); only the drawn
    document is shortened, again from the full text at every resize.
    """
    key = (label.text, repr(sorted(label.opts.items())))
    full = getattr(label, "_full_title", None)
    if full is None or full[0] != key:  # setText has just drawn the full text
        full = (key, label.item.document().clone())  # no parent: freed when replaced
        label._full_title = full
    doc = full[1]
    width = label.rect().width()
    if doc.size().width() <= width or width <= 0:
        if label.item.toPlainText() != doc.toPlainText():
            label.item.setHtml(doc.toHtml())
        return
    shown = doc.clone()
    plain = shown.toPlainText()  # one character per cursor position; lines split by "\n"
    bounds, start = [], 0
    for line in plain.split("\n"):
        bounds.append((start, start + len(line)))
        start += len(line) + 1
    for start, end in reversed(bounds):  # from the last line, so earlier positions hold
        if _line_width(shown, start, end) <= width:
            continue
        lo, hi = start, end  # the end of the longest kept part that fits: in [lo, hi)
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if _line_width(_cut(shown, mid, end), start, mid + 1) <= width:
                lo = mid
            else:
                hi = mid
        while lo > start and plain[lo - 1] in " ·(,;:":  # no ellipsis after a separator
            lo -= 1
        shown = _cut(shown, lo, end)
    label.item.setHtml(shown.toHtml())


def _cut(doc, start: int, end: int):
    """A copy of ``doc`` with the characters in [start, end) replaced by an ellipsis."""
    part = doc.clone()
    cursor = QTextCursor(part)
    cursor.setPosition(start)
    cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
    cursor.removeSelectedText()
    cursor.insertText(ELLIPSIS)
    return part


def _line_width(doc, start: int, end: int) -> float:
    """The width ``doc`` would have with only the characters in [start, end) (one line)."""
    part = doc.clone()
    cursor = QTextCursor(part)
    cursor.setPosition(end)
    cursor.movePosition(QTextCursor.MoveOperation.End, QTextCursor.MoveMode.KeepAnchor)
    cursor.removeSelectedText()
    cursor.setPosition(0)
    cursor.setPosition(start, QTextCursor.MoveMode.KeepAnchor)
    cursor.removeSelectedText()
    return part.size().width()


class TitleLabel(pg.LabelItem):
    """A plot's title that never widens its plot: no minimum width (a plain LabelItem
    raises it to its text at every resize, widening the plot's column, the dock, or the
    panel beyond its grid cell), and with ``prefer_text=False`` no preferred width either
    (a curve plot's column then follows its stretch only). Wider than its plot, each line
    is cut with an ellipsis (:func:`elide_title`) and drawn only inside the label's
    rectangle, so a narrow plot's title never runs into its neighbour's."""

    def __init__(self, *args, prefer_text: bool = True, **kwargs) -> None:
        self.prefer_text = prefer_text  # before LabelItem's __init__, which calls updateMin
        super().__init__(*args, **kwargs)
        self.setFlag(self.GraphicsItemFlag.ItemClipsChildrenToShape)

    def resizeEvent(self, ev) -> None:
        """Cut the full text to the width (also after ``setText``, which calls this), then
        place it as pyqtgraph does."""
        elide_title(self)
        super().resizeEvent(ev)

    def updateMin(self) -> None:
        """The text's height as the minimum height, no minimum width (pyqtgraph's own
        would first raise the minimum width, and so the width, to the text's)."""
        bounds = self.itemRect()
        height = bounds.height()
        self.setMinimumWidth(0)
        self.setMinimumHeight(height)
        preferred = bounds.width() if self.prefer_text else 0.0
        self._sizeHint = {Qt.SizeHint.MinimumSize: (0.0, height),
                          Qt.SizeHint.PreferredSize: (preferred, height),
                          Qt.SizeHint.MaximumSize: (-1, -1),
                          Qt.SizeHint.MinimumDescent: (0, 0)}
        self.updateGeometry()


def use_title_label(plot: pg.PlotItem, prefer_text: bool = True) -> TitleLabel:
    """Replace ``plot``'s title label by a :class:`TitleLabel` spanning the plot's whole
    width (its axes too)."""
    old = plot.titleLabel
    plot.layout.removeItem(old)
    if old.scene() is not None:
        old.scene().removeItem(old)
    old.setParentItem(None)
    label = TitleLabel("", size="11pt", parent=plot, prefer_text=prefer_text)
    plot.layout.addItem(label, 0, 0, 1, 3)
    plot.titleLabel = label
    return label


def plot_item(look: Theme = DARK) -> pg.PlotItem:
    """A plot whose long title is elided (cut with an ellipsis) rather than widening its
    column or being clipped on both sides; its axes space their labels for ``look``'s text."""
    plot = pg.PlotItem(axisItems={side: TidyAxis(side, look.text_room)
                                  for side in ("left", "bottom")})
    use_title_label(plot, prefer_text=False)
    return plot


def set_title(plot: pg.PlotItem, title: str, look: Theme = DARK) -> None:
    """The curves' title, in ``look``'s title size, in a fixed-height row."""
    plot.setTitle(title, size=look.css(look.text.title))
    plot.layout.setRowFixedHeight(0, look.room(TITLE_HEIGHT))
    plot.titleLabel.setMaximumHeight(look.room(TITLE_HEIGHT))


def style_plot(plot: pg.PlotItem, title: str, left: str, bottom: str,
               theme: Theme = DARK) -> None:
    """The curves' look: title, grid, tick font and axis labels, in ``theme``'s colours."""
    font = QFont()
    font.setPointSizeF(theme.font_points(theme.text.tick))
    plot.titleLabel.opts["color"] = theme.foreground  # kept by every later set_title
    set_title(plot, title, theme)
    plot.showGrid(x=True, y=True, alpha=theme.grid_alpha)
    plot.hideButtons()
    for side, text in (("left", left), ("bottom", bottom)):
        axis = plot.getAxis(side)
        # maxTickLevel 1: no sub-minor ticks, so no dense grids (each grid line costs paint time)
        axis.setStyle(tickFont=font, tickTextOffset=3, tickLength=-4, maxTickLevel=1)
        axis.setLabel(text, **{"font-size": theme.css(theme.text.label),
                               "color": theme.foreground})
        axis.setPen(theme.foreground)
        axis.setTextPen(theme.foreground)
    plot.getAxis("left").setWidth(theme.room(LEFT_AXIS_WIDTH))
    for side in ("left", "bottom"):
        plot.getAxis(side).enableAutoSIPrefix(False)
    plot.getAxis("bottom").setHeight(theme.room(BOTTOM_AXIS_HEIGHT))
    plot.layout.setContentsMargins(2, 2, 6, 2)
