"""The bad-file corpus: damaged, hostile and foreign checkpoints and session files.

Every case is built from a real small checkpoint or session. Each must be refused with one
line (no newline, no traceback) naming the field or the problem, leave the file on disk
byte for byte as it was, and change nothing that is running: a live trainer keeps its
state, a live session keeps training to the same numbers as an untouched twin, and the
command line exits with 2 and leaves its folder as it was.
"""

from __future__ import annotations

import copy
import io
import json
import math
import os
import random
import struct
import time
import warnings
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
import torch

from ganviz.cli import main
from ganviz.core.contract import Failed, LatestSlot, OpenSession, Step
from ganviz.core.history import MetricHistory
from ganviz.core.runs import expand_runs
from ganviz.engine.checkpoint import (
    MAX_CHECKPOINT_BYTES,
    CheckpointError,
    parse_checkpoint,
    read_checkpoint,
)
from ganviz.engine.sessionfile import SessionFileError, load_session, peek_session, save_session
from ganviz.engine.trainer import Trainer
from ganviz.live.loop import TrainingLoop
from tests.conftest import small_config

N_RUNS = 4


# ------------------------------------------------------------------ the base
@dataclass(frozen=True)
class Base:
    """A real small training state, its checkpoint bytes and its session's members."""

    state: dict[str, Any]
    pt: bytes
    session: bytes
    members: dict[str, bytes]


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Base:
    t = Trainer(small_config())
    t.set_active(1, False)
    t.train(12)
    state = t.state_dict()
    path = save_session(t, tmp_path_factory.mktemp("base") / "base.ganviz",
                        view={"layers": ["density"], "selected_run": 2})
    with zipfile.ZipFile(path) as zf:
        members = {name: zf.read(name) for name in zf.namelist()}
    return Base(state, _pt(state), path.read_bytes(), members)


def _pt(obj: Any) -> bytes:
    buf = io.BytesIO()
    torch.save(obj, buf)
    return buf.getvalue()


