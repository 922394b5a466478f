"""Recordings of training: frames captured from the views, the step drawn on each, written
as an animated GIF, WebP, APNG (or MP4 where ffmpeg is installed) chosen by the file suffix.

Frames are timed on the wall clock: a frame captured ``t`` seconds into the recording is
shown ``t`` seconds into the file, so N seconds of recording play back in about N seconds
at the chosen frame rate (a frame the capture missed is held for its period instead).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import zlib
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import numpy as np
import pyqtgraph as pg
from PIL import Image
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import (
    QAction,
    QActionGroup,
    QColor,
    QFont,
    QIcon,
    QImage,
    QPainter,
    QPixmap,
)
from PySide6.QtWidgets import QMenu, QToolBar, QToolButton, QWidget

from ganviz.core.atomic import write_atomic
from ganviz.views import theme

MAX_FRAMES = 2000
MAX_BYTES = 600_000_000  # compressed frames kept in memory; capture stops beyond
FPS_CHOICES = (5, 10, 15, 25)
DEFAULT_FPS = 10
MAX_FPS = 50  # GIF delays are whole centiseconds, and viewers slow delays under 20 ms
SUFFIXES = {".gif": "GIF", ".webp": "WebP", ".png": "APNG", ".apng": "APNG", ".mp4": "MP4"}
RAMP_COLORS = 128  # GIF palette entries kept for the density colour map
REC_RED = "#e53935"
WEBP_QUALITY = 90  # lossy WebP: smooth gradients, far smaller than lossless


class RecordingError(ValueError):
    """A recording cannot be written as asked (unknown suffix, bad frame rate, no frames)."""


@dataclass(frozen=True)
class Frame:
    """One captured frame: RGB pixels, zlib-compressed to keep long recordings in memory."""

    size: tuple[int, int]
    data: bytes

    @classmethod
    def from_image(cls, image: Image.Image) -> Frame:
        """Compress ``image`` (RGB); fast (level 1) because it runs while recording."""
        return cls(image.size, zlib.compress(image.tobytes(), 1))

    def image(self) -> Image.Image:
        """The frame as a Pillow RGB image."""
        return Image.frombytes("RGB", self.size, zlib.decompress(self.data))


def check_fps(fps: float) -> float:
    """``fps`` if it is a usable frame rate, else RecordingError naming what is allowed."""
    if not 0 < fps <= MAX_FPS:
        raise RecordingError(f"Frame rate: must be > 0 and at most {MAX_FPS} frames/s, "
                             f"got {fps:g}")
    return float(fps)


class GifRecorder:
    """Collects frames (QImages) and writes them as one animation, atomically.

    ``fps`` is the capture rate; it is also the playback rate, so playback runs in real time.
    """

    def __init__(self, max_width: int = 1200, max_frames: int = MAX_FRAMES,
                 fps: float = DEFAULT_FPS, max_bytes: int = MAX_BYTES) -> None:
        self.max_width = max_width
        self.max_frames = max_frames
        self.max_bytes = max_bytes
        self.fps = check_fps(fps)
        self._frames: list[Future[Frame]] = []
        self._packer: ThreadPoolExecutor | None = None  # compresses off the GUI thread
        self._stored = 0
        self.steps: list[int] = []
        self.slots: list[int] = []  # the frame period (0, 1, 2, ...) each frame starts in
        self._start: float | None = None

    def __len__(self) -> int:
        return len(self._frames)

    @property
    def frames(self) -> list[Frame]:
        """The captured frames (waits for the ones still being compressed)."""
        return [f.result() for f in self._frames]

    @property
    def full(self) -> bool:
        """Whether the frame cap or the memory cap is reached (later frames are dropped)."""
        return len(self._frames) >= self.max_frames or self._stored >= self.max_bytes

    def seconds(self, fps: float | None = None) -> float:
        """How long the recording plays, in seconds, at ``fps`` (default: the capture rate)."""
        return (self.slots[-1] + 1) / (fps or self.fps) if self.slots else 0.0

    def add(self, image: QImage, step: int, at: float | None = None) -> bool:
        """Add one frame with ``step`` written in its bottom-left corner; False beyond the cap.

        ``at`` is the capture time in seconds (any monotonic clock): the frame starts at the
        period nearest to it. Without it, each frame takes one period.
        """
        if self.full:
            return False
        if image.width() > self.max_width:
            image = image.scaledToWidth(self.max_width, Qt.TransformationMode.SmoothTransformation)
        slot = self.slots[-1] + 1 if self.slots else 0
        if at is not None:
            if self._start is None:
                self._start = at
            slot = max(slot, round((at - self._start) * self.fps))
        if self._packer is None:
            self._packer = ThreadPoolExecutor(1, thread_name_prefix="recorder")
        job = self._packer.submit(Frame.from_image, to_pil(stamp(image, f"step {step}")))
        job.add_done_callback(self._count)
        self._frames.append(job)
        self.steps.append(step)
        self.slots.append(slot)
        return True

    def hold(self, at: float | None = None) -> bool:
        """Show the last frame again at ``at`` (as ``add`` times it) without capturing: the
        cheap way to keep time while the view has not changed. False beyond the cap."""
        if not self._frames or self.full:
            return False
        slot = self.slots[-1] + 1
        if at is not None and self._start is not None:
            slot = max(slot, round((at - self._start) * self.fps))
        self._frames.append(self._frames[-1])
        self.steps.append(self.steps[-1])
        self.slots.append(slot)
        return True

    def _count(self, job: Future[Frame]) -> None:
        if job.exception() is None:
            self._stored += len(job.result().data)

    def finish(self) -> None:
        """Wait for the frames still being compressed and let the compressing thread go."""
        if self._packer is not None:
            self._packer.shutdown(wait=True)
            self._packer = None

    def timeline(self) -> list[tuple[Frame, int, int]]:
        """(frame, first period, period after its last) of each frame to write. A frame equal
        to the one before it lengthens that one instead: a paused view costs no bytes."""
        shown: list[tuple[Frame, int, int]] = []
        frames = self.frames
        for k, (frame, slot) in enumerate(zip(frames, self.slots, strict=True)):
            end = self.slots[k + 1] if k + 1 < len(self.slots) else slot + 1
            if shown and shown[-1][0] == frame:
                shown[-1] = (shown[-1][0], shown[-1][1], end)
            else:
                shown.append((frame, slot, end))
        return shown

    def durations_ms(self, fps: float | None = None, tick_ms: int = 1) -> list[int]:
        """How long each frame of ``timeline()`` shows, in ms, in whole ``tick_ms``; rounded on
        the running total so the length stays exact (15 frames/s in GIF: 70, 60, 70, ... ms)."""
        period = 1000 / check_fps(fps or self.fps)
        return [max(tick_ms, round(end * period / tick_ms) * tick_ms
                    - round(start * period / tick_ms) * tick_ms)
                for _, start, end in self.timeline()]

    def images(self) -> Iterator[Image.Image]:
        """The frames of ``timeline()`` as Pillow RGB images, the first one's size each."""
        shown = self.timeline()
        size = shown[0][0].size if shown else (0, 0)
        for frame, _, _ in shown:
            im = frame.image()
            yield im if im.size == size else im.resize(size, Image.Resampling.LANCZOS)

    # ---------------------------------------------------------------- writing
    def save(self, path: str | Path, fps: float | None = None) -> Path:
        """Write the frames to ``path`` as GIF, WebP, APNG (.png/.apng) or MP4 by its suffix,
        at ``fps`` frames/s (default: the capture rate, i.e. real time). Nothing is left at
        ``path`` on failure: RecordingError for a bad suffix or no frames, OSError to write."""
        path = Path(path)
        kind = SUFFIXES.get(path.suffix.lower())
        if kind is None:
            raise RecordingError(f"cannot save a recording as {path.name}: the name must end in "
                                 f"{', '.join(SUFFIXES)}")
        if not self._frames:
            raise RecordingError("no frames recorded")
        if kind == "MP4":
            return self.save_mp4(path, fps)
        write = self._gif_writer(fps) if kind == "GIF" else self._pillow_writer(kind, fps)
        write_atomic(path, write)
        return path

    save_any = save  # the suffix picks the format

    def _gif_writer(self, fps: float | None) -> Callable[[IO[bytes]], None]:
        ramp = density_ramp()
        frames = [quantize(im, ramp) for im in self.images()]
        first, *rest = frames
        durations = self.durations_ms(fps, tick_ms=10)
        return lambda fh: first.save(fh, format="GIF", save_all=True, append_images=rest,
                                     duration=durations, loop=0, optimize=False, disposal=1)

    def _pillow_writer(self, kind: str, fps: float | None) -> Callable[[IO[bytes]], None]:
        first, *rest = list(self.images())
        durations = self.durations_ms(fps)
        if kind == "WebP":
            options = {"format": "WEBP", "quality": WEBP_QUALITY, "method": 2}
        else:
            options = {"format": "PNG", "compress_level": 6}
        return lambda fh: first.save(fh, save_all=True, append_images=rest,
                                     duration=durations, loop=0, **options)

    def save_mp4(self, path: str | Path, fps: float | None = None) -> Path:
        """Write the frames as H.264 MP4 through ffmpeg (OSError when no encoder is installed).

        Frames held for several periods are repeated, so the video keeps real time too."""
        if not self._frames:
            raise RecordingError("no frames recorded")
        ffmpeg = shutil.which("ffmpeg")
        if ffmpeg is None:
            raise OSError("no MP4 encoder: install ffmpeg, or save as GIF, WebP or APNG")
        path = Path(path)
        rate = check_fps(fps or self.fps)
        shown = self.timeline()
        size = shown[0][0].size
        raw = b"".join(im.tobytes() * (end - start)
                       for im, (_, start, end) in zip(self.images(), shown, strict=True))
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp.mp4")
        cmd = [ffmpeg, "-loglevel", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24",
               "-s", f"{size[0]}x{size[1]}", "-r", f"{rate:g}", "-i", "-",
               "-vf", "pad=ceil(iw/2)*2:ceil(ih/2)*2", "-pix_fmt", "yuv420p", str(tmp)]
        try:
            proc = subprocess.run(cmd, input=raw, capture_output=True, check=False)
            if proc.returncode != 0:
                reason = proc.stderr.decode(errors="replace").strip().splitlines()
                raise OSError(reason[-1] if reason else f"ffmpeg failed ({proc.returncode})")
            os.replace(tmp, path)
        finally:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
        return path

    def clear(self) -> None:
        """Forget all frames."""
        self.finish()
        self._frames.clear()
        self._stored = 0
        self.steps.clear()
        self.slots.clear()
        self._start = None


