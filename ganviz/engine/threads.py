"""Torch threads for ``train.threads = 0`` ("auto"): the cores other processes leave free.

OpenMP threads spin while they wait, so trainings that each take every core collapse when
they share a machine, while a run alone is much faster on every core (figures in
``docs/performance.md``). So the training measures how busy the *other* processes on its
cores are, from ``/proc/stat`` deltas minus its own CPU time, and trains on what they leave
free: about a second after it starts (runs started together adapt at once), then every few
seconds, with a margin so the count does not flap. The thread count never changes a run's
numbers, so it may change while training. Where ``/proc/stat`` is missing the 1-minute load
average stands in for it, and where that is missing too the count stays at every usable
core.

No torch here: :class:`AutoThreads` is given the function that sets the count.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

FIRST_CHECK = 1.0  # seconds after start: runs started together adapt quickly
EVERY = 5.0  # seconds between later checks
STALE = 3 * EVERY  # a reading older than this (training paused) is only a new start
MARGIN = 0.75  # the free cores must pass the current count by this much to change it
PROC_STAT = "/proc/stat"
BUSY_FIELDS = (0, 1, 2, 5, 6, 7)  # user nice system irq softirq steal (guest is in user)


@dataclass(frozen=True)
class Usage:
    """Cumulative CPU counters at one moment (seconds)."""

    wall: float  # monotonic clock
    own: float  # this process's CPU time, user + system, every thread
    busy: float | None  # CPU time every process spent on this process's cores (/proc/stat)
    load: float | None = None  # 1-minute load average, where ``busy`` is unknown


def usable_cores(leave_for_gui: bool, cores: int | None = None) -> int:
    """The cores this process may run on (its affinity where known), less one beside a GUI."""
    if cores is None:
        try:
            cores = len(os.sched_getaffinity(0))
        except (AttributeError, OSError):  # macOS, Windows
            cores = os.cpu_count() or 1
    return max(1, cores - 1) if leave_for_gui else max(1, cores)


def other_busy(before: Usage, after: Usage) -> float | None:
    """Cores' worth of CPU the other processes used between two readings (None: unknown)."""
    dt = after.wall - before.wall
    if dt <= 0:
        return None
    own = (after.own - before.own) / dt
    if after.busy is not None and before.busy is not None:
        return max(0.0, (after.busy - before.busy) / dt - own)
    if after.load is not None:  # counts runnable threads, ours among them
        return max(0.0, after.load - own)
    return None


def levels(usable: int) -> list[int]:
    """The counts auto chooses from: every core, half of them, a quarter, … one. A compiled
    step is compiled again for each new count (torch.compile allows only a few), so a long
    run on a large machine visits at most log2(cores) + 1 of them."""
    out, n = [], max(1, usable)
    while n > 1:
        out.append(n)
        n //= 2
    return [*out, 1]


def suggest(usable: int, other: float | None, current: int, margin: float = MARGIN) -> int:
    """Threads to train on: the cores the others leave free, ``max(1, min(usable, usable -
    other))`` rounded to the nearest whole core and then down to one of :func:`levels`, but
    ``current`` unless the free cores are at least ``margin`` away from it (hysteresis);
    ``current`` when ``other`` is unknown."""
    current = max(1, min(usable, current))
    if other is None:
        return current
    free = usable - other
    if abs(free - current) < margin:
        return current
    target = max(1, min(usable, math.floor(free + 0.5)))
    return max(n for n in levels(usable) if n <= target)


def busy_seconds(stat_text: str, cpus: Iterable[int] | None, ticks: float) -> float | None:
    """CPU seconds spent busy since boot on ``cpus`` (every CPU when None), from the text of
    ``/proc/stat``; None when it does not list them."""
    per_cpu: dict[int, float] = {}
    total: float | None = None
    for line in stat_text.splitlines():
        if not line.startswith("cpu"):
            continue
        name, *fields = line.split()
        try:
            values = [int(v) for v in fields]
        except ValueError:
            continue
        busy = sum(values[i] for i in BUSY_FIELDS if i < len(values)) / ticks
        if name == "cpu":
            total = busy
        elif name[3:].isdigit():
            per_cpu[int(name[3:])] = busy
    if cpus is not None:
        wanted = set(cpus)
        if wanted and wanted <= per_cpu.keys():
            return sum(per_cpu[c] for c in wanted)
    return total


def read_usage() -> Usage:
    """The counters now: ``/proc/stat`` on Linux, else the load average where there is one."""
    wall = time.monotonic()
    t = os.times()
    own = t.user + t.system
    busy = None
    try:
        with open(PROC_STAT, encoding="ascii") as fh:
            text = fh.read()
        try:
            cpus: set[int] | None = os.sched_getaffinity(0)
        except (AttributeError, OSError):
            cpus = None
        busy = busy_seconds(text, cpus, float(os.sysconf("SC_CLK_TCK")))
    except (OSError, ValueError, AttributeError):
        busy = None
    load = None
    if busy is None and hasattr(os, "getloadavg"):
        try:
            load = os.getloadavg()[0]
        except OSError:
            load = None
    return Usage(wall, own, busy, load)


class AutoThreads:
    """Keeps a training's thread count: ``requested`` when > 0, else the free cores.

    :meth:`start` sets the count as training (re)starts, :meth:`tick` goes between steps
    and costs a clock read unless a check is due; ``apply`` (``torch.set_num_threads``) is
    called only when the count changes. ``read`` and ``clock`` are for tests (default:
    :func:`read_usage`, :func:`time.monotonic`).
    """

    def __init__(self, requested: int, leave_for_gui: bool, apply: Callable[[int], None], *,
                 cores: int | None = None, read: Callable[[], Usage] | None = None,
                 clock: Callable[[], float] | None = None) -> None:
        self.fixed = requested > 0
        self.usable = usable_cores(leave_for_gui, cores)
        self.count = requested if self.fixed else self.usable
        self.apply = apply
        self.read = read or read_usage
        self.clock = clock or time.monotonic
        self._last: Usage | None = None
        self._due = math.inf

    def start(self) -> int:
        """Set the count now, as training (re)starts on this thread. With auto, the first
        check follows in :data:`FIRST_CHECK` s; a later start keeps the schedule (a
        notebook's short ``train`` calls, a sweep's units)."""
        self.apply(self.count)
        if not self.fixed and self._last is None:
            self._last = self.read()
            self._due = self.clock() + FIRST_CHECK
        return self.count

    def tick(self) -> None:
        """Between steps: check the other processes' load when due, adapt the count."""
        if self.clock() >= self._due:
            self.check()

    def check(self) -> None:
        """Read the counters and change the count if the free cores say so."""
        usage = self.read()
        last, self._last = self._last, usage
        self._due = self.clock() + EVERY
        if last is None or usage.wall - last.wall > STALE:
            return
        count = suggest(self.usable, other_busy(last, usage), self.count)
        if count != self.count:
            self.count = count
            self.apply(count)
