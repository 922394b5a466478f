"""The probes' share of the training worker's time, measured on the real TrainingLoop."""

from __future__ import annotations

import pytest

from ganviz.bench.probe_share import format_probe_share, measure_probe_share
from tests.conftest import small_config

# No rate here depends on how fast this machine is (or how busy: the suite runs two workers):
# measured for longer than the schedule's longest gap between views (max_views_gap, 2 s),
# every part is recomputed at least once however slow the steps are.
SECONDS = 2.5


def test_probe_share_of_a_short_run() -> None:
    r = measure_probe_share(small_config(), seconds=SECONDS, threads=1, warmup=0.2)
    assert r["seconds"] == pytest.approx(SECONDS, abs=0.3)
    assert r["threads"] == 1 and r["grid"] == 24
    assert r["steps_per_sec"] > 0
    assert 0 < r["probe_share"] < 1
    assert r["step_path"] in ("compiled step", "eager step")  # never measured mid-compile
    # Views are recomputed within the schedule's gap; fakes follow new steps.
    assert r["views_per_sec"] > 0 and r["fakes_per_sec"] > 0
    assert r["views_ms"] > 0 and r["fakes_ms"] > 0
    assert r["views_per_sec"] <= 31  # at most once a frame
    # The share is the sum of the parts' time.
    parts = sum(r[f"{p}_per_sec"] * r[f"{p}_ms"] / 1e3 for p in ("views", "fakes", "curves"))
    assert r["probe_share"] == pytest.approx(parts, rel=1e-6)
    assert r["snapshots_per_sec"] > 0
    line = format_probe_share(r)
    assert "grid 24²" in line and f"{100 * r['probe_share']:.1f}%" in line


def test_the_configured_grid_is_the_one_measured() -> None:
    """Which grid the views were timed at (how much longer a bigger grid takes is a timing,
    for ``python main.py bench``, not a test: under two busy workers it can come out either
    way)."""
    big = measure_probe_share(small_config().with_overrides({"probe": {"grid": 160}}),
                              seconds=SECONDS, threads=1, warmup=0.1)
    assert big["grid"] == 160 and big["views_per_sec"] > 0 and big["views_ms"] > 0
    assert "grid 160²" in format_probe_share(big)


@pytest.mark.parametrize(("seconds", "threads"), [(0.0, 1), (-1.0, 1), (1.0, 0)])
def test_bad_arguments_are_refused(seconds: float, threads: int) -> None:
    with pytest.raises(ValueError, match="seconds must be > 0 and threads >= 1"):
        measure_probe_share(small_config(), seconds=seconds, threads=threads)


def test_a_config_the_loop_cannot_run_raises_instead_of_hanging() -> None:
    cfg = small_config().with_overrides({"train": {"device": "cuda"}})
    with pytest.raises(Exception, match=r"(?i)cuda"):
        measure_probe_share(cfg, seconds=0.5, threads=1)
