"""Animated GIF of training: frames captured from the views, the step drawn on each."""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import subprocess
from pathlib import Path

from PIL import Image
from PySide6.QtCore import QBuffer, QIODevice, QPoint, Qt
from PySide6.QtGui import QColor, QFont, QImage, QPainter

from ganviz.atomic import write_atomic
from ganviz.gui import theme

MAX_FRAMES = 2000


class GifRecorder:
    """Collects frames (QImages) and writes them as one animated GIF, atomically."""

    def __init__(self, max_width: int = 1200, max_frames: int = MAX_FRAMES) -> None:
        self.max_width = max_width
        self.max_frames = max_frames
        self.frames: list[Image.Image] = []
        self.steps: list[int] = []

    def __len__(self) -> int:
        return len(self.frames)

    def add(self, image: QImage, step: int) -> None:
        """Add one frame with ``step`` written in its top-left corner (drops beyond the cap)."""
        if len(self.frames) >= self.max_frames:
            return
        if image.width() > self.max_width:
            image = image.scaledToWidth(self.max_width, Qt.TransformationMode.SmoothTransformation)
        image = stamp(image, f"step {step}")
        buf = QBuffer()
        buf.open(QIODevice.OpenModeFlag.WriteOnly)
        image.save(buf, "PNG")
        frame = Image.open(io.BytesIO(bytes(buf.data()))).convert("RGB")
        self.frames.append(frame.convert("P", palette=Image.Palette.ADAPTIVE, colors=255))
        self.steps.append(step)

    def save(self, path: str | Path, fps: float = 10.0) -> Path:
        """Write the frames as an animated GIF (looping) to ``path``; OSError on failure."""
        if not self.frames:
            raise ValueError("no frames recorded")
        path = Path(path)
        out = io.BytesIO()
        first, *rest = self.frames
        first.save(out, format="GIF", save_all=True, append_images=rest,
                   duration=max(20, int(1000 / fps)), loop=0, optimize=False)
        data = out.getvalue()
        write_atomic(path, lambda fh: fh.write(data))
        return path

    def save_mp4(self, path: str | Path, fps: float = 10.0) -> Path:
        """Write the frames as H.264 MP4 through ffmpeg (OSError when no encoder is installed)."""
        if not self.frames:
            raise ValueError("no frames recorded")
        ffmpeg = shutil.which("ffmpeg")
        if ffmpeg is None:
            raise OSError("no MP4 encoder: install ffmpeg, or save as GIF")
        path = Path(path)
        size = self.frames[0].size
        raw = b"".join(f.convert("RGB").resize(size).tobytes() for f in self.frames)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp.mp4")
        cmd = [ffmpeg, "-loglevel", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24",
               "-s", f"{size[0]}x{size[1]}", "-r", f"{fps:g}", "-i", "-",
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

    def save_any(self, path: str | Path, fps: float = 10.0) -> Path:
        """GIF or MP4 by the file suffix."""
        if Path(path).suffix.lower() == ".mp4":
            return self.save_mp4(path, fps)
        return self.save(path, fps)

    def clear(self) -> None:
        """Forget all frames."""
        self.frames.clear()
        self.steps.clear()


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
