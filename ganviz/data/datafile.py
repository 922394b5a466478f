"""The user's own 2-D points: read from .csv, .txt (.tsv, .dat) or .npy, checked, one pair of
columns picked (numpy only; no torch, no Qt).

Text files: comma, semicolon, tab or whitespace separated (found from the first data line),
``#`` starts a comment, an optional first row of column names (any field of it that is not a
number makes it a header). NumPy files: a plain numeric array [N, D] (``allow_pickle=False``,
read through a memory map, so a huge file is refused from its header alone).

When a file has more than two numeric columns the caller picks the pair, by name or by
0-based index; by default the first two numeric columns are used. Every problem is one
:class:`DataFileError` line naming the field and the file; nothing is kept from a refused file.

A caller that reads on a worker thread (the window's File > Open Data) passes ``stop``: it is
called between blocks with the fraction read so far, and True ends the read at once with
:class:`ReadCancelled`.
"""

from __future__ import annotations

import itertools
import math
import re
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ganviz.core.regular_file import check_regular
from ganviz.core.settings import ConfigError

TEXT_SUFFIXES = (".csv", ".tsv", ".txt", ".dat")
SUFFIXES = (*TEXT_SUFFIXES, ".npy")
MAX_ROWS = 10_000_000  # points in one training set
MIN_POINTS = 2
FLOAT32_MAX = float(np.finfo(np.float32).max)
MAX_REACH = 1e4  # |coordinate| the generator's linear output layer can reach in training
MIN_REACH = 1e-4  # below this the data is a point for the density grids and the metrics
HEAD_BYTES = 1 << 16  # what is read to find the header, the separator and the row length
THOUSANDS = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d*)?([eE][+-]?\d+)?")  # 7,000.0
DELIMITERS = (";", "\t", ",")  # a ";" line with "1,5" numbers is not read as commas
# a read asks ``stop`` after each block; small blocks also hand the GIL back often, so a
# window drawing beside a read on another thread is never held up for long
BLOCK_LINES = 1 << 12  # text lines
BLOCK_ROWS = 1 << 16  # .npy rows
Stop = Callable[[float], bool]  # the fraction read so far -> whether to end the read now


class DataFileError(ConfigError):
    """A data file that cannot be used; ``str()`` is one line naming the field and the file."""


class ReadCancelled(Exception):
    """A read ended by its caller's ``stop`` (not an error in the file)."""


def _never(_done: float) -> bool:
    return False


@dataclass(frozen=True, eq=False)
class Points:
    """Points [N, 2] (float64) read from ``path``; ``names`` of the two columns used."""

    path: Path
    points: np.ndarray
    names: tuple[str, str]


@dataclass(frozen=True)
class Columns:
    """What a file offers before its points are read: the numeric columns and their names."""

    path: Path
    names: tuple[str, ...]  # every column (numbers "0", "1", ... without a header)
    numeric: tuple[int, ...]  # the indices of the numeric columns


def inspect_columns(path: str | Path, field: str = "data.file") -> Columns:
    """The columns of a data file (reads only its header, or its first 64 KiB)."""
    path = _check_path(Path(path), field)
    if path.suffix.lower() == ".npy":
        arr = _open_npy(path, field)
        names = tuple(str(i) for i in range(arr.shape[1]))
        return Columns(path, names, tuple(range(arr.shape[1])))
    return _text_layout(path, field)[0]


def load_points(path: str | Path, columns: list[str] | tuple[str, ...] = (),
                field: str = "data.file", columns_field: str = "data.columns",
                stop: Stop | None = None) -> Points:
    """The points of ``path`` in the two ``columns`` (names or 0-based indices; default the
    first two numeric columns), checked: finite, at least :data:`MIN_POINTS`, at most
    :data:`MAX_ROWS`. ``stop`` (see the module's docstring) can end the read early."""
    path = _check_path(Path(path), field)
    stop = stop or _never
    if path.suffix.lower() == ".npy":
        arr = _open_npy(path, field)
        info = Columns(path, tuple(str(i) for i in range(arr.shape[1])),
                       tuple(range(arr.shape[1])))
        pair = pick_pair(info, columns, columns_field)
        points = _copy_pair(arr, pair, stop)
    else:
        info, delimiter, skip = _text_layout(path, field)
        pair = pick_pair(info, columns, columns_field)
        points = _read_text(path, field, delimiter, skip, pair, info, stop)
    _check_points(path, field, points)
    return Points(path, np.ascontiguousarray(points), (info.names[pair[0]], info.names[pair[1]]))


