"""Session files: config, all runs' checkpoint, metric history and view state in one zip."""

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
from ganviz.atomic import write_atomic
from ganviz.config import ConfigError, from_dict
from ganviz.outputs import metrics_csv_text
from ganviz.trainer import CHECKPOINT_FORMAT, CheckpointError, Trainer

SESSION_SUFFIX = ".ganviz"
SESSION_FORMAT = "ganviz-session"
SESSION_VERSION = 1
MEMBERS = ("manifest.json", "config.toml", "checkpoint.pt", "metrics.csv")


class SessionFileError(ValueError):
    """A session file that cannot be written or read; ``str()`` is one user-facing line."""

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(str(message).split()))


def session_path(path: str | Path) -> Path:
    """``path`` with :data:`SESSION_SUFFIX` appended when missing."""
    path = Path(path)
    return path if path.suffix == SESSION_SUFFIX else Path(f"{path}{SESSION_SUFFIX}")


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
        "view": dict(view or {}),
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


def _read_members(path: Path, names: tuple[str, ...]) -> dict[str, bytes]:
    """The named members' bytes; refuse missing, foreign or corrupt files."""
    try:
        with zipfile.ZipFile(path) as zf:
            present = set(zf.namelist())
            for name in names:
                if name not in present:
                    raise SessionFileError(f"{path} is not a ganviz session (missing {name})")
            return {name: zf.read(name) for name in names}
    except FileNotFoundError:
        raise SessionFileError(f"cannot open {path}: no such file") from None
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        raise SessionFileError(f"{path} is not a ganviz session or is damaged ({exc})") from None
    except OSError as exc:
        raise SessionFileError(f"cannot read {path}: {exc.strerror or exc}") from None


def _check_manifest(path: Path, raw: bytes) -> dict[str, Any]:
    """The parsed manifest, refused if foreign or from a newer format."""
    try:
        manifest = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise SessionFileError(f"{path} is damaged (unreadable manifest.json)") from None
    if not isinstance(manifest, dict) or manifest.get("format") != SESSION_FORMAT:
        raise SessionFileError(f"{path} is not a ganviz session (wrong format in manifest)")
    version = manifest.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise SessionFileError(f"{path} is damaged (bad session format version {version!r})")
    if version > SESSION_VERSION:
        raise SessionFileError(f"{path} was written by a newer ganviz (session format {version}; "
                               f"this version reads up to {SESSION_VERSION})")
    if not isinstance(manifest.get("view", {}), dict):
        raise SessionFileError(f"{path} is damaged (view state is not a table)")
    return manifest


def peek_session(path: str | Path) -> dict[str, Any]:
    """The manifest only (for a preview), with the same format and version checks."""
    path = Path(path)
    return _check_manifest(path, _read_members(path, ("manifest.json",))["manifest.json"])


def load_session(path: str | Path, device: torch.device | str | None = None
                 ) -> tuple[Trainer, dict[str, Any]]:
    """A trainer restored from the session at ``path`` on ``device``, and the saved view."""
    path = Path(path)
    members = _read_members(path, ("manifest.json", "checkpoint.pt"))
    manifest = _check_manifest(path, members["manifest.json"])
    try:
        state = torch.load(io.BytesIO(members["checkpoint.pt"]), map_location="cpu",
                           weights_only=True)
    except Exception as exc:  # corrupt or unsafe pickle
        raise SessionFileError(f"{path} has an unreadable checkpoint "
                               f"({type(exc).__name__})") from None
    if not isinstance(state, dict) or state.get("format") != CHECKPOINT_FORMAT:
        raise SessionFileError(f"{path} has no valid ganviz checkpoint")
    try:
        trainer = Trainer(from_dict(state.get("config")), device=device)
    except ConfigError as exc:
        raise SessionFileError(f"{path} has a config this ganviz refuses ({exc})") from None
    try:
        trainer.load_state_dict(state)
    except CheckpointError as exc:
        raise SessionFileError(f"cannot open {path}: {exc}") from None
    except (KeyError, TypeError, ValueError, RuntimeError) as exc:
        raise SessionFileError(f"{path} has a damaged checkpoint "
                               f"({type(exc).__name__})") from None
    return trainer, dict(manifest.get("view", {}))
