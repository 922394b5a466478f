"""The status bar's training state: the step, steps and frames per second, the device and
the step that runs (compiled or eager), and each run's state in its estimator's colour."""

from __future__ import annotations

import time

from PySide6.QtWidgets import QLabel, QStatusBar

from ganviz.core.contract import Snapshot
from ganviz.views import theme

FPS_WINDOW_S = 2.0  # frames per second are counted over this much wall time
FPS_MIN_SPAN_S = 1.0  # ... and never over less: two frames a few ms apart are not 500/s


class TrainingStatus:
    """The permanent labels at the status bar's right; it only listens to snapshots."""

    def __init__(self, bar: QStatusBar) -> None:
        self._frame_times: list[float] = []
        self.status_step = QLabel("step 0")
        self.status_rate = QLabel("")
        self.status_device = QLabel("")
        self.status_runs = QLabel("")
        for w in (self.status_step, self.status_rate, self.status_device, self.status_runs):
            bar.addPermanentWidget(w)

    def frame_drawn(self) -> None:
        """Count a snapshot drawn now (for the frames per second)."""
        now = time.perf_counter()
        self._frame_times.append(now)
        while self._frame_times and now - self._frame_times[0] > FPS_WINDOW_S:
            self._frame_times.pop(0)

    def frames_per_sec(self) -> float:
        """Frames drawn per second over the last two seconds (over at least one second, so
        the first frames after a start or a pause do not read as hundreds per second)."""
        t = self._frame_times
        return (len(t) - 1) / max(t[-1] - t[0], FPS_MIN_SPAN_S) if len(t) > 1 else 0.0

    def update(self, snap: Snapshot) -> None:
        """Show the state of ``snap``, the snapshot being drawn."""
        self.status_step.setText(f"step {snap.step}")
        self.status_rate.setText(f"{snap.steps_per_sec:.0f} steps/s · "
                                 f"{self.frames_per_sec():.0f} frames/s")
        self.status_device.setText(f"{snap.device} · {snap.step_path}")
        self.status_device.setToolTip(snap.step_note or "Which training step runs: the "
                                      "compiled one, or the eager one (while compiling).")
        parts = []
        for run in snap.runs:
            state = "diverged" if run.diverged else ("training" if run.active and snap.running
                                                     else "paused")
            color = theme.ESTIMATOR_COLORS[run.spec.estimator]
            parts.append(f"<span style='color:{color}'>■</span> {state}")
        self.status_runs.setText(" ".join(parts))
