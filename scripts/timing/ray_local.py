"""Units in-process one after another vs on a local Ray.  A measurement, not a test.

Runs ``--units`` units of a preset (one seed each, all four estimators, ``--steps`` steps)
in this process one after another with ``--cpus`` torch threads, then the same units on a
local Ray with ``--cpus`` CPUs (one unit per CPU, one thread each), checks that every
final state is the same bytes, and prints the wall times and their ratio, plus each
unit's seconds per step. ``--per-step PRESET ...`` also times one short unit of each of
those presets on Ray (for estimates of longer protocols).

    python scripts/timing/ray_local.py --preset veegan-ring --units 4 --steps 500 \\
        --per-step pacgan-ring pacgan-grid
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch

from ganviz.core.config import load_preset
from ganviz.studies.sweep.ray_cluster import RayExecutor
from ganviz.studies.sweep.units import Unit, run_unit


class MemoryStore(dict):
    """A CheckpointStore in memory."""

    def get(self, key):  # type: ignore[override]
        return dict.get(self, key)

    def put(self, key, data):
        self[key] = data


def units_of(preset: str, n: int, steps: int) -> list[Unit]:
    """``n`` units of ``preset``: seed i in unit i."""
    base = load_preset(preset).with_overrides({"train": {"steps": steps}})
    return [Unit(f"{preset}-s{i}", preset,
                 base.with_overrides({"runs": {"seeds": [i]}}).to_dict(),
                 checkpoint_every=max(1, steps // 2)) for i in range(n)]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--preset", default="veegan-ring")
    p.add_argument("--units", type=int, default=4)
    p.add_argument("--steps", type=int, default=500)
    p.add_argument("--cpus", type=int, default=2)
    p.add_argument("--per-step", nargs="*", default=[])
    args = p.parse_args()
    units = units_of(args.preset, args.units, args.steps)

    torch.set_num_threads(args.cpus)
    t0 = time.perf_counter()
    local = {u.key: run_unit(u, MemoryStore()) for u in units}
    t_local = time.perf_counter() - t0
    for r in local.values():
        print(f"in-process {r.key}: {r.seconds:.1f} s, {1e3 * r.seconds / r.steps:.2f} ms/step "
              f"({args.cpus} threads)")

    t0 = time.perf_counter()
    with RayExecutor(num_cpus=args.cpus, cpus_per_unit=1) as ex:
        t_start = time.perf_counter() - t0
        t1 = time.perf_counter()
        remote = {r.key: r for r in ex.run(units, MemoryStore(), lambda k, s: None)}
        t_ray = time.perf_counter() - t1
        for r in remote.values():
            print(f"on Ray {r.key}: {r.seconds:.1f} s, {1e3 * r.seconds / r.steps:.2f} "
                  f"ms/step (1 thread, {ex.workers} units at once)")
        for preset in args.per_step:
            extra = units_of(preset, ex.workers, args.steps)
            for r in ex.run(extra, MemoryStore(), lambda k, s: None):
                print(f"on Ray {r.key}: {r.seconds:.1f} s for {r.steps} steps, "
                      f"{1e3 * r.seconds / r.steps:.2f} ms/step (1 thread, "
                      f"{ex.workers} units at once)")
    same = all(local[k].state == remote[k].state for k in local)
    print(f"{len(units)} units x {args.steps} steps of {args.preset}")
    print(f"in-process, one after another, {args.cpus} threads: {t_local:.1f} s")
    print(f"local Ray, {args.cpus} workers x 1 thread: {t_ray:.1f} s "
          f"(+ {t_start:.1f} s to start Ray)")
    print(f"ratio in-process / Ray: {t_local / t_ray:.2f} "
          f"(with start-up: {t_local / (t_ray + t_start):.2f})")
    print(f"final states identical: {same}")


if __name__ == "__main__":
    main()
