"""Recordings: real-time frame timing at the chosen rate, smooth colour ramps in GIF, WebP
and APNG, the live REC indicator, and bad file names refused with nothing left behind."""

import numpy as np
import pytest
from PIL import Image
from PySide6.QtGui import QColor, QImage

from ganviz.figures.recorder import (
    GifRecorder,
    RecordingError,
    check_fps,
    density_ramp,
    indicator_text,
    quantize,
)


def qimage(rgb: np.ndarray) -> QImage:
    """A QImage copy of an (h, w, 3) uint8 array."""
    h, w, _ = rgb.shape
    data = np.ascontiguousarray(rgb).tobytes()
    return QImage(data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()


def plain(k: int, size=(96, 64)) -> QImage:
    im = QImage(*size, QImage.Format.Format_RGB32)
    im.fill(QColor(30 * k % 255, 90, 160))
    return im


def read_durations(path) -> list[float]:
    """Each frame's duration (ms) as stored in the file, read back with Pillow."""
    out = []
    with Image.open(path) as im:
        for k in range(im.n_frames):
            im.seek(k)
            im.load()
            out.append(float(im.info["duration"]))
    return out


# ------------------------------------------------------------------ timing
@pytest.mark.parametrize("fps", [5, 10, 15, 25])
@pytest.mark.parametrize("suffix", [".gif", ".webp", ".png"])
def test_file_plays_at_the_chosen_rate(qapp, tmp_path, fps, suffix):
    rec = GifRecorder(fps=fps)
    for k in range(6):
        rec.add(plain(k), step=k)
    path = rec.save(tmp_path / f"t{suffix}")
    durations = read_durations(path)
    tick = 10 if suffix == ".gif" else 1  # GIF stores whole centiseconds
    assert len(durations) == 6
    assert sum(durations) == pytest.approx(6000 / fps, abs=tick / 2)
    assert all(abs(d - 1000 / fps) <= tick for d in durations)
    assert rec.seconds() == pytest.approx(6 / fps)


def test_wall_clock_captures_play_in_real_time(qapp, tmp_path):
    """A capture that came late is held for the periods it missed; one that came early
    (same period as the one before) takes the next period: playback length = wall time."""
    rec = GifRecorder(fps=10)
    for k, at in enumerate([50.0, 50.1, 50.21, 50.5, 50.6, 50.62]):
        assert rec.add(plain(k), step=k, at=at)
    assert rec.slots == [0, 1, 2, 5, 6, 7]
    assert rec.durations_ms() == [100, 100, 300, 100, 100, 100]
    assert rec.seconds() == pytest.approx(0.8)
    assert read_durations(rec.save(tmp_path / "t.gif")) == [100, 100, 300, 100, 100, 100]


def test_frame_count_cap_and_repeated_frames(qapp, tmp_path):
    rec = GifRecorder(max_frames=5)
    for k in [0, 1, 1, 1, 2, 3]:  # a paused view repeats its frame
        rec.add(plain(k), step=k)
    assert len(rec) == 5 and rec.full
    assert rec.steps == [0, 1, 1, 1, 2]
    assert rec.durations_ms() == [100, 300, 100]  # the repeats lengthen one frame
    with Image.open(rec.save(tmp_path / "t.webp")) as im:
        assert im.n_frames == 3
    assert sum(read_durations(tmp_path / "t.webp")) == 500


def test_hold_keeps_time_without_capturing(qapp):
    rec = GifRecorder(fps=10)
    assert not rec.hold(0.0)  # nothing to hold yet
    rec.add(plain(0), step=7, at=0.0)
    assert rec.hold(0.1) and rec.hold(0.31)
    rec.add(plain(1), step=8, at=0.4)
    assert len(rec) == 4 and rec.steps == [7, 7, 7, 8] and rec.slots == [0, 1, 3, 4]
    assert rec.durations_ms() == [400, 100] and rec.seconds() == pytest.approx(0.5)


def test_fifteen_fps_gif_keeps_its_length(qapp):
    rec = GifRecorder(fps=15)
    for k in range(30):
        rec.add(plain(k), step=k)
    durations = rec.durations_ms(tick_ms=10)
    assert set(durations) == {60, 70} and sum(durations) == 2000


# -------------------------------------------------------------- smoothness
def ramp_frame() -> np.ndarray:
    """A frame with a 256-level density-colour-map ramp (the colour bar), a grey ramp and
    a block of many other colours competing for the GIF palette."""
    rng = np.random.default_rng(0)
    frame = np.zeros((120, 300, 3), np.uint8)
    frame[:] = (20, 22, 28)
    frame[10:30, 20:276] = density_ramp(256)[None, :, :]
    frame[40:60, 20:276] = np.arange(256, dtype=np.uint8)[None, :, None]
    frame[70:110, 20:276] = rng.integers(0, 256, (40, 256, 3), dtype=np.uint8)
    return frame


def ramp_stats(row: np.ndarray) -> tuple[int, int]:
    """Distinct colours along a ramp, and the largest step between neighbours (sum |dRGB|)."""
    row = row.astype(int)
    return len({tuple(c) for c in row}), int(np.abs(np.diff(row, axis=0)).sum(1).max())


def test_gif_keeps_the_colour_map_smooth():
    frame = Image.fromarray(ramp_frame())
    ours = np.asarray(quantize(frame).convert("RGB"))[20, 20:276]
    levels, step = ramp_stats(ours)
    assert levels >= 120 and step <= 20
    # a palette chosen from the frame alone (the former way) bands the same ramp
    theirs = np.asarray(frame.convert("P", palette=Image.Palette.ADAPTIVE, colors=255)
                        .convert("RGB"))[20, 20:276]
    assert ramp_stats(theirs)[1] > 2 * step


@pytest.mark.parametrize("suffix", [".webp", ".png"])
def test_webp_and_apng_keep_a_smooth_ramp(qapp, tmp_path, suffix):
    """APNG is exact; lossy WebP moves colours a little but keeps ramps free of bands."""
    source = ramp_frame()
    rec = GifRecorder()
    rec.add(qimage(source), step=0)
    rec.add(qimage(source[:, ::-1].copy()), step=1)
    with Image.open(rec.save(tmp_path / f"t{suffix}")) as im:
        im.seek(0)
        out = np.asarray(im.convert("RGB"))
    for y in (20, 50):
        levels, step = ramp_stats(out[y, 20:276])
        if suffix == ".png":
            assert (out[y, 20:276] == source[y, 20:276]).all() and levels == 256
        else:
            assert levels >= 150 and step <= 32


# --------------------------------------------------------------- indicator
def test_indicator_counts_frames_and_seconds(qapp):
    rec = GifRecorder(fps=25, max_frames=3)
    assert "<b>REC</b> 0 frames · 0.0 s · 25 fps" in indicator_text(rec)
    rec.add(plain(0), 0, at=1.0)
    rec.add(plain(1), 1, at=1.04)
    text = indicator_text(rec)
    assert "REC</b> 2 frames · 0.1 s · 25 fps" in text and "full" not in text
    rec.add(plain(2), 2, at=1.08)
    assert not rec.add(plain(3), 3, at=1.12)
    assert "3 frames" in indicator_text(rec) and "full" in indicator_text(rec)


def test_window_records_at_the_chosen_rate_with_a_live_indicator(window, qtbot, tmp_path):
    saved = tmp_path / "rec.webp"
    window.recording.ask_path = lambda: saved
    window.recording.set_record_fps(25)
    assert window.recording.record_fps_actions[25].isChecked()
    window.recording.record_action.setChecked(True)
    assert window.recording.record_timer.interval() == 40 and window.recording.recorder.fps == 25
    label = window.recording.record_indicator
    qtbot.waitUntil(lambda: len(window.recording.recorder) >= 2, timeout=20000)
    first = label.text()
    qtbot.waitUntil(lambda: label.text() != first, timeout=20000)
    assert label.isVisible() and "REC" in label.text() and "25 fps" in label.text()
    window.recording.record_action.setChecked(False)
    assert not label.isVisible() and window.recording.recorder is None
    assert not window.recording.record_timer.isActive()
    assert "saving" in window.statusBar().currentMessage()  # on a thread: the window goes on
    qtbot.waitUntil(lambda: "25 frames/s" in window.statusBar().currentMessage(),
                    timeout=20000)
    assert not window.recording.save_timer.isActive()
    assert sum(read_durations(saved)) % 40 == 0
    rec = GifRecorder()
    rec.add(plain(0), 0)
    for path in (tmp_path / "clip.bmp", tmp_path / "missing" / "clip.gif"):
        window.files.dialogs.last_error = ""
        window.recording.save_recording(rec, path)
        window.recording.finish_saving()
        error = window.files.dialogs.last_error
        assert str(path) in error and "\n" not in error
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rec.webp"]
    # closing while recording: cancel keeps recording; save writes it first
    window.recording.record_action.setChecked(True)
    qtbot.waitUntil(lambda: len(window.recording.recorder) >= 1, timeout=20000)
    window.quiet_dialogs = False
    asked: list[int] = []
    try:
        window.recording.recording_question = lambda n: asked.append(n) or "cancel"
        assert not window.recording.settle() and window.recording.recorder is not None
        window.recording.ask_path = lambda: tmp_path / "on-close.gif"
        window.recording.recording_question = lambda n: "save"
        assert window.recording.settle() and window.recording.recorder is None
        window.recording.finish_saving()
    finally:
        window.quiet_dialogs = True
    assert asked and asked[0] >= 1 and (tmp_path / "on-close.gif").is_file()


# --------------------------------------------------------------- bad input
def test_bad_names_and_rates_leave_nothing(qapp, tmp_path):
    rec = GifRecorder()
    rec.add(plain(0), 0)
    with pytest.raises(RecordingError, match=r"clip\.bmp.*\.gif, \.webp, \.png"):
        rec.save(tmp_path / "clip.bmp")
    with pytest.raises(OSError):
        rec.save(tmp_path / "missing" / "clip.gif")
    with pytest.raises(RecordingError, match="no frames"):
        GifRecorder().save(tmp_path / "clip.gif")
    with pytest.raises(RecordingError, match="Frame rate"):
        check_fps(0)
    assert list(tmp_path.iterdir()) == []