def density_ramp(n: int = RAMP_COLORS) -> np.ndarray:
    """``n`` colours evenly along the density colour map, as uint8 RGB rows."""
    lut = pg.colormap.get(theme.DENSITY_CMAP).getLookupTable(nPts=256, alpha=False)
    return np.asarray(lut, dtype=np.uint8)[np.linspace(0, 255, n).round().astype(int)]


def quantize(image: Image.Image, ramp: np.ndarray | None = None) -> Image.Image:
    """``image`` in 256 colours for GIF: ``ramp``'s colours (default: the density colour map)
    plus a palette chosen for this frame alone (octree) for the rest.

    A palette chosen from the frame alone spends its colours on the dark background and
    anti-aliased text, and bands the colour bar and density images into a few dozen
    levels; the reserved ramp keeps them smooth. No dithering: its noise costs file size.
    """
    ramp = density_ramp() if ramp is None else ramp
    n = min(len(ramp), 255)
    own = image.quantize(256 - n, method=Image.Quantize.FASTOCTREE).getpalette() or []
    palette = Image.new("P", (1, 1))
    palette.putpalette(ramp[:n].reshape(-1).tolist() + own[: 3 * (256 - n)])
    return image.quantize(palette=palette, dither=Image.Dither.NONE)


def to_pil(image: QImage) -> Image.Image:
    """A Pillow RGB copy of ``image``."""
    rgb = image.convertToFormat(QImage.Format.Format_RGB888)
    return Image.frombuffer("RGB", (rgb.width(), rgb.height()), bytes(rgb.constBits()),
                            "raw", "RGB", rgb.bytesPerLine(), 1).copy()


