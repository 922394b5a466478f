"""Checkpoint files: reading with integrity and size checks, and the one structural validation
that both ``--resume`` (a ``checkpoint.pt`` on disk) and session files (a ``checkpoint.pt``
inside the zip) go through.

A checkpoint is ``torch.save`` output, itself a zip archive whose CRC-32 values
``torch.load`` does not verify: flipped bytes would load as wrong numbers. So the archive is
checked member by member first, sizes are bounded before anything is read, and the loaded
state is checked field by field (types, shapes, counts) before any trainer is touched.
Every refusal is a :class:`CheckpointError` whose text is one line naming the field.

Version 2 stores the metric history by column (``step`` int64 [T], ``diverged`` bool [T, R],
the other metrics float64 [T, R]); version 1 stored it as rows (one table per (step, run)),
which :func:`state_history` still reads and converts.
"""

from __future__ import annotations

import io
import math
import pickle
import zipfile
import zlib
from pathlib import Path
from typing import IO, Any, Protocol

import torch

from ganviz.core.config import Config, from_dict
from ganviz.core.contract import RunSpec
from ganviz.core.errors import UserError
from ganviz.core.history import (
    ARRAY_COLUMNS,
    LATER_COLUMNS,
    METRIC_COLUMNS,
    VALUE_COLUMNS,
    MetricHistory,
    with_later_columns,
)
from ganviz.core.names import ESTIMATORS
from ganviz.core.runs import expand_runs
from ganviz.core.sections import MAX_SEED
from ganviz.core.settings import ConfigError

CHECKPOINT_FORMAT = "ganviz-checkpoint"
CHECKPOINT_VERSION = 2  # 2: the metric history by column; 1: as rows (still read)

# Measured: 78 runs of width 512 (2 + 2 hidden layers) with 100,000 steps of history
# (evaluated every 100) give a 488 MiB checkpoint; 1 GiB leaves a 2x margin and still
# loads comfortably in memory on an 8 GB machine.
MAX_CHECKPOINT_BYTES = 1 << 30
MAX_RECORDS = 100_000  # tensors in one checkpoint (that run has about 200)
STATE_TENSORS = ("diverged", "run_steps", "loss_d", "loss_g")


class CheckpointError(UserError):
    """A checkpoint that cannot be read or does not fit; ``str()`` is one user-facing line."""


def size_text(n: int) -> str:
    """``n`` bytes as a short human number (``1 GiB``, ``3.0 GiB``, ``512 KiB``)."""
    for unit, shift in (("GiB", 30), ("MiB", 20), ("KiB", 10)):
        if n >= 1 << shift:
            value = n / (1 << shift)
            return f"{value:.0f} {unit}" if value == int(value) else f"{value:.1f} {unit}"
    return f"{n} bytes"


def one_line(exc: BaseException) -> str:
    """``TypeName: first line of the message`` (at most 120 characters)."""
    text = " ".join(str(exc).split())
    text = text if len(text) <= 120 else text[:117] + "..."
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


# ------------------------------------------------------------------ reading
def read_checkpoint(path: str | Path) -> dict[str, Any]:
    """Read and check a checkpoint file; raise :class:`CheckpointError` with one line if bad."""
    path = Path(path)
    label = f"checkpoint {path}"
    try:
        size = path.stat().st_size
        if size > MAX_CHECKPOINT_BYTES:
            raise CheckpointError(f"{label} is {size_text(size)}, over the "
                                  f"{size_text(MAX_CHECKPOINT_BYTES)} limit for checkpoints")
        if not path.is_file():
            raise CheckpointError(f"{label} is not a file")
    except FileNotFoundError:
        raise CheckpointError(f"checkpoint: no such file {path}") from None
    except OSError as exc:
        raise CheckpointError(f"{label} cannot be read ({exc.strerror or exc})") from None
    return _load(path, label)


def parse_checkpoint(data: bytes, label: str = "checkpoint") -> dict[str, Any]:
    """The checked state in ``data`` (the bytes of a checkpoint file called ``label``)."""
    if len(data) > MAX_CHECKPOINT_BYTES:
        raise CheckpointError(f"{label} is over the {size_text(MAX_CHECKPOINT_BYTES)} limit "
                              f"for checkpoints")
    return _load(io.BytesIO(data), label)


