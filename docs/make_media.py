"""Regenerate the README pictures and the icon PNG from the real window, offscreen.

    .venv/bin/python docs/make_media.py          (or: make media)

Writes ``docs/media/window.png`` (the window after a few hundred training steps of the
default preset), the same window as a first launch lays it out on screens of 1920x1080,
1366x768 and 1024x700 (``window-1920x1080.png`` ...) and on a 1920x1080 screen at a 2x scale
(``window-2x.png``, drawn by a second process with ``QT_SCALE_FACTOR=2``),
``docs/media/training.gif`` (the run panels while it trains) and
``ganviz/resources/icons/ganviz.png`` (the SVG icon at 256 px). Needs the ``gui`` extra
(PySide6, pyqtgraph, Pillow) but no display. Training speed differs between machines,
so frames are taken by training step, not by time.
"""

from __future__ import annotations

import argparse
import io
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ["QT_QPA_PLATFORM"] = "offscreen"  # the same pictures with or without a display
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from PIL import Image  # noqa: E402
from PySide6.QtCore import QBuffer, QIODevice, QRect, QSettings, QSize, Qt  # noqa: E402
from PySide6.QtGui import QIcon, QImage  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from ganviz.core.atomic import write_atomic  # noqa: E402
from ganviz.core.config import load_preset  # noqa: E402
from ganviz.figures.comparison import write_comparison_figure  # noqa: E402
from ganviz.figures.recorder import stamp  # noqa: E402
from ganviz.gui.app import app_icon  # noqa: E402
from ganviz.gui.window import MainWindow  # noqa: E402
from ganviz.views.theme import ICON_DIR, configure_pyqtgraph  # noqa: E402

MEDIA = ROOT / "docs" / "media"
WINDOW_SIZE = QSize(1600, 1000)
SCREENSHOT_WIDTH = 1280
GIF_WIDTH = 800
GIF_COLORS = 48
TIMEOUT_S = 600.0
SCREENS = [(1920, 1080), (1366, 768), (1024, 700)]  # window-WxH.png: a first launch on each
SCALED = (1920, 1080, 2)  # window-2x.png: this screen at this QT_SCALE_FACTOR
SCALED_STEPS = 400  # the scaled window's training (a process of its own)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1200,
                        help="training steps shown in the GIF (default 1200)")
    parser.add_argument("--frames", type=int, default=12,
                        help="GIF frames after the first one (default 12)")
    parser.add_argument("--out", type=Path, default=MEDIA, help="output folder (docs/media)")
    parser.add_argument("--scaled-only", action="store_true",
                        help="only window-2x.png (run by the main invocation with "
                             "QT_SCALE_FACTOR set)")
    return parser.parse_args(argv)


def render_icon(size: int = 256) -> None:
    """The SVG icon as a PNG for icon engines without SVG support."""
    image = QIcon(str(ICON_DIR / "ganviz.svg")).pixmap(size, size).toImage()
    save_png(image, ICON_DIR / "ganviz.png")


def to_pil(image: QImage) -> Image.Image:
    buf = QBuffer()
    buf.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buf, "PNG")
    return Image.open(io.BytesIO(bytes(buf.data()))).convert("RGB")


def save_png(image: QImage, path: Path) -> None:
    buf = QBuffer()
    buf.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buf, "PNG")
    data = bytes(buf.data())
    write_atomic(path, lambda fh: fh.write(data))


def wait_until(app: QApplication, done, what: str, timeout: float = TIMEOUT_S) -> None:
    end = time.monotonic() + timeout
    while not done():
        if time.monotonic() > end:
            raise SystemExit(f"make_media: timed out waiting for {what}")
        app.processEvents()
        time.sleep(0.005)