def stamp(image: QImage, text: str) -> QImage:
    """A copy of ``image`` with ``text`` (a step number) in its bottom-left corner, clear of
    the panel titles: how every recorded frame is labelled."""
    image = image.convertToFormat(QImage.Format.Format_RGB32)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    font = QFont()
    font.setPointSize(12)
    font.setBold(True)
    painter.setFont(font)
    top = image.height() - 26
    painter.fillRect(0, top, 150, 26, QColor(0, 0, 0, 190))
    painter.setPen(QColor("#ffffff"))
    painter.drawText(QPoint(8, top + 19), text)
    painter.end()
    return image


def stack_vertically(images: list[QImage]) -> QImage:
    """One image with ``images`` one above the other (left-aligned, dark background)."""
    width = max(im.width() for im in images)
    height = sum(im.height() for im in images)
    out = QImage(width, height, QImage.Format.Format_RGB32)
    out.fill(QColor(theme.BACKGROUND))
    painter = QPainter(out)
    y = 0
    for im in images:
        painter.drawImage(0, y, im)
        y += im.height()
    painter.end()
    return out


def mp4_available() -> bool:
    """Whether an MP4 encoder (ffmpeg) is installed."""
    return shutil.which("ffmpeg") is not None


def save_filter() -> str:
    """The save dialog's file types, GIF first."""
    types = ["GIF (*.gif)", "WebP (*.webp)", "APNG (*.png *.apng)"]
    if mp4_available():
        types.append("MP4 (*.mp4)")
    return ";;".join(types)


