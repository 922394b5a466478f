import pytest
from PIL import Image
from PySide6.QtGui import QColor, QImage

from ganviz.figures.recorder import GifRecorder, mp4_available, stack_vertically


def frames(n: int) -> list[QImage]:
    out = []
    for k in range(n):
        im = QImage(320, 200, QImage.Format.Format_RGB32)
        im.fill(QColor(40 * k % 255, 80, 160))
        out.append(im)
    return out


def test_gif_has_every_frame_with_its_step(qapp, tmp_path):
    rec = GifRecorder()
    for k, im in enumerate(frames(4)):
        rec.add(im, step=100 * k)
    path = rec.save(tmp_path / "t.gif", fps=5)
    with Image.open(path) as gif:
        assert gif.n_frames == 4 and gif.size == (320, 200)
        assert gif.info["duration"] == 200
    assert rec.steps == [0, 100, 200, 300]
    assert not list(tmp_path.glob(".*"))


def test_stacking_and_frame_cap(qapp):
    top, bottom = frames(2)
    assert stack_vertically([top, bottom]).size().height() == 400
    rec = GifRecorder(max_frames=2)
    for im in frames(3):
        rec.add(im, 0)
    assert len(rec) == 2


def test_empty_recording_and_bad_path(qapp, tmp_path):
    with pytest.raises(ValueError, match="no frames"):
        GifRecorder().save(tmp_path / "x.gif")
    rec = GifRecorder()
    rec.add(frames(1)[0], 0)
    with pytest.raises(OSError):
        rec.save(tmp_path / "missing" / "x.gif")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(not mp4_available(), reason="no MP4 encoder (ffmpeg) on this machine")
def test_mp4_where_an_encoder_is_installed(qapp, tmp_path):
    rec = GifRecorder()
    for k, im in enumerate(frames(6)):
        rec.add(im, k)
    path = rec.save_any(tmp_path / "t.mp4", fps=6)
    data = path.read_bytes()
    assert len(data) > 1000 and b"ftyp" in data[:64]
    assert not list(tmp_path.glob(".*"))
