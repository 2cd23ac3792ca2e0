"""Hand freed memory back to the operating system between tables.

A fit or a sample works through the tables one after another, and each table's tensors are
freed when it is done. glibc keeps freed blocks below its (dynamically raised) mmap
threshold in the process heap, so the resident size climbs table by table although
nothing is alive: on the zoo's 10-table clinical database the smoke run's peak was 1.44 GiB
without ``malloc_trim`` and 1.19 GiB with it called at table boundaries
(results/smoke_memory.md). It costs milliseconds.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
from functools import lru_cache


@lru_cache(maxsize=1)
def _libc_trim():
    """``malloc_trim`` of glibc, or None where the C library has none (macOS, musl)."""
    name = ctypes.util.find_library("c")
    if not name:
        return None
    try:
        return ctypes.CDLL(name).malloc_trim
    except (OSError, AttributeError):
        return None


def release_free_memory() -> None:
    """Collect unreachable Python objects, then return the heap's free pages to the OS."""
    gc.collect()
    trim = _libc_trim()
    if trim is not None:
        trim(0)
