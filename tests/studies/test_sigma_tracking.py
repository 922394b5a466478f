"""Plan C1's figure script on the committed runs: it reproduces the study page's table
(docs/study.md, section 5) and writes the figure in three formats."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_sigma_tracking_reproduces_the_study_table(tmp_path):
    png = tmp_path / "sigma-tracking.png"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts/analysis/sigma_tracking.py"),
         str(ROOT / "docs/results/study-c-entropy"), str(png)],
        capture_output=True, text=True, env=env, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    # the medians and intervals of the study page's C1 table
    for line in ("s=0.05 lambda=0: sigma/s median 0.0309 [0.0255, 0.0442] (5 runs)",
                 "s=0.05 lambda=0.1: sigma/s median 0.914 [0.898, 0.975] (5 runs)",
                 "s=0.3 lambda=0.1: sigma/s median 0.996 [0.944, 1.04] (5 runs)",
                 "s=0.3 lambda=1: sigma/s median 4.52 [4.44, 4.71] (5 runs)"):
        assert line in done.stdout, done.stdout
    assert all(png.with_suffix(s).stat().st_size > 1000 for s in (".png", ".svg", ".pdf"))