# ------------------------------------------------------------------ window controls
def fps_menu(parent: QWidget, toolbar: QToolBar, action: QAction, current: int,
             choose: Callable[[int], None]) -> tuple[QMenu, dict[int, QAction]]:
    """The frame-rate menu (one checkable entry per choice in FPS_CHOICES, ``current``
    checked, or DEFAULT_FPS when it is not a choice), also shown from the arrow beside
    ``action``'s toolbar button; picking an entry calls ``choose`` with its rate."""
    menu = QMenu("Recording &Frame Rate", parent)
    group = QActionGroup(menu)
    actions: dict[int, QAction] = {}
    for fps in FPS_CHOICES:
        entry = menu.addAction(f"{fps} frames/s")
        entry.setCheckable(True)
        entry.setChecked(fps == (current if current in FPS_CHOICES else DEFAULT_FPS))
        entry.triggered.connect(lambda _on=False, f=fps: choose(f))
        group.addAction(entry)
        actions[fps] = entry
    button = toolbar.widgetForAction(action)
    if isinstance(button, QToolButton):
        button.setMenu(menu)
        button.setPopupMode(QToolButton.ToolButtonPopupMode.MenuButtonPopup)
    return menu, actions


def dot_icon(recording: bool) -> QIcon:
    """The Record button's icon: a filled circle, red while recording, grey otherwise."""
    pix = QPixmap(16, 16)
    pix.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pix)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(REC_RED if recording else "#8a8a8a"))
    painter.drawEllipse(2, 2, 12, 12)
    painter.end()
    return QIcon(pix)


def indicator_text(recorder: GifRecorder) -> str:
    """The status bar's live "REC" text: frames so far, seconds, rate (rich text, red dot)."""
    full = " · full, capture stopped" if recorder.full else ""
    return (f'<span style="color:{REC_RED}">●</span> <b>REC</b> {len(recorder)} frames · '
            f"{recorder.seconds():.1f} s · {recorder.fps:g} fps{full}")
