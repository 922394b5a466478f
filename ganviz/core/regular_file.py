"""Reading a user's file safely: regular files only, and never more than a cap.

Opening a FIFO blocks until something writes to it, and a device such as ``/dev/zero``
never ends, so a path the user gives is checked with a non-blocking open before anything
reads it. The refusal is an :class:`OSError` whose ``strerror`` says what the path is, so
callers that already turn ``OSError`` into one line need nothing else.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

KINDS = ((stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISCHR, "a character device"),
         (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"),
         (stat.S_ISDIR, "a folder"))


class NotARegularFile(OSError):
    """``path`` exists but is not a regular file."""


def kind_of(mode: int) -> str:
    """What a file of this ``st_mode`` is, in words."""
    return next((name for test, name in KINDS if test(mode)), "not a regular file")


def check_regular(path: str | Path) -> None:
    """Refuse ``path`` unless it is (a link to) a regular file; never blocks."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))  # Windows has no FIFOs
    try:
        mode = os.fstat(fd).st_mode
    finally:
        os.close(fd)
    if not stat.S_ISREG(mode):
        raise NotARegularFile(errno.EINVAL, f"{kind_of(mode)}, not a regular file", str(path))


def read_capped(path: str | Path, limit: int) -> bytes:
    """At most ``limit + 1`` bytes of the regular file ``path`` (one more than the cap, so a
    caller can tell a file that is too large)."""
    check_regular(path)
    with open(path, "rb") as fh:
        return fh.read(limit + 1)
