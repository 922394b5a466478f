"""Work units of a sweep: one batched trainer each, run wherever an executor puts it.

A unit is a protocol x sigma group x seed block, as plain data (its trainer's config as a
dict), so it can travel to another process or machine. It trains on the eager step: a
run's numbers then depend only on its own settings and seed, bit for bit, never on which
other runs share its batch or on the thread count, so units can be sized to whatever
workers there are and the sweep's results stay the same. (The compiled step's kernels
are specialised to the batch's shape and threads, so its rounding is not.)

Checkpoints travel as bytes through a :class:`CheckpointStore` that lives with the driver,
so no shared filesystem is assumed; results come back as the finished trainer's state.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import torch

from ganviz.core.config import from_dict
from ganviz.engine.checkpoint import parse_checkpoint


@dataclass(frozen=True)
class Unit:
    """One batched trainer of a sweep.

    ``key`` is unique in the sweep and safe as a file name; ``group`` is the protocol (the
    units of one group merge into one table); ``config`` is the trainer's
    ``Config.to_dict()``; a checkpoint is stored every ``checkpoint_every`` steps.
    """

    key: str
    group: str
    config: dict[str, Any]
    checkpoint_every: int = 1000


@dataclass(frozen=True)
class UnitResult:
    """A finished unit: its trainer's final checkpoint state as bytes, and how long it took
    in this attempt (seconds, steps trained in it)."""

    key: str
    state: bytes
    seconds: float
    steps: int


class CheckpointStore(Protocol):
    """Where units keep their checkpoints (on the driver's side)."""

    def get(self, key: str) -> bytes | None:
        """The newest checkpoint of unit ``key``, or None."""

    def put(self, key: str, data: bytes) -> None:
        """Keep ``data`` as the newest checkpoint of unit ``key`` (atomically)."""


CHECKPOINT_STATE = "checkpoint at step"  # a report's state when a checkpoint was stored


class Executor(Protocol):
    """Runs units and yields their results as they finish (in any order)."""

    def run(self, units: Sequence[Unit], store: CheckpointStore,
            report: Callable[[str, str], None]) -> Iterator[UnitResult]:
        """Run every unit in ``units``; ``report(key, state)`` tells the log each change of
        a unit's state (``"started"``, ``"resumed at step N"``, ``"retrying"``,
        ``"done"``..., and :data:`CHECKPOINT_STATE` ``N`` for a stored checkpoint)."""


def state_bytes(state: dict[str, Any]) -> bytes:
    """A checkpoint state as the bytes of a checkpoint file."""
    buf = io.BytesIO()
    torch.save(state, buf)
    return buf.getvalue()


def run_unit(unit: Unit, store: CheckpointStore,
             should_stop: Callable[[], bool] | None = None,
             device: str = "cpu") -> UnitResult:
    """Train ``unit`` on ``device`` (the CPU unless asked) from its newest stored checkpoint
    (or from scratch) to its configured steps, storing a checkpoint every
    ``unit.checkpoint_every`` steps; return its final state. Eager step (see the module's
    docstring)."""
    from ganviz.engine.trainer import Trainer

    cfg = from_dict(unit.config).with_overrides({"train": {"compile": False}})
    saved = store.get(unit.key)
    if saved is None:
        trainer = Trainer(cfg, device)
    else:
        trainer = Trainer.from_state(parse_checkpoint(saved, f"checkpoint of unit {unit.key}"),
                                     device, steps=cfg.train.steps)
    start, t0 = trainer.step_count, time.perf_counter()

    def on_step(t: Trainer) -> None:
        if t.step_count % unit.checkpoint_every == 0:
            store.put(unit.key, state_bytes(t.state_dict()))

    trainer.train(max(0, cfg.train.steps - trainer.step_count), on_step=on_step,
                  should_stop=should_stop)
    final = state_bytes(trainer.state_dict())
    store.put(unit.key, final)
    return UnitResult(unit.key, final, time.perf_counter() - t0, trainer.step_count - start)
