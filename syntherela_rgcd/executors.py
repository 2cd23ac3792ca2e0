"""Where independent training tasks run: this process, a local process pool, or Ray.

A method that splits its fit into tasks (RGCD: one VAE per table, then one GNN + diffusion
model per table) hands them to an :class:`Executor` as a function and a list of inputs and
gets the results back in the same order, like :func:`map`. Three engines exist:

* ``inprocess`` (the default): one after another in this process, nothing to install;
* ``process``: a :class:`concurrent.futures.ProcessPoolExecutor` on this machine, started
  with ``spawn`` (forking a process that has loaded torch's thread pools can hang);
* ``ray``: Ray tasks, on a local Ray started for the run or on a cluster given by its
  address (``pip install 'syntherela-rgcd[ray]'``).

"The same seed gives the same model whichever executor runs it" holds because each task
seeds itself and every worker runs with the caller's torch thread count (a reduction
split over two threads sums in another order than over one). The wrapper
:func:`_call_with_threads` does that in every worker.
"""

from __future__ import annotations

import logging
import multiprocessing
import socket
from concurrent.futures import ProcessPoolExecutor
from typing import Any, Callable, Protocol, Sequence

import torch

from .errors import SyntheRelaError
from .threads import torch_threads, usable_cores

logger = logging.getLogger(__name__)
EXECUTORS = ("inprocess", "process", "ray")


class Executor(Protocol):
    """Runs ``fn`` on every item and returns the results in the items' order."""

    name: str

    def map(self, fn: Callable[[Any], Any], items: Sequence[Any]) -> list[Any]: ...

    def close(self) -> None: ...


def _call_with_threads(threads: int, log_level: int, fn: Callable[[Any], Any], item: Any) -> Any:
    """Run one task in a worker with the caller's thread count and log level."""
    torch.set_num_threads(threads)
    root = logging.getLogger()
    if not root.handlers:  # a fresh worker: show our progress lines as the caller would
        logging.basicConfig(level=log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    root.setLevel(log_level)
    return fn(item)


class InProcessExecutor:
    """Tasks one after another in the calling process."""

    name = "inprocess"

    def map(self, fn: Callable[[Any], Any], items: Sequence[Any]) -> list[Any]:
        return [fn(item) for item in items]

    def close(self) -> None:
        pass


class LocalProcessExecutor:
    """Tasks in a pool of ``workers`` spawned processes on this machine.

    Each worker runs with the caller's torch thread count, so ``workers`` x threads should
    not exceed the cores (``syntherela run --threads 1 --executor process --workers 2`` on a
    2-core machine).
    """

    name = "process"

    def __init__(self, workers: int | None = None):
        self.workers = max(int(workers or usable_cores()), 1)
        self._pool: ProcessPoolExecutor | None = None

    def map(self, fn: Callable[[Any], Any], items: Sequence[Any]) -> list[Any]:
        if len(items) <= 1:  # not worth a worker's start-up (torch import, a few seconds)
            return [fn(item) for item in items]
        if self._pool is None:
            self._pool = ProcessPoolExecutor(max_workers=self.workers,
                                             mp_context=multiprocessing.get_context("spawn"))
        threads, level = torch_threads(), logging.getLogger().getEffectiveLevel()
        futures = [self._pool.submit(_call_with_threads, threads, level, fn, item) for item in items]
        return [future.result() for future in futures]

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None


class RayExecutor:
    """Tasks as Ray remote functions: a local Ray when ``address`` is None, else the cluster
    at ``address`` (``auto`` for the one this machine belongs to, ``ray://host:10001`` for a
    remote one). Each task asks Ray for as many CPUs as it will use threads."""

    name = "ray"

    def __init__(self, address: str | None = None, workers: int | None = None):
        try:
            import ray
        except ImportError:
            raise SyntheRelaError(
                "executor 'ray': Ray is not installed; install it with pip install 'syntherela-rgcd[ray]' "
                "or choose --executor inprocess|process") from None
        self._ray = ray
        self._started = False
        if address not in (None, "auto", "local"):
            _check_reachable(address)
        if not ray.is_initialized():
            options: dict[str, Any] = {"address": address, "logging_level": logging.WARNING}
            if address is None:  # a cluster of our own; an existing one refuses these settings
                options.update(num_cpus=workers or usable_cores(), include_dashboard=False)
            try:
                ray.init(**options)
            except (ConnectionError, RuntimeError, ValueError) as error:
                where = f"the Ray cluster at {address}" if address else "a local Ray"
                raise SyntheRelaError(f"executor 'ray': could not start or reach {where}: "
                                      f"{str(error).splitlines()[0]}") from None
            self._started = True

    def map(self, fn: Callable[[Any], Any], items: Sequence[Any]) -> list[Any]:
        threads, level = torch_threads(), logging.getLogger().getEffectiveLevel()
        remote = self._ray.remote(num_cpus=threads, max_retries=0)(_call_with_threads)
        return self._ray.get([remote.remote(threads, level, fn, item) for item in items])

    def close(self) -> None:
        if self._started:
            self._ray.shutdown()
            self._started = False


def _check_reachable(address: str, timeout: float = 5.0) -> None:
    """Fail in seconds, with the fix, when nothing answers at a Ray address (``host:port`` or
    ``ray://host:port``); Ray itself retries for minutes before it gives up."""
    host, _, port = address.split("://", 1)[-1].rpartition(":")
    if not host or not port.isdigit():
        raise SyntheRelaError(f"executor 'ray': --ray-address {address!r} is not auto, host:port or ray://host:port")
    try:
        socket.create_connection((host, int(port)), timeout=timeout).close()
    except OSError as error:
        raise SyntheRelaError(f"executor 'ray': nothing answers at {host}:{port} ({error.strerror or error}); start "
                              "the cluster (ray start --head) or leave out --ray-address for a local Ray") from None


def make_executor(name: str | None = "inprocess", workers: int | None = None,
                  ray_address: str | None = None) -> Executor:
    """The executor called ``name`` (see :data:`EXECUTORS`)."""
    name = name or "inprocess"
    if ray_address and name != "ray":
        raise SyntheRelaError(f"--ray-address is for --executor ray, not {name!r}")
    if name == "inprocess":
        return InProcessExecutor()
    if name == "process":
        return LocalProcessExecutor(workers)
    if name == "ray":
        return RayExecutor(ray_address, workers)
    raise SyntheRelaError(f"unknown executor {name!r}; choose one of {', '.join(EXECUTORS)}")
