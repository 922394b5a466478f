"""Where the window goes on a screen: pure functions over (x, y, width, height) rectangles.

The first launch takes most of the screen's available area (all of it on a small screen,
90 % of a large one, capped at a comfortable size); later launches restore the saved
geometry, clamped so that the whole window, title bar and status bar included, is on the
screen. No Qt here, so the rules are tested without a display.
"""

from __future__ import annotations

Rect = tuple[int, int, int, int]  # x, y, width, height

FIRST_FRACTION = 0.9  # a first launch on a large screen takes this share of it
MAX_FIRST = (1600, 1000)  # ... but no more than this (larger windows only spread the panels)
SMALL = (1280, 800)  # a screen up to this size is used whole (every pixel counts)
TITLE_ALLOWANCE = 32  # the window manager's title bar when its real height is not known yet
SMALL_SCREEN_WIDTH = 1500  # below this available width the Settings dock starts hidden
CURVES_SHARE = 0.36  # the curves dock's share of the window height on a first launch


def _fit(available: int, small: int, cap: int) -> int:
    """One side of a first-launch window: all of a small screen, else 90 % up to ``cap``."""
    if available <= small:
        return available
    return min(cap, max(small, round(FIRST_FRACTION * available)))


def first_geometry(available: Rect, title: int = TITLE_ALLOWANCE) -> Rect:
    """The client rectangle of a first launch on a screen whose available area is
    ``available``: centred, its frame (``title`` px of title bar above it) on the screen."""
    ax, ay, aw, ah = available
    w = _fit(aw, SMALL[0], MAX_FIRST[0])
    h = _fit(ah, SMALL[1], MAX_FIRST[1] + title) - title
    x = ax + (aw - w) // 2
    y = ay + title + (ah - title - h) // 2
    return x, y, w, h


def clamp_geometry(saved: Rect, available: Rect, title: int = TITLE_ALLOWANCE) -> Rect:
    """A saved client rectangle moved and shrunk (never grown) so that it and its title bar
    lie inside ``available``."""
    x, y, w, h = saved
    ax, ay, aw, ah = available
    w = min(w, aw)
    h = min(h, ah - title)
    x = min(max(x, ax), ax + aw - w)
    y = min(max(y, ay + title), ay + ah - h)
    return x, y, w, h


def is_small_screen(available: Rect) -> bool:
    """Whether the Settings dock should start hidden (the run panels need the width)."""
    return available[2] < SMALL_SCREEN_WIDTH
