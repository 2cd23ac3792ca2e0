"""Torch's thread count: one per process by default, ``--threads N`` to choose.

A 2-core laptop is rarely idle. Measured on this project's 2-core machine
(results/threads_under_load.md): two torch threads with libgomp's default wait (spin a while,
then sleep) are the fastest on an idle machine, but beside one busy process they ran 24 times
slower, because at every parallel region one thread spins waiting for the other, which shares
its core with the competitor. One thread does not care (busy / idle 1.00 to 1.01) and costs
about 1.5 times the two threads' idle time on the denoiser's matrix products; the passive wait
policy (``OMP_WAIT_POLICY=PASSIVE``) survives load too but is never better than one thread.
So the default is one thread per process: what a user gets is the same speed whatever else the
machine runs, and the same data for the same seed (a reduction split over two threads sums in
another order than over one, so the thread count is never chosen from the load). On an idle
machine ``--threads 2`` is faster; ``--executor process --workers 2`` with ``budget_flow:
false`` trains two tables at a time, one thread each.
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


#: Torch threads when neither --threads nor OMP_NUM_THREADS says (see the module docstring).
DEFAULT_THREADS = 1


def set_threads(threads: int | None) -> int:
    """Torch intra-op threads: ``threads``, else ``OMP_NUM_THREADS``, else ``DEFAULT_THREADS``."""
    if threads is None:
        threads = int(os.environ.get("OMP_NUM_THREADS") or DEFAULT_THREADS)
    torch.set_num_threads(max(int(threads), 1))
    return torch.get_num_threads()
