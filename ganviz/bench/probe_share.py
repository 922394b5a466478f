"""How much of the window's training worker goes to the probes (what the views draw).

:func:`measure_probe_share` runs the real :class:`~ganviz.live.loop.TrainingLoop` headless:
playing, with a reader thread that takes snapshots at the window's frame rate, and reads
the loop's own tally of its probe computations (:class:`~ganviz.live.probe_schedule.ProbeTally`).
"""

from __future__ import annotations

import threading
import time
from typing import Any

from ganviz.core.config import Config
from ganviz.core.contract import LatestSlot, Play, ShowLayers
from ganviz.live.loop import TrainingLoop
from ganviz.live.probe_schedule import PARTS, ProbeTally

FRAME_RATE = 30.0  # snapshots taken per second, as the window does
WARMUP_TIMEOUT = 120.0  # seconds allowed for the first snapshot (trainer built, probes made)
COMPILE_TIMEOUT = 180.0  # seconds allowed for the switch to the compiled step


def measure_probe_share(cfg: Config, seconds: float, threads: int, warmup: float = 0.5,
                        layers: frozenset[str] | None = frozenset()) -> dict[str, Any]:
    """Run the window's training loop (no window) for ``seconds`` and report its probe costs.

    The loop plays on ``threads`` torch threads with the window's frame interval and probe
    budget; a reader takes snapshots about 30 times a second. Counting starts ``warmup``
    seconds after the first snapshot. ``layers`` are the layers shown (:class:`ShowLayers`;
    the default, none of the costly optional ones, is what the window's default layers
    need; None: every layer). Call it in a process set up as the training process is
    (:func:`ganviz.core.allocator.keep_memory_for_training`, as ``bench`` does): without it, the
    probes' fresh buffers page-fault and their times come out higher. Keys of the result:

    * ``seconds``: wall time measured (s);
    * ``threads``: torch threads of the loop;
    * ``grid``: the config's ``probe.grid`` (cells per axis of the density and D images);
    * ``steps_per_sec``: training steps per second;
    * ``views_per_sec``, ``fakes_per_sec``, ``curves_per_sec``: recomputations of each part
      per second (views: densities, D map, gradient fields; fakes: model samples; curves:
      the equation-1 sigma curves);
    * ``views_ms``, ``fakes_ms``, ``curves_ms``: mean milliseconds per recomputation (0 when
      there was none);
    * ``probe_share``: time in probe computations / wall time, in [0, 1] (the worker does
      nothing else but train, so 1 - probe_share bounds training's share);
    * ``snapshots_per_sec``: snapshots the reader took per second.
    """
    if seconds <= 0 or threads < 1:
        raise ValueError("measure_probe_share: seconds must be > 0 and threads >= 1")
    cfg = cfg.with_overrides({"train": {"threads": threads}})
    slot = LatestSlot()
    loop = TrainingLoop(cfg, slot, frame_interval=1 / FRAME_RATE, leave_core_for_gui=False)
    stop = threading.Event()
    failure: list[BaseException] = []
    worker = threading.Thread(target=_run, args=(loop, stop, failure), daemon=True)
    if layers is not None:
        loop.send(ShowLayers(layers))
    loop.send(Play())
    worker.start()
    try:
        return _measure(loop, slot, seconds, warmup, failure)
    finally:
        stop.set()
        worker.join()


def _run(loop: TrainingLoop, stop: threading.Event, failure: list[BaseException]) -> None:
    try:
        loop.run(stop)
    except BaseException as exc:  # handed to the measuring thread
        failure.append(exc)


def _measure(loop: TrainingLoop, slot: LatestSlot, seconds: float, warmup: float,
             failure: list[BaseException]) -> dict[str, Any]:
    """Take snapshots at the frame rate; count steps and probe work between two instants."""
    deadline = time.perf_counter() + WARMUP_TIMEOUT
    while slot.take() is None:
        if failure:
            raise failure[0]
        if time.perf_counter() > deadline:
            raise TimeoutError("measure_probe_share: the training loop sent no snapshot")
        time.sleep(0.01)
    deadline = time.perf_counter() + COMPILE_TIMEOUT
    while loop.step_path.endswith("compiling…") and time.perf_counter() < deadline:
        _take_for(slot, 0.1, failure)
    _take_for(slot, warmup, failure)
    steps0, tally0, t0 = _step(loop), loop.probe_tally.copy(), time.perf_counter()
    taken = _take_for(slot, seconds, failure)
    steps1, tally1, t1 = _step(loop), loop.probe_tally.copy(), time.perf_counter()
    return _report(loop, t1 - t0, steps1 - steps0, tally0, tally1, taken)


def _step(loop: TrainingLoop) -> int:
    return loop.trainer.step_count if loop.trainer is not None else 0


def _take_for(slot: LatestSlot, seconds: float, failure: list[BaseException]) -> int:
    """Take snapshots about FRAME_RATE times a second for ``seconds``; how many were new."""
    end = time.perf_counter() + seconds
    taken = 0
    while (now := time.perf_counter()) < end:
        if failure:
            raise failure[0]
        taken += slot.take() is not None
        time.sleep(min(1 / FRAME_RATE, max(end - now, 0.0)))
    return taken


def _report(loop: TrainingLoop, wall: float, steps: int, before: ProbeTally,
            after: ProbeTally, taken: int) -> dict[str, Any]:
    out: dict[str, Any] = {"seconds": wall, "threads": loop.cfg.train.threads,
                           "grid": loop.cfg.probe.grid, "steps_per_sec": steps / wall,
                           "step_path": loop.step_path}
    for part in PARTS:
        n = after.counts[part] - before.counts[part]
        spent = after.seconds[part] - before.seconds[part]
        out[f"{part}_per_sec"] = n / wall
        out[f"{part}_ms"] = 1e3 * spent / n if n else 0.0
    out["probe_share"] = (after.total_seconds - before.total_seconds) / wall
    out["snapshots_per_sec"] = taken / wall
    return out


def format_probe_share(result: dict[str, Any]) -> str:
    """One line for ``bench``: the probes' share of the worker and what it buys."""
    return (f"probes (grid {result['grid']}², {result['threads']} thread(s)): "
            f"{100 * result['probe_share']:.1f}% of the worker's time; "
            f"{result['steps_per_sec']:.0f} steps/s ({result['step_path']}); "
            f"views {result['views_per_sec']:.1f}/s "
            f"at {result['views_ms']:.1f} ms, fakes {result['fakes_per_sec']:.1f}/s, "
            f"curves {result['curves_per_sec']:.2f}/s")


__all__ = ["format_probe_share", "measure_probe_share"]