def pick_pair(info: Columns, columns: list[str] | tuple[str, ...], field: str = "data.columns"
              ) -> tuple[int, int]:
    """The indices of the two columns asked for (names or 0-based indices), or of the first
    two numeric columns when none are given."""
    if not columns:
        return info.numeric[0], info.numeric[1]
    if len(columns) != 2:
        raise DataFileError(field, f"give two columns, x and y (got {len(columns)})")
    pair = tuple(_column_index(info, str(c), field) for c in columns)
    if pair[0] == pair[1]:
        raise DataFileError(field, f"pick two different columns (got {columns[0]!r} twice)")
    return pair[0], pair[1]


def _column_index(info: Columns, name: str, field: str) -> int:
    n = len(info.names)
    if info.names.count(name) > 1:
        where = [i for i, n in enumerate(info.names) if n == name]
        raise DataFileError(field, f"{info.path.name} has {len(where)} columns named {name!r} "
                                   f"(columns {', '.join(map(str, where))}): pick one by its "
                                   "0-based index")
    if name in info.names:
        index = info.names.index(name)
    elif name.strip().lstrip("-").isdigit():
        index = int(name)
        if not 0 <= index < n:
            raise DataFileError(field, f"column {index} is out of range: {info.path.name} has "
                                       f"{n} columns (0 to {n - 1})")
    else:
        shown = ", ".join(info.names[:12]) + (", ..." if n > 12 else "")
        raise DataFileError(field, f"no column named {name!r} in {info.path.name}; its "
                                   f"columns: {shown}")
    if index not in info.numeric:
        raise DataFileError(field, f"column {info.names[index]!r} of {info.path.name} is not "
                                   "numeric")
    return index


# ----------------------------------------------------------------- checks
def _check_path(path: Path, field: str) -> Path:
    if path.is_dir():
        raise DataFileError(field, f"{path} is a folder, not a data file")
    if path.suffix.lower() not in SUFFIXES:
        raise DataFileError(field, f"{path}: unknown kind of file {path.suffix or '(none)'!r}; "
                                   f"allowed: {', '.join(SUFFIXES)}")
    try:
        check_regular(path)
        size = path.stat().st_size
    except OSError as exc:
        raise DataFileError(field, f"cannot read {path} ({exc.strerror or exc})") from None
    if size == 0:
        raise DataFileError(field, f"{path} is empty")
    return path


def _check_points(path: Path, field: str, points: np.ndarray) -> None:
    n = points.shape[0]
    if n < MIN_POINTS:
        raise DataFileError(field, f"{path} has {n} point{'s' * (n != 1)}; a training set needs "
                                   f"at least {MIN_POINTS}")
    bad = ~np.isfinite(points).all(axis=1)
    if bad.any():
        first = int(np.argmax(bad))
        raise DataFileError(field, f"{path}: {int(bad.sum())} of {n} rows have NaN or infinite "
                                   f"values (the first: data row {first + 1}, {points[first]})")
    with np.errstate(over="ignore"):  # training is float32: 1e39 is finite here, not there
        bad = ~np.isfinite(points.astype(np.float32)).all(axis=1)
    if bad.any():
        first = int(np.argmax(bad))
        raise DataFileError(field, f"{path}: {int(bad.sum())} of {n} rows have values beyond "
                                   f"float32's range (±{FLOAT32_MAX:.2g}), which training uses "
                                   f"(the first: data row {first + 1}, {points[first]})")


