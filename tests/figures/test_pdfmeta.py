"""A PDF export is the same bytes each time: its id comes from its content, its dates from
SOURCE_DATE_EPOCH, and a headless figure's embedded fonts do not depend on the process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ganviz.figures import pdfmeta

ROOT = Path(__file__).resolve().parents[2]
EPOCH = 1_765_000_000  # 2025-12-06 05:46:40 UTC


def _fake_pdf(doc_id: str, body: bytes = b"stream") -> bytes:
    """The metadata of a Qt PDF, in Qt's layout, around ``body``."""
    hex_id = doc_id.encode().hex().encode()
    return (b"%PDF-1.4\n/CreationDate (D:20261207074744Z)\n/ModDate (D:20261207084744+01'00')\n"
            b'xmp:CreateDate="2026-12-07T07:47:44+00:00" xmp:ModifyDate="2026-12-07T07:47:44Z"\n'
            b'xmpMM:DocumentID="uuid:' + doc_id.encode() + b'"\n' + body
            + b"\n/ID [ <" + hex_id + b"> <" + hex_id + b"> ]\n%%EOF\n")


ID_A = "3ed6d1ad-39f7-4215-bfb9-37ae1db07a97"
ID_B = "9b1c2f44-0a6e-4d3b-8c55-1f2e3d4c5b6a"


def test_dates_become_the_epoch_in_utc_and_keep_their_length():
    pdf = _fake_pdf(ID_A)
    fixed = pdfmeta.reproducible(pdf, EPOCH)
    assert len(fixed) == len(pdf)
    assert b"(D:20251206054640Z)" in fixed
    assert b"(D:20251206054640+00'00')" in fixed
    assert b'xmp:CreateDate="2025-12-06T05:46:40+00:00"' in fixed
    assert b'xmp:ModifyDate="2025-12-06T05:46:40Z"' in fixed
    assert b"2026" not in fixed


def test_the_id_comes_from_the_content_not_from_qts_random_draw():
    one, two = (pdfmeta.reproducible(_fake_pdf(i), EPOCH) for i in (ID_A, ID_B))
    assert one == two
    assert ID_A.encode() not in one and ID_A.encode().hex().encode() not in one
    other = pdfmeta.reproducible(_fake_pdf(ID_A, b"other stream"), EPOCH)
    new_id = one.split(b"uuid:")[1][:36]
    assert new_id not in other  # another figure, another id
    assert one.count(new_id.hex().encode()) == 2  # both halves of /ID


def test_without_an_epoch_the_dates_stay(monkeypatch):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    assert b"(D:20261207074744Z)" in pdfmeta.reproducible(_fake_pdf(ID_A))
    for bad in ("soon", "-5", "1e9", str(pdfmeta.LAST_EPOCH + 1)):  # 5-digit years too
        monkeypatch.setenv("SOURCE_DATE_EPOCH", bad)
        assert pdfmeta.source_date_epoch() is None, bad
        assert b"(D:20261207074744Z)" in pdfmeta.reproducible(_fake_pdf(ID_A))
    assert len(pdfmeta.reproducible(_fake_pdf(ID_A), 10**12)) == len(_fake_pdf(ID_A))
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(EPOCH))
    assert b"(D:20251206054640Z)" in pdfmeta.reproducible(_fake_pdf(ID_A))


def test_bytes_without_qts_metadata_come_back_unchanged():
    assert pdfmeta.reproducible(b"%PDF-1.4 nothing", EPOCH) == b"%PDF-1.4 nothing"


_FIGURE = """
import sys
from pathlib import Path
from ganviz.figures.comparison import write_widget_figure
from ganviz.figures.study import study_figure
from ganviz.studies.analysis import analyse, read_groups
runs, rows, series = analyse(read_groups([Path(sys.argv[1])]))
write_widget_figure(lambda look: study_figure(rows, series, look), Path(sys.argv[2]),
                    theme="paper", vectors=True)
"""


def test_a_headless_figure_pdf_is_the_same_bytes_in_two_processes(tmp_path):
    """Two processes (two clocks, and without the fixed seed two hash seeds) write one
    figure: the same PDF, which a renderer that is not Qt still opens, dated at the epoch.
    (Qt's random seed changes the font order in about one process in five, so this catches
    a lost fixed seed only sometimes; a lost id or date fix it catches every time.)"""
    pdfium = pytest.importorskip("pypdfium2")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "SOURCE_DATE_EPOCH": str(EPOCH)}
    env.pop("QT_HASH_SEED", None)
    folder = ROOT / "docs" / "results" / "pilot-collapse"
    pdfs = []
    for i in range(2):
        png = tmp_path / str(i) / "figure.png"  # one name: the title is the file's stem
        png.parent.mkdir()
        subprocess.run([sys.executable, "-c", _FIGURE, str(folder), str(png)], cwd=ROOT,
                       env=env, check=True, timeout=120)
        pdfs.append(png.with_suffix(".pdf"))
    assert pdfs[0].read_bytes() == pdfs[1].read_bytes()
    doc = pdfium.PdfDocument(str(pdfs[0]))
    try:
        assert len(doc) == 1
        assert doc.get_metadata_dict()["CreationDate"].startswith("D:20251206054640")
    finally:
        doc.close()
