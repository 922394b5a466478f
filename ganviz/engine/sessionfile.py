"""Session files: config, all runs' checkpoint, metric history and view state in one zip.

Reading refuses, with one line naming the problem, anything a damaged or hostile file can
hold: member sizes are bounded before a byte is decompressed, encrypted or exotically
compressed members and unsafe names are refused, the checkpoint goes through the same checks
as ``--resume`` (:mod:`ganviz.engine.checkpoint`), and the manifest and view state are checked field
by field. Nothing is extracted to disk.
"""

from __future__ import annotations

import io
import json
import zipfile
import zlib
from datetime import datetime
from pathlib import Path
from typing import IO, Any

import torch

import ganviz
from ganviz.core.atomic import write_atomic
from ganviz.core.errors import UserError
from ganviz.core.names import ESTIMATORS
from ganviz.engine.checkpoint import (
    MAX_CHECKPOINT_BYTES,
    CheckpointError,
    one_line,
    parse_checkpoint,
    size_text,
)
from ganviz.engine.outputs import metrics_csv_text
from ganviz.engine.trainer import Trainer

SESSION_SUFFIX = ".ganviz"
SESSION_FORMAT = "ganviz-session"
SESSION_VERSION = 1
MEMBERS = ("manifest.json", "config.toml", "checkpoint.pt", "metrics.csv")
# Largest size each member may declare. The checkpoint limit is measured in
# ganviz.engine.checkpoint;
# the metrics of that large session (78 runs, 100,000 steps) are 13 MiB of CSV.
MEMBER_LIMITS = {
    "manifest.json": 1 << 20,
    "config.toml": 1 << 20,
    "checkpoint.pt": MAX_CHECKPOINT_BYTES,
    "metrics.csv": 256 << 20,
}
MAX_SESSION_BYTES = sum(MEMBER_LIMITS.values()) + (1 << 20)
MAX_ENTRIES = 64  # ganviz writes 4; later versions may add a few
VIEW_KEYS = ("layers", "hidden_estimators", "selected_run", "per_seed", "shown_runs")
MAX_LAYER_NAMES = 64


class SessionFileError(UserError):
    """A session file that cannot be written or read; ``str()`` is one user-facing line."""


def session_path(path: str | Path) -> Path:
    """``path`` with :data:`SESSION_SUFFIX` appended when missing."""
    path = Path(path)
    return path if path.suffix == SESSION_SUFFIX else Path(f"{path}{SESSION_SUFFIX}")


def clean_view(view: dict | None, n_runs: int) -> dict[str, Any]:
    """The parts of a window's view state that :func:`check_view` accepts (the rest dropped)."""
    view = view if isinstance(view, dict) else {}
    out: dict[str, Any] = {}
    layers = view.get("layers")
    if isinstance(layers, list | tuple | set):
        out["layers"] = sorted(x for x in layers if isinstance(x, str) and len(x) <= 64
                               )[:MAX_LAYER_NAMES]
    hidden = view.get("hidden_estimators")
    if isinstance(hidden, list | tuple | set):
        out["hidden_estimators"] = sorted(x for x in hidden if x in ESTIMATORS)
    run = view.get("selected_run")
    if isinstance(run, int) and not isinstance(run, bool) and 0 <= run < n_runs:
        out["selected_run"] = run
    if isinstance(view.get("per_seed"), bool):
        out["per_seed"] = view["per_seed"]
    shown = view.get("shown_runs")
    if isinstance(shown, list | tuple):
        out["shown_runs"] = sorted({r for r in shown if _is_int(r) and 0 <= r < n_runs})
    return out