def check_scale(path: Path, points: np.ndarray, scale: float,
                field: str = "data.file") -> None:
    """Refuse points (times ``scale``: what training sees) whose reach, the largest |x| or
    |y|, is far from what the networks can learn: beyond :data:`MAX_REACH`, or all within
    :data:`MIN_REACH` of the origin. The message says which ``data.scale`` fixes it."""
    largest = float(np.abs(points).max()) if points.size else 0.0
    reach = largest * abs(scale)
    if MIN_REACH <= reach <= MAX_REACH:
        return
    fix = 1.0 / max(largest, 1e-300)
    raise DataFileError(field, f"{path}: its points reach {reach:.3g} from the origin (times "
                               f"data.scale {scale:g}); the networks learn a reach from about "
                               f"{MIN_REACH:g} to {MAX_REACH:g}: set data.scale to about "
                               f"{fix:.3g}")


def _too_many(path: Path, field: str, rows: int | str) -> DataFileError:
    return DataFileError(field, f"{path} has {rows} rows; the limit is {MAX_ROWS:,} points "
                                "(subsample it first)")


# ------------------------------------------------------------------- npy
def _open_npy(path: Path, field: str) -> np.ndarray:
    """The array of a .npy file as a read-only memory map (its header is checked first)."""
    with path.open("rb") as fh:
        if fh.read(6) != b"\x93NUMPY":
            raise DataFileError(field, f"{path}: not a valid .npy file (no NumPy header)")
    try:
        arr = np.load(path, mmap_mode="r", allow_pickle=False)
    except ValueError as exc:
        why = "an array of Python objects (refused: it would need pickle)" \
            if any(k in str(exc) for k in ("allow_pickle", "Object arrays", "Python objects")) \
            else f"not a valid .npy file ({' '.join(str(exc).split())[:120]})"
        raise DataFileError(field, f"{path}: {why}") from None
    except OSError as exc:
        raise DataFileError(field, f"cannot read {path} ({exc.strerror or exc})") from None
    if not isinstance(arr, np.ndarray):
        raise DataFileError(field, f"{path}: not a single array")
    if arr.dtype.fields is not None or arr.dtype.kind not in "biuf":
        raise DataFileError(field, f"{path}: an array of {arr.dtype}; need plain numbers "
                                   "(float or int) of shape [N, D]")
    if arr.ndim != 2:
        raise DataFileError(field, f"{path}: an array of shape {list(arr.shape)}; need [N, D] "
                                   "with D >= 2 columns")
    if arr.shape[1] < 2:
        raise DataFileError(field, f"{path}: {arr.shape[1]} column; need at least 2 (x and y)")
    if arr.shape[0] > MAX_ROWS:
        raise _too_many(path, field, f"{arr.shape[0]:,}")
    return arr


def _copy_pair(arr: np.ndarray, pair: tuple[int, int], stop: Stop) -> np.ndarray:
    """Columns ``pair`` of the memory-mapped ``arr`` as float64, copied in blocks of rows
    (``stop`` is asked after each)."""
    n = arr.shape[0]
    out = np.empty((n, 2), dtype=np.float64)
    for start in range(0, n, BLOCK_ROWS):
        end = min(start + BLOCK_ROWS, n)
        out[start:end] = arr[start:end][:, list(pair)]
        if stop(end / n):
            raise ReadCancelled
    return out