def _load(source: Path | io.BytesIO, label: str) -> dict[str, Any]:
    """Verify the archive in ``source`` (a file, streamed, or bytes), then load and check it."""
    verify_archive(source, label)
    if isinstance(source, io.BytesIO):
        source.seek(0)
    try:
        state = torch.load(source, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError:
        raise CheckpointError(f"{label} holds Python objects other than tensors and plain "
                              f"data; refused, since loading them could run code") from None
    except Exception as exc:  # corrupt, foreign or changed since verified: whatever torch raises
        raise CheckpointError(f"{label} is not a readable checkpoint "
                              f"({type(exc).__name__})") from None
    check_header(state, label)
    check_state(state)
    return state


def verify_archive(source: Path | IO[bytes], label: str) -> None:
    """Refuse ``source`` unless it is a zip whose members' sizes are bounded and CRCs right."""
    try:
        with zipfile.ZipFile(source) as zf:
            infos = zf.infolist()
            if len(infos) > MAX_RECORDS:
                raise CheckpointError(f"{label} has {len(infos)} records, over the limit of "
                                      f"{MAX_RECORDS}")
            total = sum(i.file_size for i in infos)
            if total > MAX_CHECKPOINT_BYTES:
                raise CheckpointError(f"{label} declares {size_text(total)} of data, over the "
                                      f"{size_text(MAX_CHECKPOINT_BYTES)} limit for checkpoints")
            for info in infos:
                if info.flag_bits & 0x1:
                    raise CheckpointError(f"{label} is damaged (encrypted record "
                                          f"{info.filename!r})")
                if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                    raise CheckpointError(f"{label} is damaged (record {info.filename!r} uses "
                                          f"compression method {info.compress_type})")
            bad = zf.testzip()
    except CheckpointError:
        raise
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        raise CheckpointError(f"{label} is not a readable checkpoint "
                              f"(damaged or not a torch archive: {exc})") from None
    except Exception as exc:  # NotImplementedError, RuntimeError, ... from a hostile header
        raise CheckpointError(f"{label} is not a readable checkpoint "
                              f"({one_line(exc)})") from None
    if bad is not None:
        raise CheckpointError(f"{label} is damaged (bad CRC-32 in record {bad!r}); "
                              f"it would load wrong numbers")


# --------------------------------------------------------------- validation
def _fail(field: str, what: str) -> None:
    raise CheckpointError(f"checkpoint: {field} {what}")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def check_header(state: Any, label: str = "checkpoint") -> None:
    """Refuse anything that is not a ganviz checkpoint of a version this code reads."""
    fmt = state.get("format") if isinstance(state, dict) else None
    if not isinstance(fmt, str) or fmt != CHECKPOINT_FORMAT:
        raise CheckpointError(f"{label} is not a ganviz checkpoint")
    version = state.get("version")
    if not _is_int(version) or version < 1:
        raise CheckpointError(f"{label} is damaged (format version {version!r})")
    if version > CHECKPOINT_VERSION:
        raise CheckpointError(f"{label} has format version {version}; this ganviz reads "
                              f"versions up to {CHECKPOINT_VERSION}")


def checkpoint_config(state: dict[str, Any], steps: int | None = None) -> Config:
    """The validated config stored in ``state`` (``steps`` replaces ``train.steps``)."""
    raw = state.get("config")
    if not isinstance(raw, dict) or not all(isinstance(v, dict) for v in raw.values()):
        _fail("config", "must be a table of config sections")
    raw = {section: dict(values) for section, values in raw.items()}
    if steps is not None:
        raw.setdefault("train", {})["steps"] = steps
    try:
        return from_dict(raw)
    except ConfigError as exc:
        raise CheckpointError(f"checkpoint: config {exc}") from None
    except Exception as exc:  # anything the validation did not foresee
        raise CheckpointError(f"checkpoint: config is not valid ({one_line(exc)})") from None


def _tensor(value: Any, field: str, dtype: torch.dtype, shape: tuple[int, ...] | None = None
            ) -> torch.Tensor:
    """``value`` if it is a dense tensor of ``dtype`` (and ``shape``), else refuse."""
    name = str(dtype).removeprefix("torch.")
    want = f"{'an' if name.startswith('int') else 'a'} {name} tensor"
    if shape is not None:
        want += f" of shape {list(shape)}"
    if not isinstance(value, torch.Tensor) or value.layout != torch.strided:
        _fail(field, f"must be {want} (got {type(value).__name__})")
    if value.dtype != dtype or (shape is not None and tuple(value.shape) != shape):
        _fail(field, f"must be {want} (got {str(value.dtype).removeprefix('torch.')} "
                     f"{list(value.shape)})")
    return value


def _counts(value: torch.Tensor, field: str) -> None:
    """Refuse counts that are negative, fractional or not finite."""
    v = value.double()
    if not bool(torch.isfinite(v).all()) or bool((v < 0).any()) or bool((v != v.round()).any()):
        _fail(field, "must hold whole counts >= 0")


def _check_weights(state: dict[str, Any], key: str) -> None:
    nets = state.get(key)
    if not isinstance(nets, dict) or not nets:
        _fail(key, "must be a table of weight tensors")
    for name, value in nets.items():
        if not isinstance(name, str):
            _fail(key, f"has a non-text key {name!r}")
        if not isinstance(value, torch.Tensor) or value.layout != torch.strided:
            _fail(f"{key}.{name}", f"must be a tensor (got {type(value).__name__})")


def _check_optimizer(state: dict[str, Any], key: str, n_runs: int) -> None:
    opt = state.get(key)
    if not isinstance(opt, dict):
        _fail(key, "must be a table (kind, lr, steps, m, v)")
    if not isinstance(opt.get("kind"), str) or opt["kind"] not in ("adam", "sgd"):
        _fail(f"{key}.kind", f"must be adam or sgd (got {opt.get('kind')!r})")
    lr = opt.get("lr")
    if not _is_number(lr) or not math.isfinite(lr) or not 0 < lr <= 10:
        _fail(f"{key}.lr", f"must be a finite number in (0, 10] (got {lr!r})")
    _counts(_tensor(opt.get("steps"), f"{key}.steps", torch.float64, (n_runs,)), f"{key}.steps")
    for part in ("m", "v"):
        values = opt.get(part)
        if not isinstance(values, list):
            _fail(f"{key}.{part}", "must be a list of tensors")
        for i, t in enumerate(values):
            if not isinstance(t, torch.Tensor) or t.layout != torch.strided:
                _fail(f"{key}.{part}[{i}]", f"must be a tensor (got {type(t).__name__})")
    if opt["kind"] == "sgd" and opt["v"]:
        _fail(f"{key}.v", "must be empty for sgd")


def _check_history_rows(history: Any, runs: list[RunSpec], step: int) -> None:
    """Version 1: rows of the metric history, all columns, plain values, in run order, each
    evaluation's rows at one step, steps never decreasing."""
    n_runs = len(runs)
    if not isinstance(history, list):
        _fail("history", f"must be a list of metric rows (got {type(history).__name__})")
    if len(history) % n_runs:
        _fail("history", f"must hold {n_runs} rows per evaluation (got {len(history)} rows)")
    columns = set(METRIC_COLUMNS)
    for i, row in enumerate(history):
        field = f"history[{i}]"
        row = with_later_columns(row) if isinstance(row, dict) else row
        if not isinstance(row, dict) or set(row) != columns:
            detail = ""
            if isinstance(row, dict):
                missing = [c for c in METRIC_COLUMNS if c not in row]
                extra = sorted(str(k) for k in row if k not in columns)
                detail = f" (missing {', '.join(missing)})" if missing else \
                    f" (unknown {', '.join(extra)})"
            _fail(field, f"must be a table of metric columns{detail}")
        if not _is_int(row["step"]) or not 0 <= row["step"] <= step:
            _fail(f"{field}.step", f"must be a whole number in [0, {step}] (got {row['step']!r})")
        spec = runs[i % n_runs]
        if i % n_runs and row["step"] != history[i - 1]["step"]:
            _fail(f"{field}.step", f"must be {history[i - 1]['step']}, the step of the other "
                                   f"rows of its evaluation (got {row['step']})")
        if i >= n_runs and row["step"] < history[i - n_runs]["step"]:
            _fail(f"{field}.step", f"must not come before the previous evaluation's step "
                                   f"{history[i - n_runs]['step']} (got {row['step']})")
        if not _is_int(row["run"]) or row["run"] != spec.index:
            _fail(f"{field}.run", f"must be {spec.index} (rows come in run order, {n_runs} per "
                                  f"evaluation; got {row['run']!r})")
        if not isinstance(row["estimator"], str) or row["estimator"] not in ESTIMATORS:
            _fail(f"{field}.estimator", f"must be one of {', '.join(ESTIMATORS)}")
        if row["estimator"] != spec.estimator:
            _fail(f"{field}.estimator", f"must be {spec.estimator}, the estimator of run "
                                        f"{spec.index} (got {row['estimator']})")
        if not _is_int(row["seed"]):
            _fail(f"{field}.seed", f"must be a whole number (got {row['seed']!r})")
        if row["seed"] != spec.seed:
            _fail(f"{field}.seed", f"must be {spec.seed}, the seed of run {spec.index} "
                                   f"(got {row['seed']})")
        if not isinstance(row["diverged"], bool):
            _fail(f"{field}.diverged", f"must be true or false (got {row['diverged']!r})")
        for c in VALUE_COLUMNS:
            if not _is_number(row[c]):
                _fail(f"{field}.{c}", f"must be a number (got {type(row[c]).__name__})")


def _check_history_columns(history: Any, n_runs: int, step: int) -> None:
    """Version 2: the metric history by column, ``step`` int64 [T] in [0, step] and never
    decreasing, ``diverged`` bool [T, R], the other columns float64 [T, R]."""
    if not isinstance(history, dict):
        _fail("history", f"must be a table of metric columns (got {type(history).__name__})")
    for key in history:
        if not isinstance(key, str):
            _fail("history", f"must be a table of metric columns (got the key {key!r})")
    history = _with_later_tensors(history)
    if set(history) != set(ARRAY_COLUMNS):
        missing = [c for c in ARRAY_COLUMNS if c not in history]
        extra = sorted(k for k in history if k not in ARRAY_COLUMNS)
        _fail("history", f"must be a table of metric columns (missing {', '.join(missing)})"
              if missing else f"must be a table of metric columns (unknown {', '.join(extra)})")
    steps = _tensor(history["step"], "history.step", torch.int64)
    if steps.dim() != 1:
        _fail("history.step", f"must be a flat int64 tensor [T] (got shape {list(steps.shape)})")
    t = steps.shape[0]
    if t and (bool((steps < 0).any()) or bool((steps > step).any())):
        _fail("history.step", f"must hold steps in [0, {step}] (got {int(steps.min())} to "
                              f"{int(steps.max())})")
    if t > 1 and bool((steps[1:] < steps[:-1]).any()):
        _fail("history.step", "must never decrease (evaluations come in order)")
    for c in (*VALUE_COLUMNS, "diverged"):
        value = _tensor(history[c], f"history.{c}", torch.bool if c == "diverged" else
                        torch.float64)
        if tuple(value.shape) != (t, n_runs):
            _fail(f"history.{c}", f"must have shape [{t}, {n_runs}] ({t} evaluations as in "
                                  f"history.step, {n_runs} runs; got {list(value.shape)})")


def _with_later_tensors(history: dict[str, Any]) -> dict[str, Any]:
    """A version-2 history stored before the :data:`~ganviz.core.history.LATER_COLUMNS`: those
    columns as NaN tensors shaped like ``diverged`` (unchanged when it has them)."""
    diverged = history.get("diverged")
    missing = [c for c in LATER_COLUMNS if c not in history]
    if not missing or not isinstance(diverged, torch.Tensor):
        return history
    nan = torch.full(tuple(diverged.shape), math.nan, dtype=torch.float64)
    return {**history, **{c: nan.clone() for c in missing}}


def state_history(state: dict[str, Any], estimators: list[str], seeds: list[int]
                  ) -> MetricHistory:
    """The metric history of a state that passed :func:`check_state` (version-1 rows are
    converted to columns)."""
    if state["version"] == 1:
        return MetricHistory.from_rows(state["history"], estimators, seeds)
    return MetricHistory.from_state({k: v.numpy() for k, v in
                                     _with_later_tensors(state["history"]).items()},
                                    estimators, seeds)


def history_state(history: MetricHistory) -> dict[str, torch.Tensor]:
    """The version-2 checkpoint form of ``history``: one CPU tensor per column."""
    return {k: torch.from_numpy(v) for k, v in history.to_state().items()}


def check_state(state: dict[str, Any]) -> int:
    """Check every field of a checkpoint state that needs no trainer; return its run count."""
    check_header(state)
    cfg = checkpoint_config(state)
    runs = expand_runs(cfg)
    n = len(runs)
    if not isinstance(state.get("device_type"), str):
        _fail("device_type", f"must be a device name (got {state.get('device_type')!r})")
    step = state.get("step")
    if not _is_int(step) or not 0 <= step <= MAX_SEED:
        _fail("step", f"must be a whole number >= 0 (got {step!r})")
    _check_weights(state, "G")
    _check_weights(state, "D")
    _check_optimizer(state, "opt_g", n)
    _check_optimizer(state, "opt_d", n)
    noise = state.get("noise")
    if not isinstance(noise, list) or len(noise) != n:
        _fail("noise", f"must be a list of {n} random generator states (one per run)")
    for i, s in enumerate(noise):
        _tensor(s, f"noise[{i}]", torch.uint8)
        if s.dim() != 1:
            _fail(f"noise[{i}]", "must be a flat byte tensor")
    active = state.get("active")
    if not isinstance(active, list) or len(active) != n or not all(isinstance(a, bool)
                                                                   for a in active):
        _fail("active", f"must be a list of {n} true/false values (one per run)")
    dtypes = {"diverged": torch.bool, "run_steps": torch.int64, "loss_d": torch.float32,
              "loss_g": torch.float32}
    for key in STATE_TENSORS:
        _tensor(state.get(key), key, dtypes[key], (n,))
    _counts(state["run_steps"], "run_steps")
    history = state.get("history")
    evaluations = (len(history) // max(n, 1) if isinstance(history, list) else
                   _evaluation_count(history))
    if evaluations > max_evaluations(step):
        _fail("history", f"holds {evaluations} evaluations for a run at step {step}; "
                         f"training makes at most {max_evaluations(step)} (one per step, the "
                         "first and a repeated last one)")
    if state["version"] == 1:
        _check_history_rows(history, runs, step)
    else:
        _check_history_columns(history, n, step)
    return n


def max_evaluations(step: int) -> int:
    """The most metric evaluations a run at ``step`` can have recorded: training evaluates
    at most once per step, plus step 0; a resumed or reset run may repeat its last one."""
    return 2 * (step + 1)


def _evaluation_count(history: Any) -> int:
    """The evaluations a version-2 history claims (0 if it is not shaped to say)."""
    steps = history.get("step") if isinstance(history, dict) else None
    return int(steps.shape[0]) if isinstance(steps, torch.Tensor) and steps.dim() == 1 else 0


class Restorable(Protocol):
    """What :func:`check_fits` reads of a trainer (so this module needs no trainer import)."""

    n_runs: int
    device: torch.device
    G: torch.nn.Module
    D: torch.nn.Module
    opt_g: Any
    opt_d: Any


def check_fits(state: dict[str, Any], trainer: Restorable) -> None:
    """Check that a state passing :func:`check_state` fits ``trainer`` exactly (runs, shapes,
    dtypes, optimiser, random states on its device)."""
    if len(state["active"]) != trainer.n_runs:
        _fail("active", f"has {len(state['active'])} runs; this trainer has {trainer.n_runs}")
    if state["device_type"] != trainer.device.type:
        raise CheckpointError(
            f"checkpoint: its random state is for {state['device_type']}, "
            f"this trainer runs on {trainer.device.type}; resume on the same device type")
    for key, net in (("G", trainer.G), ("D", trainer.D)):
        own = net.state_dict()
        saved = state[key]
        if set(saved) != set(own):
            missing = sorted(set(own) - set(saved)) or sorted(set(saved) - set(own))
            _fail(key, f"does not match this model (weights {', '.join(missing[:3])})")
        for name, ref in own.items():
            _tensor(saved[name], f"{key}.{name}", ref.dtype, tuple(ref.shape))
    for key, opt in (("opt_g", trainer.opt_g), ("opt_d", trainer.opt_d)):
        saved = state[key]
        if saved["kind"] != opt.kind:
            _fail(f"{key}.kind", f"must be {opt.kind} for this config (got {saved['kind']})")
        for part, own in (("m", opt.m), ("v", opt.v)):
            if len(saved[part]) != len(own):
                _fail(f"{key}.{part}", f"must hold {len(own)} tensors (got {len(saved[part])})")
            for i, ref in enumerate(own):
                _tensor(saved[part][i], f"{key}.{part}[{i}]", ref.dtype, tuple(ref.shape))
    scratch = torch.Generator(device=trainer.device)
    for i, s in enumerate(state["noise"]):
        try:
            scratch.set_state(s)
        except Exception:  # wrong size or an invalid Mersenne Twister state
            _fail(f"noise[{i}]", f"is not a random generator state for {trainer.device.type}")