def save_session(trainer: Trainer, path: str | Path, *, view: dict | None = None) -> Path:
    """Write the whole session atomically to ``path`` (suffix added if missing); return it."""
    path = session_path(path)
    manifest = {
        "format": SESSION_FORMAT,
        "version": SESSION_VERSION,
        "ganviz_version": ganviz.__version__,
        "created": datetime.now().astimezone().isoformat(timespec="seconds"),
        "step": trainer.step_count,
        "runs": [r.label for r in trainer.runs],
        "view": clean_view(view, trainer.n_runs),
    }
    manifest_text = json.dumps(manifest, indent=2)

    def write(fh: IO[bytes]) -> None:
        buf = io.BytesIO()
        torch.save(trainer.state_dict(), buf)
        with zipfile.ZipFile(fh, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            zf.writestr("manifest.json", manifest_text)
            zf.writestr("config.toml", trainer.cfg.to_toml())
            zf.writestr("checkpoint.pt", buf.getvalue())
            zf.writestr("metrics.csv", metrics_csv_text(trainer.history))

    try:
        write_atomic(path, write)
    except OSError as exc:
        raise SessionFileError(f"cannot write {path}: {exc.strerror or exc}") from None
    return path


# ------------------------------------------------------------------ reading
def _unsafe_name(name: str) -> bool:
    """A member name that would escape a folder if anyone extracted it."""
    parts = name.replace("\\", "/").split("/")
    return name.startswith(("/", "\\")) or ".." in parts or (len(name) > 1 and name[1] == ":")


def _check_directory(path: Path, infos: list[zipfile.ZipInfo], names: tuple[str, ...]) -> None:
    """Refuse, before reading any data, what the zip directory already shows to be wrong."""
    present = {i.filename for i in infos}
    for name in names:  # first, so that another zip (a checkpoint) is named as not a session
        if name not in present:
            raise SessionFileError(f"{path} is not a ganviz session (missing {name})")
    if len(infos) > MAX_ENTRIES:
        raise SessionFileError(f"{path} is not a ganviz session ({len(infos)} members; "
                               f"at most {MAX_ENTRIES})")
    seen: set[str] = set()
    for info in infos:
        if _unsafe_name(info.filename):
            raise SessionFileError(f"{path} is not a ganviz session (unsafe member name "
                                   f"{info.filename!r})")
        if info.filename in seen:
            raise SessionFileError(f"{path} is damaged (member {info.filename} appears twice)")
        seen.add(info.filename)
    by_name = {i.filename: i for i in infos}
    for name in names:
        info = by_name[name]
        if info.flag_bits & 0x1:
            raise SessionFileError(f"{path}: {name} is encrypted; ganviz sessions never are")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise SessionFileError(f"{path}: {name} uses compression method "
                                   f"{info.compress_type}; ganviz reads stored or deflated "
                                   f"members only")
        limit = MEMBER_LIMITS[name]
        if info.file_size > limit:
            raise SessionFileError(f"{path}: {name} declares {size_text(info.file_size)}, over "
                                   f"the {size_text(limit)} limit for {name}")


def _read_member(zf: zipfile.ZipFile, name: str, path: Path) -> bytes:
    """A member's bytes, never more than its limit (even if its header lies)."""
    limit = MEMBER_LIMITS[name]
    with zf.open(name) as fh:
        data = fh.read(limit + 1)
    if len(data) > limit:
        raise SessionFileError(f"{path}: {name} is over the {size_text(limit)} limit "
                               f"for {name}")
    return data


def _read_members(path: Path, names: tuple[str, ...]) -> dict[str, bytes]:
    """The named members' bytes; refuse missing, foreign, oversized or corrupt files."""
    try:
        size = path.stat().st_size
        if size > MAX_SESSION_BYTES:
            raise SessionFileError(f"{path} is {size_text(size)}, over the "
                                   f"{size_text(MAX_SESSION_BYTES)} limit for sessions")
        with zipfile.ZipFile(path) as zf:
            _check_directory(path, zf.infolist(), names)
            return {name: _read_member(zf, name, path) for name in names}
    except SessionFileError:
        raise
    except FileNotFoundError:
        raise SessionFileError(f"cannot open {path}: no such file") from None
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        raise SessionFileError(f"{path} is not a ganviz session or is damaged ({exc})") from None
    except OSError as exc:
        raise SessionFileError(f"cannot read {path}: {exc.strerror or exc}") from None
    except Exception as exc:  # NotImplementedError, RuntimeError, ... from a hostile header
        raise SessionFileError(f"{path} is damaged ({one_line(exc)})") from None


def _manifest_field(path: Path, manifest: dict[str, Any], key: str, ok, allowed: str) -> None:
    if key not in manifest or not ok(manifest[key]):
        got = repr(manifest.get(key))[:40] if key in manifest else "nothing"
        raise SessionFileError(f"{path} is damaged (manifest.json {key} must be {allowed}; "
                               f"got {got})")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def check_view(path: Path, view: Any, n_runs: int) -> dict[str, Any]:
    """``view`` if it is a valid view state for ``n_runs`` runs; else one line naming the key."""
    where = f"{path} is damaged (manifest.json view"
    if not isinstance(view, dict):
        raise SessionFileError(f"{where} state must be a table)")
    for key in view:
        if key not in VIEW_KEYS:
            raise SessionFileError(f"{where} has unknown key {str(key)[:40]!r}; allowed: "
                                   f"{', '.join(VIEW_KEYS)})")
    layers = view.get("layers", [])
    if not isinstance(layers, list) or len(layers) > MAX_LAYER_NAMES or not all(
            isinstance(x, str) and len(x) <= 64 for x in layers):
        raise SessionFileError(f"{where}.layers must be a list of layer names)")
    hidden = view.get("hidden_estimators", [])
    if not isinstance(hidden, list) or not all(isinstance(x, str) for x in hidden):
        raise SessionFileError(f"{where}.hidden_estimators must be a list of estimator names)")
    for name in hidden:
        if name not in ESTIMATORS:
            raise SessionFileError(f"{where}.hidden_estimators: unknown estimator "
                                   f"{name[:40]!r}; allowed: {', '.join(ESTIMATORS)})")
    run = view.get("selected_run", 0)
    if not _is_int(run) or not 0 <= run < n_runs:
        raise SessionFileError(f"{where}.selected_run must be a run number from 0 to "
                               f"{n_runs - 1}; got {repr(run)[:40]})")
    if not isinstance(view.get("per_seed", False), bool):
        raise SessionFileError(f"{where}.per_seed must be true or false)")
    shown = view.get("shown_runs", [])
    if not isinstance(shown, list) or len(shown) > n_runs or not all(
            _is_int(r) and 0 <= r < n_runs for r in shown):
        raise SessionFileError(f"{where}.shown_runs must be a list of run numbers from 0 to "
                               f"{n_runs - 1})")
    return dict(view)


def _check_manifest(path: Path, raw: bytes) -> dict[str, Any]:
    """The parsed manifest, refused if foreign, from a newer format or with a bad field."""
    try:
        manifest = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):  # ValueError: JSON, digits
        raise SessionFileError(f"{path} is damaged (unreadable manifest.json)") from None
    if not isinstance(manifest, dict) or manifest.get("format") != SESSION_FORMAT:
        raise SessionFileError(f"{path} is not a ganviz session (wrong format in manifest)")
    version = manifest.get("version")
    if not _is_int(version) or version < 1:
        raise SessionFileError(f"{path} is damaged (bad session format version "
                               f"{repr(version)[:40]})")
    if version > SESSION_VERSION:
        raise SessionFileError(f"{path} was written by a newer ganviz (session format {version}; "
                               f"this version reads up to {SESSION_VERSION})")
    _manifest_field(path, manifest, "step", lambda v: _is_int(v) and v >= 0,
                    "a whole number >= 0")
    _manifest_field(path, manifest, "runs", lambda v: isinstance(v, list) and bool(v) and all(
        isinstance(x, str) for x in v), "a list of run labels")
    for key in ("ganviz_version", "created"):
        _manifest_field(path, manifest, key, lambda v: isinstance(v, str), "text")
    manifest["view"] = check_view(path, manifest.get("view", {}), len(manifest["runs"]))
    return manifest


