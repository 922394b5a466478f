"""The relay actor of a sweep on Ray (see :mod:`ganviz.studies.sweep.ray_cluster`): each
unit's newest checkpoint and the events of the units' tasks, kept on the driver's node.

It imports neither torch nor the engine: Ray starts the actor in a fresh process, which
would otherwise spend seconds importing torch before the first task can begin.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class UnitEvent:
    """Something a unit's task told the relay: ``kind`` is ``"started"`` (``step`` is where
    it starts: 0, or the checkpoint it resumes from) or ``"checkpoint"`` (stored at
    ``step``); ``attempt`` counts the unit's starts in this sweep, from 1."""

    key: str
    kind: str
    step: int
    attempt: int
    pid: int
    node: str


class Relay:
    """The relay actor (run on the driver's node): each unit's newest checkpoint, the
    checkpoints the driver has not drained yet, and the events of the units' tasks."""

    def __init__(self) -> None:
        self.newest: dict[str, tuple[int, bytes]] = {}
        self.attempts: dict[str, int] = {}
        self.undrained: set[str] = set()
        self.events: list[UnitEvent] = []

    def seed(self, key: str, step: int, data: bytes) -> None:
        """A checkpoint the driver's store already holds (a resumed sweep)."""
        self.newest[key] = (step, data)

    def begin(self, key: str, pid: int, node: str) -> tuple[int, bytes | None]:
        """A task of unit ``key`` starts: its attempt number and newest checkpoint."""
        attempt = self.attempts.get(key, 0) + 1
        self.attempts[key] = attempt
        step, data = self.newest.get(key, (0, None))
        self.events.append(UnitEvent(key, "started", step, attempt, pid, node))
        return attempt, data

    def put(self, key: str, attempt: int, step: int, data: bytes, pid: int, node: str) -> None:
        """Keep ``data`` as unit ``key``'s newest checkpoint (unless a newer attempt runs)."""
        if attempt != self.attempts.get(key):
            return  # a stale attempt that outlived its replacement
        if self.newest.get(key, (None,))[0] != step:  # the final state may repeat a step
            self.events.append(UnitEvent(key, "checkpoint", step, attempt, pid, node))
        self.newest[key] = (step, data)
        self.undrained.add(key)

    def drain(self) -> tuple[list[UnitEvent], dict[str, bytes]]:
        """The events and the checkpoints not yet handed to the driver."""
        events, self.events = self.events, []
        ready = {k: self.newest[k][1] for k in self.undrained}
        self.undrained = set()
        return events, ready

    def forget(self, key: str) -> None:
        """Unit ``key`` is done and drained: free its checkpoint."""
        self.newest.pop(key, None)