# ------------------------------------------------------------------- text
def _text_layout(path: Path, field: str) -> tuple[Columns, str | None, int]:
    """The columns of a text file, its separator (None: whitespace) and the lines before its
    data (comments, blank lines and the header), from its first 64 KiB."""
    size = path.stat().st_size
    with path.open("rb") as fh:
        head = fh.read(HEAD_BYTES)
    if size > len(head):  # a partial last line would look like a short row
        head = head[: head.rfind(b"\n") + 1]
    try:
        text = head.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataFileError(field, f"{path} is not UTF-8 text (byte 0x{head[exc.start]:02x} at "
                                   f"offset {exc.start})") from None
    lines = text.splitlines()
    data_lines = [i for i, line in enumerate(lines) if line.split("#", 1)[0].strip()]
    if not data_lines:
        raise DataFileError(field, f"{path} has no data (only blank or comment lines)")
    first = lines[data_lines[0]].split("#", 1)[0]
    delimiter = next((d for d in DELIMITERS if d in first), None)
    fields = [f.strip() for f in first.split(delimiter)]
    if delimiter == "," and any(len(f.split()) > 1 for f in fields) and any(
            THOUSANDS.fullmatch(t) for t in first.split()):
        raise DataFileError(field, f"{path}: its first data line {_clip(first)} has numbers "
                                   "with thousands separators ('7,000.0'), which would be split "
                                   "as columns: write them without the commas")
    header = not all(_is_number(f) for f in fields)
    skip = data_lines[0] + (1 if header else 0)
    names = tuple(f or str(i) for i, f in enumerate(fields)) if header else \
        tuple(str(i) for i in range(len(fields)))
    sample = [lines[i] for i in data_lines[1 if header else 0:][:1]]
    numeric = tuple(range(len(fields))) if not sample else tuple(
        i for i, f in enumerate(sample[0].split("#", 1)[0].split(delimiter))
        if i < len(fields) and _is_number(f.strip()))
    if len(fields) < 2:
        raise DataFileError(field, f"{path} has 1 column; need at least 2 (x and y)")
    if header and not sample:
        raise DataFileError(field, f"{path} has a header row but no data rows")
    if not numeric:
        raise DataFileError(field, f"{path} has no numeric columns (its first data row: "
                                   f"{_clip(lines[data_lines[1 if header else 0]])})")
    if len(numeric) < 2:
        raise DataFileError(field, f"{path} has {len(numeric)} numeric column; need 2 (x and y)")
    _check_row_estimate(path, field, size, len(head), len(data_lines))
    return Columns(path, names, numeric), delimiter, skip


def _check_row_estimate(path: Path, field: str, size: int, head_bytes: int, head_rows: int
                        ) -> None:
    """Refuse a file whose size says it has far more than :data:`MAX_ROWS` rows, before
    reading it (its rows are as long as the first 64 KiB's)."""
    if size <= head_bytes or not head_rows:
        return
    estimate = size / (head_bytes / head_rows)
    if estimate > 1.5 * MAX_ROWS:
        raise _too_many(path, field, f"about {_round_rows(estimate)}")


def _round_rows(n: float) -> str:
    exp = math.floor(math.log10(n))
    return f"{n / 10**exp:.1f}e{exp}"


def _lines(path: Path, stop: Stop) -> Iterator[str]:
    """The lines of a text file, read in blocks of :data:`BLOCK_LINES`; ``stop`` is asked
    after each (numpy parses lines from an iterator as fast as from the file itself)."""
    size = max(path.stat().st_size, 1)
    with path.open(encoding="utf-8-sig") as fh:
        while block := list(itertools.islice(fh, BLOCK_LINES)):
            yield from block
            if stop(min(fh.buffer.tell() / size, 1.0)):
                raise ReadCancelled


def _read_text(path: Path, field: str, delimiter: str | None, skip: int,
               pair: tuple[int, int], info: Columns, stop: Stop) -> np.ndarray:
    """The two columns ``pair`` of a text file's data rows (at most :data:`MAX_ROWS`)."""
    try:
        with warnings.catch_warnings():  # numpy says blank lines do not count as rows: fine
            warnings.filterwarnings("ignore", "Input line", UserWarning)
            points = np.loadtxt(_lines(path, stop), delimiter=delimiter, comments="#",
                                skiprows=skip, usecols=pair, ndmin=2, max_rows=MAX_ROWS + 1,
                                dtype=np.float64)
    except UnicodeDecodeError:
        raise DataFileError(field, f"{path} is not UTF-8 text (past its first "
                                   f"{HEAD_BYTES >> 10} KiB)") from None
    except ValueError as exc:
        why = " ".join(str(exc).split())
        raise DataFileError(field, f"{path}: a row cannot be read in columns "
                                   f"{info.names[pair[0]]!r}, {info.names[pair[1]]!r} "
                                   f"({_clip(why, 160)})") from None
    except OSError as exc:
        raise DataFileError(field, f"cannot read {path} ({exc.strerror or exc})") from None
    if points.shape[0] > MAX_ROWS:
        raise _too_many(path, field, f"more than {MAX_ROWS:,}")
    return points


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _clip(text: str, n: int = 60) -> str:
    text = " ".join(text.split())
    return repr(text if len(text) <= n else text[: n - 3] + "...")

