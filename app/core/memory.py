"""Handing back the memory a large request used, once it is done with."""

import ctypes
import ctypes.util
import functools
import gc
from collections.abc import Callable


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's malloc_trim, or None where the C library has none (musl, macOS)."""
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    trim = getattr(ctypes.CDLL(name), "malloc_trim", None)
    if trim is None:
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return trim


def release() -> None:
    """Free the request's objects that point at each other, then return the C allocator's free
    pages to the system.

    A document's objects (python-docx's parts, openpyxl's cells, matplotlib's figures) are cycles
    that only a full collection frees. What they held then sits free inside glibc's heaps, one
    per thread that served such a request, and glibc gives back only the top of each heap by
    itself: malloc_trim(0) returns every free page (about a millisecond).
    """
    gc.collect()
    trim = _malloc_trim()
    if trim is not None:
        trim(0)
