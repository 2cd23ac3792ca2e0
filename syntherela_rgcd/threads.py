"""Thread settings for a small machine that is rarely idle.

On 2 cores shared with another busy process, torch's two OpenMP threads ran 6-14 times slower
per step than one thread (measured here, results/threads_under_load.md): at every parallel
region one thread waits for the other, which shares its core with the competitor, and by
default the waiting thread *spins*, taking CPU from the very thread it waits for. A passive
wait policy (waiting threads sleep) removes the spinning; it costs little on an idle machine
because our parallel regions are long (matrix products of a batch). It has to be in the
environment before torch loads its OpenMP runtime, hence :func:`prepare_openmp` runs before
the first torch import of a ``syntherela`` command; an explicit ``OMP_WAIT_POLICY`` wins.
"""

from __future__ import annotations

import os

WAIT_POLICY = "PASSIVE"


def prepare_openmp() -> None:
    """Default the OpenMP wait policy to passive (call before torch is imported)."""
    os.environ.setdefault("OMP_WAIT_POLICY", WAIT_POLICY)


def usable_cores() -> int:
    """Cores this process may run on (its CPU affinity, else the machine's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def set_threads(threads: int | None) -> int:
    """Torch intra-op threads: ``threads``, else ``OMP_NUM_THREADS``, else every usable core."""
    import torch

    if threads is None:
        threads = int(os.environ.get("OMP_NUM_THREADS") or usable_cores())
    torch.set_num_threads(max(int(threads), 1))
    return torch.get_num_threads()