def peek_session(path: str | Path) -> dict[str, Any]:
    """The manifest only (for a preview), with the same format and version checks."""
    path = Path(path)
    return _check_manifest(path, _read_members(path, ("manifest.json",))["manifest.json"])


def load_session(path: str | Path, device: torch.device | str | None = None
                 ) -> tuple[Trainer, dict[str, Any]]:
    """A trainer restored from the session at ``path`` on ``device``, and the saved view.

    Any problem is one :class:`SessionFileError` line; nothing outside the new trainer
    changes, so a refused file leaves whatever is running untouched.
    """
    path = Path(path)
    members = _read_members(path, ("manifest.json", "checkpoint.pt"))
    manifest = _check_manifest(path, members["manifest.json"])
    try:
        state = parse_checkpoint(members["checkpoint.pt"], "checkpoint.pt")
        trainer = Trainer.from_state(state, device=device)
    except CheckpointError as exc:
        raise SessionFileError(f"cannot open {path}: {exc}") from None
    labels = [r.label for r in trainer.runs]
    if manifest["runs"] != labels or manifest["step"] != trainer.step_count:
        raise SessionFileError(f"{path} is damaged (manifest.json step and runs do not match "
                               f"its checkpoint)")
    return trainer, check_view(path, manifest["view"], trainer.n_runs)