def settle(app: QApplication, seconds: float = 0.6) -> None:
    """Let layouts, the panels and the curves redraw after a resize."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.02)


def save_screens(app: QApplication, window: MainWindow, out: Path) -> list[Path]:
    """The window as a first launch lays it out on each of SCREENS (docks and toolbar
    included), at its real pixel size."""
    paths = []
    for width, height in SCREENS:
        window.fit_to_screen(QRect(0, 0, width, height), first_launch=True)
        settle(app)
        path = out / f"window-{width}x{height}.png"
        save_png(window.grab().toImage(), path)
        paths.append(path)
    return paths


def scaled_window(app: QApplication, out: Path) -> Path:
    """``window-2x.png``: a first launch on SCALED's screen, whose logical size is the
    physical one over the scale factor (run with QT_SCALE_FACTOR set)."""
    width, height, scale = SCALED
    window = MainWindow(load_preset("default").with_overrides({"train": {"device": "cpu"}}))
    window.quiet_dialogs = True
    window.fit_to_screen(QRect(0, 0, width // scale, height // scale), first_launch=True)
    window.show()
    try:
        wait_until(app, lambda: window.snapshot is not None and window.snapshot.views is not None,
                   "the first picture")
        window.toolbar.play.setChecked(True)
        wait_until(app, lambda: window.snapshot.step >= SCALED_STEPS, f"step {SCALED_STEPS}")
        window.toolbar.play.setChecked(False)
        wait_until(app, lambda: not window.snapshot.running, "the pause")
        settle(app)
        path = out / "window-2x.png"
        save_png(window.grab().toImage(), path)
    finally:
        window.close()
    return path


def record(app: QApplication, window: MainWindow, steps: int, frames: int) -> list[QImage]:
    """Grab the run panels before training, then every ``steps / frames`` steps while playing."""
    every = max(1, steps // frames)
    images = [stamp(window.panels.grab().toImage(), f"step {window.snapshot.step}")]
    window.toolbar.play.setChecked(True)
    for k in range(1, frames + 1):
        target = k * every
        wait_until(app, lambda t=target: window.snapshot.step >= t, f"step {target}")
        app.processEvents()
        panels = window.panels.grab().toImage()
        images.append(stamp(panels, f"step {window.snapshot.step}"))
    window.toolbar.play.setChecked(False)
    return images


def save_gif(images: list[QImage], path: Path, width: int = GIF_WIDTH) -> None:
    """One shared palette for all frames, so unchanged pixels stay unchanged (small file)."""
    pil = [to_pil(im) for im in images]
    height = round(pil[0].height * width / pil[0].width)
    pil = [im.resize((width, height), Image.Resampling.LANCZOS) for im in pil]
    palette = pil[-1].quantize(colors=GIF_COLORS, method=Image.Quantize.FASTOCTREE)
    frames = [im.quantize(palette=palette, dither=Image.Dither.NONE) for im in pil]
    durations = [350] * (len(frames) - 1) + [2500]
    out = io.BytesIO()
    frames[0].save(out, format="GIF", save_all=True, append_images=frames[1:],
                   duration=durations, loop=0, optimize=True, disposal=1)
    data = out.getvalue()
    write_atomic(path, lambda fh: fh.write(data))


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    settings_dir = tempfile.TemporaryDirectory(prefix="ganviz-media-")  # not the user's layout
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, settings_dir.name)
    app = QApplication([sys.argv[0]])
    app.setApplicationName("ganviz")
    app.setWindowIcon(app_icon())
    configure_pyqtgraph()
    if args.scaled_only:
        try:
            scaled_window(app, args.out)
        finally:
            settings_dir.cleanup()
        return 0
    render_icon()

    cfg = load_preset("default").with_overrides({"train": {"device": "cpu"}})
    window = MainWindow(cfg)
    window.quiet_dialogs = True
    window.resize(WINDOW_SIZE)
    window.show()
    try:
        wait_until(app, lambda: window.snapshot is not None and window.snapshot.views is not None,
                   "the first picture")
        images = record(app, window, args.steps, args.frames)
        wait_until(app, lambda: not window.snapshot.running, "the pause")
        for _ in range(20):  # let the last snapshot and the curves settle
            app.processEvents()
            time.sleep(0.02)
        shot = window.grab().toImage()
        if shot.width() > SCREENSHOT_WIDTH:
            shot = shot.scaledToWidth(SCREENSHOT_WIDTH, Qt.TransformationMode.SmoothTransformation)
        save_png(shot, args.out / "window.png")
        save_gif(images, args.out / "training.gif")
        screens = [p.name for p in save_screens(app, window, args.out)]
        snap = window.snapshot
        figures = []
        for look in ("dark", "paper"):  # the exported comparison figure, as train --figures
            path = args.out / f"comparison-{look}.png"
            write_comparison_figure(snap, path, theme=look, scale=1.0)
            figures.append(path.name)
    finally:
        window.close()
        settings_dir.cleanup()
    env = {**os.environ, "QT_SCALE_FACTOR": str(SCALED[2])}
    subprocess.run([sys.executable, __file__, "--scaled-only", "--out", str(args.out)],
                   env=env, check=True)
    for name in ("window.png", *screens, "window-2x.png", "training.gif", *figures):
        path = args.out / name
        print(f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}: "
              f"{path.stat().st_size // 1024} KiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
