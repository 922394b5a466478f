"""ganviz from a script: train the four estimators briefly, read the history, save a figure.

    python examples/quickstart.py [OUT_FOLDER]

Everything the window and the command line do is reachable from ``ganviz.api``.
"""

from __future__ import annotations

import sys
from pathlib import Path

from ganviz.api import Experiment


def main(out: Path, steps: int = 200) -> dict[str, float]:
    """Train the default preset (small networks, two seeds) for ``steps`` steps and write
    comparison.png and checkpoint.pt into ``out``; each estimator's mean final modes."""
    exp = Experiment.from_preset(
        "default", compile=False,
        model={"g_hidden": [64, 64], "d_hidden": [64, 64]},
        train={"steps": steps, "batch_size": 128},
        runs={"seeds": [0, 1]},
        eval={"every": 50, "samples": 1000})
    exp.train()

    history = exp.history()  # step [T] and one [T, R] array per metric
    modes = history["modes"][-1]
    by_estimator: dict[str, list[float]] = {}
    for run in exp.runs:
        by_estimator.setdefault(run.estimator, []).append(float(modes[run.index]))
    means = {e: sum(v) / len(v) for e, v in by_estimator.items()}
    for estimator, value in means.items():
        print(f"{estimator:16s} modes at step {exp.step}: {value:.1f}")

    out.mkdir(parents=True, exist_ok=True)
    exp.save_checkpoint(out / "checkpoint.pt")
    exp.save_figure(out / "comparison.png", theme="paper")
    print(f"wrote {out / 'comparison.png'} and {out / 'checkpoint.pt'}")
    return means


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("runs/quickstart"))
