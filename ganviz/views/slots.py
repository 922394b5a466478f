"""Signal-slot connections that are undone before Qt destroys their items.

A Python slot that Qt calls while it tears an item down (a geometry change during
destruction, say) can crash the process (pyqtgraph #1628). Owners whose items may be
replaced or closed make such connections through :class:`Connections` and undo them first.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any


class Connections:
    """The connections one owner made, undone together and only once."""

    def __init__(self) -> None:
        self._made: list[tuple[Any, Callable[..., Any]]] = []

    def connect(self, signal: Any, slot: Callable[..., Any]) -> None:
        """Connect ``slot`` to ``signal`` and remember the pair."""
        signal.connect(slot)
        self._made.append((signal, slot))

    def disconnect_all(self) -> None:
        """Undo every connection made so far (a second call does nothing)."""
        made, self._made = self._made, []
        for signal, slot in made:
            with contextlib.suppress(RuntimeError):  # its item is already gone
                signal.disconnect(slot)

    def __len__(self) -> int:
        return len(self._made)
