"""Per-run random draws: each run from its own generator, into one preallocated tensor.

Every run owns a ``torch.Generator``, so a run's numbers never depend on which other runs
share the batch. The rows are filled in place (no per-run temporaries, no zero-fill of rows
that are overwritten anyway). Filling the runs on several threads speeds up the fills alone,
but not the step: inside a step the other cores are held by torch's spinning OpenMP workers,
so it is not done (docs/performance.md).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch


def fill_runs(out: torch.Tensor, active: Sequence[bool],
              fill: Callable[[int, torch.Tensor], None]) -> torch.Tensor:
    """Call ``fill(r, out[r])`` for every active run ``r``; inactive runs' rows are zeros."""
    for r, on in enumerate(active):
        if on:
            fill(r, out[r])
        else:
            out[r].zero_()
    return out


def seed64(*parts: int) -> int:
    """A 63-bit seed mixed from integers (FNV-style; the same parts give the same seed)."""
    h = 0x243F6A8885A308D3
    for p in parts:
        h = (h * 0x100000001B3 ^ (p & 0xFFFFFFFFFFFFFFFF)) % (2**63 - 1)
    return h


def run_generators(device: torch.device | str, seeds: Sequence[int],
                   *parts: int) -> list[torch.Generator]:
    """One generator per run, seeded from ``parts`` and that run's seed: a run's draws then
    depend on its own seed only, never on which runs share the batch."""
    return [torch.Generator(device=device).manual_seed(seed64(*parts, s)) for s in seeds]


def normal_runs(gens: Sequence[torch.Generator], n: int, width: int,
                device: torch.device | str) -> torch.Tensor:
    """Standard normal draws [R, n, width], row r from ``gens[r]`` (the same numbers as
    ``torch.randn(n, width, generator=gens[r])``)."""
    out = torch.empty(len(gens), n, width, device=device)
    return fill_runs(out, [True] * len(gens), lambda r, row: row.normal_(generator=gens[r]))
