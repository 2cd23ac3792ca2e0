"""Torch's thread count: every usable core by default, ``--threads N`` to choose.

Measured on this project's 2-core machine (results/threads_spincount.md, the demo in
results/logs/demo_openmp.log): two torch threads with libgomp's default wait (spin a while,
then sleep) are the fastest on an idle machine, but beside one busy process they ran 15
times slower, because at every parallel region one thread spins waiting for the other,
which shares its core with the competitor. One thread does not care (busy / idle 1.00) and
costs about 1.5 times the two threads' idle time. The passive wait policy
(``OMP_WAIT_POLICY=PASSIVE``, once our default) survives load too but is never better than
one thread: as slow on big matrix products and twice as slow as spinning on the demo's small
ones. Shorter spins (``GOMP_SPINCOUNT``) trade one for the other without meeting both. The
thread count is not chosen from the load automatically: the same seed gives the same data
only with the same thread count, so on a busy machine say ``--threads 1`` (and use both
cores with ``--executor process --workers 2``, whose workers run one thread each).
"""

from __future__ import annotations

import os

import torch


def usable_cores() -> int:
    """Cores this process may run on (its CPU affinity, else the machine's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def torch_threads() -> int:
    """The torch intra-op threads in use (timings, and a run's numbers, depend on them)."""
    return torch.get_num_threads()


def set_threads(threads: int | None) -> int:
    """Torch intra-op threads: ``threads``, else ``OMP_NUM_THREADS``, else every usable core."""
    if threads is None:
        threads = int(os.environ.get("OMP_NUM_THREADS") or usable_cores())
    torch.set_num_threads(max(int(threads), 1))
    return torch.get_num_threads()
