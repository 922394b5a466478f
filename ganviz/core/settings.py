"""How a setting is declared and its values checked: :func:`setting` puts a :class:`Setting`
(default, bounds or choices, live or reset, label, help, place in the Settings form) on a
dataclass field; :class:`ConfigError` is the one-line error naming the field."""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field
from typing import Any

from ganviz.core.errors import UserError


class ConfigError(UserError):
    """A user-facing configuration problem; ``str()`` is one line naming the field."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(f"{field_name}: {message}")
        self.field = field_name


@dataclass(frozen=True)
class Setting:
    """One setting, declared once: how it is checked, whether it is live, how it is shown.

    Kept in the metadata of its dataclass field (see :func:`setting`); ``key`` and ``type``
    are filled in from the field. Bounds are pydantic-style: ``ge``/``gt`` below (closed or
    open), ``le`` above, or ``gt_field``, another field whose value is an open lower bound.
    For lists the bounds and ``choices`` hold for every item; ``min_len``/``max_len`` limit
    the length, ``repeated`` asks for every item once, and ``few``/``many``/``repeated`` are
    the messages ({n} the length, {lo}/{hi} the limits, {choices} the allowed values).
    """

    label: str
    help: str
    live: bool = False  # applies at the next step; otherwise a change needs a reset
    ge: float | None = None
    gt: float | None = None
    le: float | None = None
    gt_field: str = ""
    choices: tuple[str, ...] = ()
    min_len: int = 0
    max_len: int | None = None
    few: str = ""
    many: str = ""
    repeated: str = ""
    item_len: int = 0  # lists of points: every item has this many numbers, else item_msg
    item_msg: str = ""
    checked_if: tuple[str, ...] = ()  # (key, value, ...): checked only when key is a value
    # The Settings form; fields without a group are not shown there.
    group: str = ""
    row: int = 0  # order within the group
    unit: str = ""
    hint: str = ""  # a line edit's placeholder; the text after a count of points
    special: str = ""  # what the minimum of a spin box means (shown instead of it)
    range_text: str = ""  # how the form states the range when the numbers are unwieldy
    shown_if: tuple[str, ...] = ()  # (key, value, ...): the row shows only then
    enabled_if: tuple[str, ...] = ()  # (key, value, ...): the widget is enabled only then
    errors_at: str = ""  # the form field that shows this field's errors
    key: str = ""  # "section.name", filled in from the dataclass
    type: Any = None  # the field's type, filled in from the dataclass

    @property
    def numeric(self) -> bool:
        """Whether the field (or every item of it) is a bounded number."""
        return self.ge is not None or self.gt is not None or self.le is not None or \
            bool(self.gt_field)


def setting(default: Any, label: str, help: str, **declared: Any) -> Any:
    """A dataclass field carrying its :class:`Setting` (lists get a fresh copy each time)."""
    meta = {"setting": Setting(label=label, help=help, **declared)}
    if isinstance(default, list):
        return field(default_factory=lambda: copy.deepcopy(default), metadata=meta)
    return field(default=default, metadata=meta)


def check_choice(name: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ConfigError(name, f"unknown value {value!r}; allowed: {', '.join(allowed)}")


def check_number(
    name: str, value: float, lo: float = -math.inf, hi: float = math.inf, lo_open: bool = False
) -> None:
    # Integers are compared exactly: float(10**400) would overflow, and 2**63 - 1 must not round.
    finite = isinstance(value, int) or math.isfinite(value)
    bad = not finite or value > hi or (value <= lo if lo_open else value < lo)
    if bad:
        left = "(" if lo_open else "["
        lo_s = "-inf" if lo == -math.inf else bound_text(lo)
        hi_s = "inf" if hi == math.inf else bound_text(hi)
        raise ConfigError(name, f"must be a finite number in {left}{lo_s}, {hi_s}] "
                                f"(got {short_repr(value)})")


def bound_text(v: float) -> str:
    return str(v) if isinstance(v, int) else f"{v:g}"


def short_repr(value: Any) -> str:
    """``repr(value)``, shortened for the one-line message (a 400-digit integer)."""
    text = repr(value)
    return text if len(text) <= 24 else f"{text[:10]}...{text[-6:]} ({len(text)} characters)"