def _zip(members: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # duplicate names are a case of their own
        with zipfile.ZipFile(buf, "w", compression=method) as zf:
            for name, data in members.items() if isinstance(members, dict) else members:
                zf.writestr(name, data)
    return buf.getvalue()


def _session_with(b: Base, **replace: bytes) -> bytes:
    members = dict(b.members)
    for key, value in replace.items():
        members[key.replace("_", ".", 1) if key in ("manifest_json", "checkpoint_pt") else
                key] = value
    return _zip(members)


def _patch(data: bytes, name: str, *, flags: int | None = None, method: int | None = None,
           size: int | None = None) -> bytes:
    """Rewrite member ``name``'s flag bits, method or declared size in both zip headers."""
    out = bytearray(data)
    end = out.rfind(b"PK\x05\x06")
    where = struct.unpack_from("<I", out, end + 16)[0]  # the central directory
    while out[where:where + 4] == b"PK\x01\x02":
        n, extra, comment = struct.unpack_from("<HHH", out, where + 28)
        if bytes(out[where + 46:where + 46 + n]).decode() == name:
            break
        where += 46 + n + extra + comment
    else:
        raise KeyError(name)
    local = struct.unpack_from("<I", out, where + 42)[0]
    for start, (f_off, m_off, s_off) in ((local, (6, 8, 22)), (where, (8, 10, 24))):
        if flags is not None:
            struct.pack_into("<H", out, start + f_off, flags)
        if method is not None:
            struct.pack_into("<H", out, start + m_off, method)
        if size is not None:
            struct.pack_into("<I", out, start + s_off, size)
    return bytes(out)


def _data_span(data: bytes, name: str) -> tuple[int, int]:
    """Where member ``name``'s (compressed) bytes start and how many there are."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        info = zf.getinfo(name)
    n, extra = struct.unpack_from("<HH", data, info.header_offset + 26)
    return info.header_offset + 30 + n + extra, info.compress_size


def _flip(data: bytes, offsets: list[int]) -> bytes:
    out = bytearray(data)
    for k in offsets:
        out[k] ^= 0xFF
    return bytes(out)


def _flip_in(data: bytes, name: str, count: int = 1, seed: int = 0) -> bytes:
    start, length = _data_span(data, name)
    rng = random.Random(seed)
    offsets = [start + length // 2] if count == 1 else rng.sample(range(start, start + length),
                                                                 count)
    return _flip(data, offsets)


class Evil:
    """Pickles as a call to os.system: a weights-only load must refuse it."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


# ---------------------------------------------------- checkpoint state cases
def _set(key: str, value: Any) -> Callable[[dict], None]:
    return lambda s: s.__setitem__(key, value)


def _cfg(section: str, key: str, value: Any) -> Callable[[dict], None]:
    return lambda s: s["config"][section].__setitem__(key, value)


def _v1(fn: Callable[[dict], None]) -> Callable[[dict], None]:
    """``fn`` applied to the state as version 1 stored it: the history as rows."""
    def apply(s: dict) -> None:
        runs = expand_runs(small_config())
        history = MetricHistory.from_state(s["history"], [r.estimator for r in runs],
                                           [r.seed for r in runs])
        s["version"], s["history"] = 1, history.rows()
        fn(s)
    return apply


def _rows(fn: Callable[[dict], None]) -> Callable[[dict], None]:
    def apply(s: dict) -> None:
        for row in s["history"]:
            fn(row)
    return _v1(apply)


def _first_row(key: str, value: Any, row: int = 0) -> Callable[[dict], None]:
    return _v1(lambda s: s["history"][row].__setitem__(key, value))


@_v1
def _swap_rows(s: dict) -> None:
    s["history"][0], s["history"][1] = s["history"][1], s["history"][0]


def _column(key: str, fn: Callable[[Any], Any]) -> Callable[[dict], None]:
    """Replace one column of the (version 2) history by ``fn`` of it."""
    return lambda s: s["history"].__setitem__(key, fn(s["history"][key]))


def _steps_backwards(s: dict) -> None:
    s["history"]["step"] = s["history"]["step"].flip(0)


def _many_evaluations(s: dict) -> None:
    """Every history column 500 times as long: far more evaluations than 12 steps make."""
    s["history"] = {k: v.repeat(500, *([1] * (v.dim() - 1))) for k, v in s["history"].items()}


def _garbage_noise(s: dict) -> None:
    gen = torch.Generator().manual_seed(3)
    s["noise"][0] = torch.randint(0, 255, s["noise"][0].shape, dtype=torch.uint8, generator=gen)


STATE_CASES: list[tuple[str, Callable[[dict], None], tuple[str, ...]]] = [
    ("format-foreign", _set("format", "other-tool"), ("not a ganviz checkpoint",)),
    ("version-99", _set("version", 99), ("format version 99", "up to 2")),
    ("version-0", _set("version", 0), ("format version 0",)),
    ("version-text", _set("version", "1"), ("format version '1'",)),
    ("no-config", lambda s: s.pop("config"), ("config",)),
    ("config-list", _set("config", [1, 2]), ("config must be a table",)),
    ("config-unknown-section", lambda s: s["config"].__setitem__("extra", {}), ("extra",)),
    ("config-bad-lr", _cfg("train", "lr_d", -1.0), ("train.lr_d",)),
    ("config-data-seed-1e30", _cfg("data", "seed", 10**30),
     ("data.seed", "[0, 9223372036854775807] (got 1000000000...000000 (31 characters))")),
    ("config-seeds-1e400", _cfg("runs", "seeds", [10**400]), ("runs.seeds[0]", "(401 characters)")),
    ("config-more-runs", _cfg("runs", "seeds", [0, 1]), ("opt_g.steps", "[8]")),
    ("device-type-number", _set("device_type", 5), ("device_type",)),
    ("device-type-other", _set("device_type", "cuda"), ("cuda", "same device type")),
    ("step-negative", _set("step", -1), ("step must be",)),
    ("step-nan", _set("step", math.nan), ("step must be",)),
    ("step-text", _set("step", "12"), ("step must be",)),
    ("G-missing", lambda s: s.pop("G"), ("G must be a table",)),
    ("G-tensor", _set("G", torch.zeros(3)), ("G must be a table",)),
    ("G-wrong-shape", lambda s: s["G"].__setitem__("weights.0", torch.zeros(N_RUNS, 2, 64)),
     ("G.weights.0", "shape")),
    ("G-missing-weight", lambda s: s["G"].pop("biases.1"), ("G does not match", "biases.1")),
    ("D-float64", lambda s: s["D"].__setitem__("weights.0", s["D"]["weights.0"].double()),
     ("D.weights.0", "float32")),
    ("D-list", lambda s: s["D"].__setitem__("weights.0", [[1.0]]), ("D.weights.0", "list")),
    ("opt_g-missing", lambda s: s.pop("opt_g"), ("opt_g must be a table",)),
    ("opt_g-kind", lambda s: s["opt_g"].__setitem__("kind", "rmsprop"), ("opt_g.kind",)),
    ("opt_g-kind-sgd", lambda s: s["opt_g"].update(kind="sgd", v=[]), ("opt_g.kind", "adam")),
    ("opt_g-lr-nan", lambda s: s["opt_g"].__setitem__("lr", math.nan), ("opt_g.lr",)),
    ("opt_g-steps-nan", lambda s: s["opt_g"]["steps"].__setitem__(0, math.nan),
     ("opt_g.steps", "whole counts")),
    ("opt_g-steps-negative", lambda s: s["opt_g"]["steps"].__setitem__(2, -4.0),
     ("opt_g.steps", "whole counts")),
    ("opt_g-steps-fraction", lambda s: s["opt_g"]["steps"].__setitem__(2, 1.5),
     ("opt_g.steps", "whole counts")),
    ("opt_g-steps-3-runs", lambda s: s["opt_g"].__setitem__("steps", s["opt_g"]["steps"][:3]),
     ("opt_g.steps", "[4]")),
    ("opt_g-m-short", lambda s: s["opt_g"]["m"].pop(), ("opt_g.m", "tensors")),
    ("opt_d-m0-shape", lambda s: s["opt_d"]["m"].__setitem__(0, torch.zeros(1)),
     ("opt_d.m[0]", "shape")),
    ("opt_d-v-text", lambda s: s["opt_d"].__setitem__("v", "x"), ("opt_d.v",)),
    ("noise-2-runs", lambda s: s.__setitem__("noise", s["noise"][:2]), ("noise", "4")),
    ("noise-garbage", _garbage_noise, ("noise[0]", "random generator state")),
    ("noise-float", lambda s: s["noise"].__setitem__(0, s["noise"][0].float()),
     ("noise[0]", "uint8")),
    ("active-short", _set("active", [True, False]), ("active",)),
    ("active-ints", _set("active", [1, 0, 1, 1]), ("active",)),
    ("diverged-float", _set("diverged", torch.zeros(N_RUNS)), ("diverged", "bool")),
    ("diverged-3-runs", _set("diverged", torch.zeros(3, dtype=torch.bool)), ("diverged", "[4]")),
    ("run-steps-negative", _set("run_steps", torch.tensor([12, -1, 12, 12])),
     ("run_steps", "whole counts")),
    ("run-steps-float", _set("run_steps", torch.full((N_RUNS,), 12.0)), ("run_steps", "int64")),
    ("loss_d-shape", _set("loss_d", torch.zeros(N_RUNS, 2)), ("loss_d", "[4]")),
    ("loss_g-list", _set("loss_g", [0.1] * N_RUNS), ("loss_g", "list")),
    # version 1: the history as rows
    ("history-ints", _v1(_set("history", [1, 2, 3])), ("history", "4 rows per evaluation")),
    ("history-ints-4", _v1(_set("history", [1, 2, 3, 4])),
     ("history[0] must be a table of metric columns",)),
    ("history-dict", _v1(_set("history", {})), ("history must be a list",)),
    ("history-rows-without-keys", _v1(lambda s: s.__setitem__("history", [{}] * 8)),
     ("history[0] must be a table of metric columns", "missing step")),
    ("history-missing-modes", _rows(lambda r: r.pop("modes")), ("history[0]", "missing modes")),
    ("history-unknown-column", _first_row("colour", "red"), ("history[0]", "unknown colour")),
    ("history-run-order", _swap_rows, ("history[0].run", "run order")),
    ("history-partial", _v1(lambda s: s["history"].pop()), ("history", "4 rows per evaluation")),
    ("history-step-nan", _first_row("step", math.nan), ("history[0].step",)),
    ("history-step-future", _first_row("step", 10**6), ("history[0].step", "[0, 12]")),
    ("history-modes-text", _first_row("modes", "eight"), ("history[0].modes", "number")),
    ("history-estimator", _first_row("estimator", "magic"), ("history[0].estimator",)),
    ("history-diverged-text", _first_row("diverged", "no"), ("history[0].diverged",)),
    ("history-other-runs-estimator", _first_row("estimator", "score"),
     ("history[0].estimator", "must be plugin", "run 0")),
    ("history-other-seed", _first_row("seed", 5, row=2), ("history[2].seed", "must be 0")),
    ("history-mixed-steps", _first_row("step", 0, row=5), ("history[5].step", "must be 10")),
    ("history-steps-backwards", _v1(lambda s: s["history"].sort(key=lambda r: -r["step"])),
     ("history[4].step", "must not come before", "10")),
    ("history-too-many-rows", _v1(lambda s: s["history"].extend(s["history"] * 20)),
     ("history holds 42 evaluations for a run at step 12", "at most 26")),
    # version 2: the history by column
    ("columns-list", _set("history", [1, 2, 3]), ("history must be a table of metric columns",
                                                   "list")),
    ("columns-number-key", _set("history", {1: 2}), ("history must be a table", "key 1")),
    ("columns-missing-modes", lambda s: s["history"].pop("modes"),
     ("history must be a table", "missing modes")),
    ("columns-unknown", lambda s: s["history"].__setitem__("colour", torch.zeros(2, N_RUNS)),
     ("history must be a table", "unknown colour")),
    ("columns-step-float", _column("step", lambda v: v.double()), ("history.step", "int64")),
    ("columns-step-2d", _column("step", lambda v: v.view(-1, 1)), ("history.step", "flat")),
    ("columns-step-future", _column("step", lambda v: v + 10**6), ("history.step", "[0, 12]")),
    ("columns-step-negative", _column("step", lambda v: v - 5), ("history.step", "[0, 12]")),
    ("columns-steps-backwards", _steps_backwards, ("history.step", "never decrease")),
    ("columns-3-runs", _column("modes", lambda v: v[:, :3]),
     ("history.modes", "[2, 4]", "4 runs")),
    ("columns-one-row-short", _column("loss_d", lambda v: v[:1]),
     ("history.loss_d", "[2, 4]", "2 evaluations")),
    ("columns-float32", _column("sigma", lambda v: v.float()), ("history.sigma", "float64")),
    ("columns-list-values", _column("js_divergence", lambda v: v.tolist()),
     ("history.js_divergence", "list")),
    ("columns-diverged-float", _column("diverged", lambda v: v.double()),
     ("history.diverged", "bool")),
    ("columns-sparse", _column("reverse_kl", lambda v: v.to_sparse()), ("history.reverse_kl",)),
    ("columns-too-many-evaluations", _many_evaluations,
     ("history holds 1000 evaluations for a run at step 12", "at most 26")),
]
STATE_IDS = [c[0] for c in STATE_CASES]


def _bad_state(b: Base, fn: Callable[[dict], None]) -> dict:
    state = copy.deepcopy(b.state)
    fn(state)
    return state


# ------------------------------------------------------ checkpoint byte cases
def _legacy(b: Base) -> bytes:
    buf = io.BytesIO()
    torch.save(b.state, buf, _use_new_zipfile_serialization=False)
    return buf.getvalue()


BYTE_CASES: list[tuple[str, Callable[[Base, Path], bytes], tuple[str, ...]]] = [
    ("empty", lambda b, d: b"", ("not a readable checkpoint",)),
    ("text", lambda b, d: b"step = 12\n", ("not a readable checkpoint",)),
    ("truncated-half", lambda b, d: b.pt[: len(b.pt) // 2], ("not a readable checkpoint",)),
    ("truncated-tail", lambda b, d: b.pt[:-30], ("not a readable checkpoint",)),
    ("flip-pickle", lambda b, d: _flip_in(b.pt, "archive/data.pkl"), ("bad CRC-32",
                                                                       "archive/data.pkl")),
    ("flip-weights", lambda b, d: _flip_in(b.pt, "archive/data/1"), ("bad CRC-32",
                                                                     "archive/data/1")),
    ("flip-adam-state", lambda b, d: _flip_in(b.pt, "archive/data/14"), ("bad CRC-32",
                                                                         "archive/data/14")),
    ("flip-64-bytes", lambda b, d: _flip_in(b.pt, "archive/data/7", count=64, seed=5),
     ("bad CRC-32", "would load wrong numbers")),
    ("flip-directory-name", lambda b, d: _flip(b.pt, [b.pt.rfind(b"archive/version") + 9]),
     ("not a readable checkpoint",)),
    ("legacy-torch-format", lambda b, d: _legacy(b), ("not a readable checkpoint",)),
    ("pickle-global-os-system", lambda b, d: _pt({"format": "ganviz-checkpoint",
                                                  "x": Evil(d / "pwned")}),
     ("Python objects", "could run code")),
    ("pickle-global-fraction", lambda b, d: _pt({**b.state, "step": Fraction(12)}),
     ("Python objects",)),
    ("record-declares-3GiB", lambda b, d: _patch(b.pt, "archive/data/1", size=3 << 30),
     ("GiB", "limit for checkpoints")),
    ("record-lies-small", lambda b, d: _patch(b.pt, "archive/data/1", size=100),
     ("bad CRC-32", "archive/data/1")),
    ("record-encrypted", lambda b, d: _patch(b.pt, "archive/data.pkl", flags=0x1),
     ("encrypted", "archive/data.pkl")),
    ("record-method-99", lambda b, d: _patch(b.pt, "archive/data.pkl", method=99),
     ("compression method 99",)),
    ("foreign-torch-file", lambda b, d: _pt({"weights": torch.zeros(3)}),
     ("not a ganviz checkpoint",)),
    ("torch-list", lambda b, d: _pt([1, 2, 3]), ("not a ganviz checkpoint",)),
]
BYTE_IDS = [c[0] for c in BYTE_CASES]
CKPT_CASES = [(i, "state", w) for i, _, w in STATE_CASES] + [(i, "bytes", w)
                                                             for i, _, w in BYTE_CASES]


def _checkpoint_bytes(b: Base, case_id: str, folder: Path) -> bytes:
    for i, fn, _ in STATE_CASES:
        if i == case_id:
            return _pt(_bad_state(b, fn))
    for i, fn, _ in BYTE_CASES:
        if i == case_id:
            return fn(b, folder)
    raise KeyError(case_id)


def _one_line(msg: str, *words: str) -> None:
    assert msg and "\n" not in msg and "Traceback" not in msg, msg
    for w in words:
        assert w in msg, (w, msg)


def _listing(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


# ------------------------------------------------------------ checkpoints
@pytest.mark.parametrize(("case", "kind", "words"), CKPT_CASES, ids=[c[0] for c in CKPT_CASES])
def test_damaged_checkpoint_is_refused_in_one_line(base, tmp_path, case, kind, words):
    path = tmp_path / "checkpoint.pt"
    path.write_bytes(_checkpoint_bytes(base, case, tmp_path))
    before = _listing(tmp_path)
    with pytest.raises(CheckpointError) as info:
        Trainer.from_checkpoint(path, device="cpu")
    _one_line(str(info.value), *words)
    assert _listing(tmp_path) == before
    assert not (tmp_path / "pwned").exists()


@pytest.mark.parametrize(("case", "kind", "words"), CKPT_CASES, ids=[c[0] for c in CKPT_CASES])
def test_damaged_checkpoint_in_a_session_is_refused_alike(base, tmp_path, case, kind, words):
    """The same damage inside a session (whose own zip is intact): the same check refuses it
    with the same words as the command line."""
    pt = _checkpoint_bytes(base, case, tmp_path)
    ckpt = tmp_path / "checkpoint.pt"
    ckpt.write_bytes(pt)
    with pytest.raises(CheckpointError) as cli:
        Trainer.from_checkpoint(ckpt, device="cpu")
    path = tmp_path / "bad.ganviz"
    path.write_bytes(_session_with(base, checkpoint_pt=pt))
    before = _listing(tmp_path)
    with pytest.raises(SessionFileError) as info:
        load_session(path, device="cpu")
    msg = str(info.value)
    _one_line(msg, "bad.ganviz", *words)
    cli_msg = str(cli.value)
    if cli_msg.startswith(f"checkpoint {ckpt}"):  # a file-level refusal names the file
        assert msg.endswith(cli_msg.removeprefix(f"checkpoint {ckpt}"))
    else:
        assert msg.endswith(cli_msg)
    assert _listing(tmp_path) == before
    assert not (tmp_path / "pwned").exists()


@pytest.fixture(scope="module")
def live_trainer() -> tuple[Trainer, dict]:
    t = Trainer(small_config())
    t.train(3)
    return t, copy.deepcopy(t.state_dict())


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, torch.Tensor):
        return isinstance(b, torch.Tensor) and torch.equal(a.nan_to_num(), b.nan_to_num())
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_same(a[k], b[k])
                                                                    for k in a)
    if isinstance(a, list):
        return isinstance(b, list) and len(a) == len(b) and all(map(_same, a, b))
    return a == b or (a != a and b != b)


@pytest.mark.parametrize(("case", "fn", "words"), STATE_CASES, ids=STATE_IDS)
def test_refused_state_leaves_the_live_trainer_unchanged(base, live_trainer, case, fn, words):
    trainer, original = live_trainer
    with pytest.raises(CheckpointError) as info:
        trainer.load_state_dict(_bad_state(base, fn))
    _one_line(str(info.value), *words)
    assert _same(trainer.state_dict(), original)


def test_same_comparison_can_fail(live_trainer):
    trainer, original = live_trainer
    changed = copy.deepcopy(original)
    changed["opt_g"]["m"][0][0, 0, 0] += 1
    assert not _same(changed, original)
    assert _same(trainer.state_dict(), original)


def _record_payloads(data: bytes) -> list[tuple[int, int]]:
    """The byte ranges of the zip records' data (after each local header and its extra
    field, where torch pads records to its storage alignment)."""
    spans = []
    for info in zipfile.ZipFile(io.BytesIO(data)).infolist():
        h = info.header_offset
        name_len, extra_len = struct.unpack("<HH", data[h + 26:h + 30])
        start = h + 30 + name_len + extra_len
        spans.append((start, start + info.compress_size))
    return spans


def test_every_single_bit_flip_is_refused_or_harmless(base):
    """Flip one bit at every 61st byte of a checkpoint: a flip in any record's data is
    refused (its CRC); a flip elsewhere (a header's date, the alignment padding, the
    directory) is refused or loads exactly the original numbers. (Every byte was checked
    once by hand: 153,433 flips, none loaded different numbers.)"""
    payloads = _record_payloads(base.pt)
    assert sum(b - a for a, b in payloads) > 0.9 * len(base.pt)  # the data are most bytes
    in_data = 0
    for k in range(0, len(base.pt), 61):
        data = bytearray(base.pt)
        data[k] ^= 0x01
        inside = any(a <= k < b for a, b in payloads)
        in_data += inside
        try:
            state = parse_checkpoint(bytes(data))
        except CheckpointError as exc:
            _one_line(str(exc))
            continue
        assert not inside, f"a flip at byte {k}, in a record's data, was not refused"
        assert _same(state, base.state), k
    assert in_data > 1000


def test_oversized_checkpoint_file_is_refused_before_reading(tmp_path):
    path = tmp_path / "checkpoint.pt"
    with open(path, "wb") as fh:  # sparse: no disk space used
        fh.truncate(MAX_CHECKPOINT_BYTES + 1)
    t0 = time.perf_counter()
    with pytest.raises(CheckpointError) as info:
        read_checkpoint(path)
    assert time.perf_counter() - t0 < 1.0
    _one_line(str(info.value), "1 GiB limit for checkpoints")


# ---------------------------------------------------------------- sessions
def _manifest(b: Base, **changes: Any) -> bytes:
    m = json.loads(b.members["manifest.json"])
    m.update(changes)
    return json.dumps(m).encode()


def _view(**view: Any) -> Callable[[Base, Path], bytes]:
    return lambda b, d: _session_with(b, manifest_json=_manifest(b, view=view))


def _man(**changes: Any) -> Callable[[Base, Path], bytes]:
    return lambda b, d: _session_with(b, manifest_json=_manifest(b, **changes))


def _raw_manifest(raw: bytes) -> Callable[[Base, Path], bytes]:
    return lambda b, d: _session_with(b, manifest_json=raw)


def _without(name: str) -> Callable[[Base, Path], bytes]:
    return lambda b, d: _zip({k: v for k, v in b.members.items() if k != name})


def _extra(name: str, data: bytes = b"x") -> Callable[[Base, Path], bytes]:
    return lambda b, d: _zip([*b.members.items(), (name, data)])


def _state_session(fn: Callable[[dict], None]) -> Callable[[Base, Path], bytes]:
    return lambda b, d: _session_with(b, checkpoint_pt=_pt(_bad_state(b, fn)))


def _zip_bomb(b: Base, d: Path) -> bytes:
    """A 2 MiB manifest that deflates to a few kilobytes."""
    return _session_with(b, manifest_json=_manifest(b, created=" " * (2 << 20)))


SESSION_CASES: list[tuple[str, Callable[[Base, Path], bytes], tuple[str, ...]]] = [
    ("empty-file", lambda b, d: b"", ("not a ganviz session",)),
    ("text-file", lambda b, d: b"hello\n", ("not a ganviz session",)),
    ("a-checkpoint", lambda b, d: b.pt, ("missing manifest.json",)),
    ("truncated-half", lambda b, d: b.session[: len(b.session) // 2], ("not a ganviz session",)),
    ("truncated-tail", lambda b, d: b.session[:-10], ("not a ganviz session",)),
    ("flip-manifest-data", lambda b, d: _flip_in(b.session, "manifest.json"),
     ("damaged",)),
    ("flip-checkpoint-data", lambda b, d: _flip_in(b.session, "checkpoint.pt"),
     ("damaged",)),
    ("flip-64-checkpoint-bytes", lambda b, d: _flip_in(b.session, "checkpoint.pt", 64, 9),
     ("damaged",)),
    ("flip-directory-name", lambda b, d: _flip(b.session, [b.session.rfind(b"checkpoint.pt")]),
     ("missing checkpoint.pt",)),
    ("missing-manifest", _without("manifest.json"), ("missing manifest.json",)),
    ("missing-checkpoint", _without("checkpoint.pt"), ("missing checkpoint.pt",)),
    ("duplicate-member", _extra("checkpoint.pt", b"junk"), ("checkpoint.pt appears twice",)),
    ("path-traversal", _extra("../../evil.txt"), ("unsafe member name", "evil.txt")),
    ("absolute-name", _extra("/tmp/evil.txt"), ("unsafe member name",)),
    ("windows-traversal", _extra("..\\..\\evil.txt"), ("unsafe member name",)),
    ("too-many-members", lambda b, d: _zip([*b.members.items(),
                                            *((f"x{i}", b"") for i in range(70))]),
     ("members", "at most 64")),
    ("member-declares-3GiB", lambda b, d: _patch(b.session, "checkpoint.pt", size=3 << 30),
     ("checkpoint.pt declares 3 GiB", "1 GiB limit")),
    ("member-lies-small", lambda b, d: _patch(b.session, "checkpoint.pt", size=1000),
     ("damaged", "CRC")),
    ("zip-bomb-manifest", _zip_bomb, ("manifest.json declares 2.0 MiB", "1 MiB limit")),
    ("encrypted-flag", lambda b, d: _patch(b.session, "checkpoint.pt", flags=0x1),
     ("checkpoint.pt is encrypted",)),
    ("compression-method-99", lambda b, d: _patch(b.session, "checkpoint.pt", method=99),
     ("compression method 99",)),
    ("manifest-not-json", _raw_manifest(b"{"), ("unreadable manifest.json",)),
    ("manifest-not-utf8", _raw_manifest(b"\xff\xfe{}"), ("unreadable manifest.json",)),
    ("manifest-list", _raw_manifest(b"[]"), ("wrong format in manifest",)),
    ("manifest-deep", _raw_manifest(b"[" * 100_000), ("unreadable manifest.json",)),
    ("manifest-5000-digits", _raw_manifest(b'{"step": ' + b"9" * 5000 + b"}"),
     ("unreadable manifest.json",)),
    ("manifest-format", _man(format="zip"), ("wrong format in manifest",)),
    ("manifest-version-99", _man(version=99), ("newer ganviz", "99")),
    ("manifest-version-0", _man(version=0), ("session format version 0",)),
    ("manifest-version-true", _man(version=True), ("session format version True",)),
    ("manifest-step-negative", _man(step=-1), ("manifest.json step",)),
    ("manifest-step-text", _man(step="12"), ("manifest.json step",)),
    ("manifest-runs-text", _man(runs="all"), ("manifest.json runs",)),
    ("manifest-runs-empty", _man(runs=[]), ("manifest.json runs",)),
    ("manifest-created-number", _man(created=5), ("manifest.json created",)),
    ("manifest-no-version-string", _man(ganviz_version=None), ("manifest.json ganviz_version",)),
    ("manifest-step-mismatch", _man(step=5), ("do not match its checkpoint",)),
    ("manifest-runs-mismatch", _man(runs=["a", "b", "c", "d"]),
     ("do not match its checkpoint",)),
    ("view-list", _man(view=[1]), ("view state must be a table",)),
    ("view-layers-5", _view(layers=5), ("view.layers",)),
    ("view-layers-numbers", _view(layers=[1, 2]), ("view.layers",)),
    ("view-selected-zzz", _view(selected_run="zzz"), ("view.selected_run", "0 to 3")),
    ("view-selected-99", _view(selected_run=99), ("view.selected_run", "0 to 3", "99")),
    ("view-selected-negative", _view(selected_run=-1), ("view.selected_run",)),
    ("view-selected-true", _view(selected_run=True), ("view.selected_run",)),
    ("view-unknown-key", _view(colour="red"), ("unknown key 'colour'",)),
    ("view-per-seed-text", _view(per_seed="yes"), ("view.per_seed must be true or false",)),
    ("view-shown-runs-99", _view(shown_runs=[99]), ("view.shown_runs", "0 to 3")),
    ("view-shown-runs-text", _view(shown_runs="0"), ("view.shown_runs",)),
    ("view-unknown-estimator", _view(hidden_estimators=["magic"]),
     ("hidden_estimators", "'magic'", "allowed: plugin")),
    ("view-estimators-text", _view(hidden_estimators="score"), ("hidden_estimators",)),
    ("checkpoint-version-99", _state_session(_set("version", 99)), ("format version 99",)),
    ("checkpoint-data-seed-1e30", _state_session(_cfg("data", "seed", 10**30)), ("data.seed",)),
    ("checkpoint-seeds-1e400", _state_session(_cfg("runs", "seeds", [10**400])),
     ("runs.seeds",)),
    ("checkpoint-history-rows-without-keys",
     _state_session(_v1(lambda s: s.__setitem__("history", [{}] * 8))), ("history[0]",)),
    ("checkpoint-history-columns-3-runs",
     _state_session(_column("modes", lambda v: v[:, :3])), ("history.modes", "[2, 4]")),
]
SESSION_IDS = [c[0] for c in SESSION_CASES]


@pytest.mark.parametrize(("case", "build", "words"), SESSION_CASES, ids=SESSION_IDS)
def test_damaged_session_is_refused_in_one_line(base, tmp_path, case, build, words):
    path = tmp_path / "bad.ganviz"
    path.write_bytes(build(base, tmp_path))
    before = _listing(tmp_path)
    t0 = time.perf_counter()
    with pytest.raises(SessionFileError) as info:
        load_session(path, device="cpu")
    assert time.perf_counter() - t0 < 10.0
    _one_line(str(info.value), "bad.ganviz", *words)
    assert _listing(tmp_path) == before
    assert not (tmp_path.parent / "evil.txt").exists()


@pytest.mark.parametrize("case", ["view-layers-5", "view-selected-99", "manifest-version-99",
                                  "zip-bomb-manifest", "encrypted-flag", "path-traversal"])
def test_peek_refuses_alike(base, tmp_path, case):
    build, words = {c[0]: c[1:] for c in SESSION_CASES}[case]
    path = tmp_path / "bad.ganviz"
    path.write_bytes(build(base, tmp_path))
    if case == "encrypted-flag":  # peek reads only the manifest: nothing to refuse
        assert peek_session(path)["step"] == 12
        return
    with pytest.raises(SessionFileError) as info:
        peek_session(path)
    _one_line(str(info.value), "bad.ganviz", *words)


def test_oversized_session_file_is_refused_before_reading(tmp_path):
    path = tmp_path / "huge.ganviz"
    with open(path, "wb") as fh:
        fh.truncate(3 << 30)  # sparse
    t0 = time.perf_counter()
    with pytest.raises(SessionFileError) as info:
        load_session(path)
    assert time.perf_counter() - t0 < 1.0
    _one_line(str(info.value), "huge.ganviz is 3 GiB", "limit for sessions")


def test_good_base_session_loads(base, tmp_path):
    """The corpus is built from a file that loads: the refusals come from the damage."""
    path = tmp_path / "good.ganviz"
    path.write_bytes(_zip(base.members))
    trainer, view = load_session(path, device="cpu")
    assert trainer.step_count == 12 and view == {"layers": ["density"], "selected_run": 2}
    ckpt = tmp_path / "checkpoint.pt"
    ckpt.write_bytes(base.pt)
    assert Trainer.from_checkpoint(ckpt, device="cpu").step_count == 12


# -------------------------------------------------------------- the CLI
CLI_CASES = ["flip-64-bytes", "version-99", "no-config", "history-ints", "columns-3-runs",
             "config-data-seed-1e30", "config-seeds-1e400", "pickle-global-os-system",
             "G-wrong-shape", "record-declares-3GiB"]


@pytest.mark.parametrize("case", CLI_CASES)
def test_train_resume_refuses_a_damaged_checkpoint(base, tmp_path, small_toml, capsys, case):
    out = tmp_path / "out"
    out.mkdir()
    (out / "checkpoint.pt").write_bytes(_checkpoint_bytes(base, case, tmp_path))
    (out / "config.toml").write_text("# the run's config\n")
    (out / "metrics.csv").write_text("step,run\n")
    before = _listing(out)
    code = main(["train", "--config", str(small_toml), "--out", str(out), "--quiet",
                 "--steps", "20", "--resume"])
    _, err = capsys.readouterr()
    assert code == 2
    assert err.startswith("ganviz: error: ") and err.count("\n") == 1, err
    words = {c[0]: c[2] for c in CKPT_CASES}[case]
    _one_line(err.strip(), *words)
    assert _listing(out) == before
    assert not (tmp_path / "pwned").exists()


def test_compare_resume_refuses_a_damaged_checkpoint(base, tmp_path, capsys):
    from ganviz.studies.sweep import plan as sw

    out = tmp_path / "out"
    out.mkdir()
    plan = sw.plan(sw.Sweep(("veegan-ring",), (0,), (0.01,), (5,)))
    sw.save_plan(plan, out)
    unit = out / "units" / plan.units[0].key
    unit.mkdir(parents=True)
    (unit / "checkpoint.pt").write_bytes(_flip_in(base.pt, "archive/data/14"))
    before = {p: p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}
    code = main(["compare", "--protocol", "veegan-ring", "--seeds", "1", "--steps", "5",
                 "--out", str(out), "--resume", "--quiet", "--device", "cpu"])
    _, err = capsys.readouterr()
    assert code == 2 and err.count("\n") == 1
    _one_line(err.strip(), "ganviz: error: --resume: checkpoint of unit veegan-ring--free",
              "bad CRC-32")
    assert {p: p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()} == before


# ------------------------------------------------------ the live session
LIVE_CASES = ["encrypted-flag", "compression-method-99", "checkpoint-data-seed-1e30",
              "checkpoint-seeds-1e400", "checkpoint-history-rows-without-keys",
              "checkpoint-history-columns-3-runs",
              "checkpoint-version-99", "view-layers-5", "view-selected-zzz",
              "view-selected-99", "member-lies-small"]


def _live(cfg) -> TrainingLoop:
    session = TrainingLoop(cfg, LatestSlot())
    session._reset(cfg)
    return session


def _steps(session: TrainingLoop, n: int) -> None:
    for _ in range(n):
        session._one_step(session.trainer)


def test_live_session_keeps_training_after_damaged_opens(base, tmp_path):
    """Each damaged session gets one "failed" notice; the session trains on to exactly the
    numbers of an untouched twin."""
    cfg = small_config()
    session, twin = _live(cfg), _live(cfg)
    _steps(session, 3)
    _steps(twin, 3)
    trainer = session.trainer
    builds = {c[0]: c[1] for c in SESSION_CASES}
    for case in LIVE_CASES:
        path = tmp_path / f"{case}.ganviz"
        path.write_bytes(builds[case](base, tmp_path))
        data = path.read_bytes()
        session._safe_handle(OpenSession(str(path)))
        assert isinstance(session.notice, Failed), (case, session.notice)
        message = session.notice.message
        _one_line(message, path.name)
        assert session.trainer is trainer and session.error == ""
        assert path.read_bytes() == data
        session.notice = None
        _steps(session, 2)
        _steps(twin, 2)
    assert session.trainer.step_count == twin.trainer.step_count == 3 + 2 * len(LIVE_CASES)
    session._finish_evaluation()  # the twin's may still be pending: no command finished it
    twin._finish_evaluation()
    assert _same(session.trainer.state_dict(), twin.trainer.state_dict())
    assert session.snapshot().step == twin.snapshot().step


def test_unexpected_failure_of_a_file_command_is_reported_with_its_type(tmp_path, monkeypatch):
    import ganviz.live.filecommands

    session = _live(small_config())
    _steps(session, 2)
    before = copy.deepcopy(session.trainer.state_dict())

    def broken(path):
        raise KeyError("surprise")

    monkeypatch.setattr(ganviz.live.filecommands, "load_session", broken)
    session._safe_handle(OpenSession(str(tmp_path / "x.ganviz")))
    assert isinstance(session.notice, Failed)
    message = session.notice.message
    assert "KeyError" in message and "surprise" in message
    _one_line(message)
    assert _same(session.trainer.state_dict(), before)
    _steps(session, 1)
    assert session.trainer.step_count == 3


def test_failed_install_puts_the_old_session_back(base, tmp_path, monkeypatch):
    """A session that loads but then fails while the views are built leaves the old one."""
    import ganviz.live.loop

    session = _live(small_config())
    _steps(session, 2)
    trainer, views, history = session.trainer, session._views, session.trainer.history
    path = tmp_path / "good.ganviz"
    path.write_bytes(base.session)

    def broken(t, layers=None):
        raise RuntimeError("views failed")

    monkeypatch.setattr(ganviz.live.loop, "compute_views", broken)
    session._safe_handle(OpenSession(str(path)))
    assert isinstance(session.notice, Failed) and "RuntimeError" in session.notice.message
    assert session.trainer is trainer and session._views is views
    assert session.trainer.history is history and session.cfg is trainer.cfg
    monkeypatch.undo()
    _steps(session, 1)
    assert session.trainer.step_count == 3


# ------------------------------------------------------------- the window
BAD_VIEWS = [{"layers": 5}, {"layers": ["nope", 3]}, {"selected_run": "zzz"},
             {"selected_run": 99}, {"selected_run": True}, {"hidden_estimators": "score"},
             {"hidden_estimators": ["magic", None]}, [], None, {"colour": "red"},
             {"per_seed": "yes", "shown_runs": [99, "x", None]}, {"shown_runs": 5}]


def test_restore_view_never_raises(window):
    """Views that a session file can no longer carry (sessionfile refuses them) but that
    restore_view must still survive: unknown names are ignored, bad runs select run 0."""
    layers = set(window.state.layers)
    window.state.select_run(2)
    for view in BAD_VIEWS:
        window.restore_view(view)
        assert window.state.selected_run == 0, view
        assert window.state.layers == layers, view  # nothing known to apply: layers stay
        assert all(b.isChecked() for b in window.toolbar.estimator_buttons.values()), view
        window.state.select_run(2)
    window.restore_view({"layers": ["manifold", "nope"], "selected_run": 3,
                               "hidden_estimators": ["score", "magic"]})
    assert window.state.layers == {"manifold"} and window.state.selected_run == 3
    assert not window.toolbar.estimator_buttons["score"].isChecked()


def test_window_survives_a_damaged_session(window, qtbot, base, tmp_path):
    path = tmp_path / "seed.ganviz"
    path.write_bytes(_session_with(base, checkpoint_pt=_pt(_bad_state(
        base, _cfg("data", "seed", 10**30)))))
    step = window.snapshot.step
    window.files.open_session_from(path)
    qtbot.waitUntil(lambda: bool(window.files.dialogs.last_error), timeout=10000)
    _one_line(window.files.dialogs.last_error, "seed.ganviz", "data.seed")
    window.training.send(Step(3))
    qtbot.waitUntil(lambda: window.snapshot.step == step + 3, timeout=20000)


def test_session_view_keeps_the_seed_each_panel_shows_and_per_seed(qtbot, tmp_path):
    """Two seeds per setting: the view names the run each panel shows and the curves'
    per-seed toggle; a session restores both."""
    from ganviz.engine.sessionfile import check_view, clean_view
    from ganviz.gui.window import MainWindow
    from ganviz.views.theme import configure_pyqtgraph

    configure_pyqtgraph()
    w = MainWindow(small_config(seeds=[0, 1], estimators=["reparam_fixed", "reparam_learned"]))
    w.quiet_dialogs = True
    qtbot.addWidget(w)
    w.show()
    qtbot.waitUntil(lambda: w.snapshot is not None and w.snapshot.views is not None,
                    timeout=20000)
    assert w.view_state()["shown_runs"] == [0, 2] and w.view_state()["per_seed"] is False
    w.panels.show_run(3)
    w.state.set_per_seed(True)
    view = w.view_state()
    assert view["shown_runs"] == [0, 3] and view["per_seed"] is True
    assert check_view(tmp_path, clean_view(view, 4), 4) == view
    w.panels.show_run(2)
    w.state.set_per_seed(False)
    w.restore_view(view)
    assert sorted(p.run for p in w.panels.panels) == [0, 3] and w.state.per_seed
