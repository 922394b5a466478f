"""The memory allocator settings of the processes that train (headless commands and the
window's training process; not the window itself).

glibc's malloc hands large freed blocks back to the system and maps them in again at
the next step, so a batched step takes about a thousand page faults; raising its
thresholds removes them and makes steps faster (docs/performance.md). The usual advice
for PyTorch on CPU is the same (or tcmalloc / jemalloc). ``mallopt`` sets them for the
running process; elsewhere this does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys

M_TRIM_THRESHOLD, M_TOP_PAD, M_MMAP_THRESHOLD = -1, -2, -3
SETTINGS = {
    M_MMAP_THRESHOLD: 1 << 30,  # blocks below 1 GiB come from the heap, not fresh mappings
    M_TRIM_THRESHOLD: (1 << 31) - 1,  # keep freed memory for the next step
    M_TOP_PAD: 1 << 28,  # grow the heap in 256 MiB steps (untouched pages cost nothing)
}


def keep_memory_for_training() -> bool:
    """Tell glibc's malloc to keep and reuse freed memory; True when it took the settings
    (Linux with glibc), False elsewhere or when the allocator refused them."""
    if not sys.platform.startswith("linux"):
        return False
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    try:
        libc = ctypes.CDLL(name)
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # musl and others have no mallopt
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    return all(mallopt(option, value) == 1 for option, value in SETTINGS.items())
