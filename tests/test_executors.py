"""Executors run tasks where asked and give results in the items' order; the RGCD fit gives
the same model whichever runs it (tests/rgcd/test_model.py)."""

from __future__ import annotations

import importlib.util
import math
import sys

import pytest

from syntherela_rgcd.errors import SyntheRelaError
from syntherela_rgcd.executors import InProcessExecutor, LocalProcessExecutor, make_executor

HAS_RAY = importlib.util.find_spec("ray") is not None


def _worker_threads(_: object) -> int:
    import torch

    return torch.get_num_threads()


def test_in_process_maps_in_order():
    assert make_executor().map(math.sqrt, [4, 9, 16]) == [2, 3, 4]
    assert isinstance(make_executor(None), InProcessExecutor)


def test_process_pool_keeps_order_and_the_callers_thread_count():
    import torch

    threads = torch.get_num_threads()
    executor = LocalProcessExecutor(workers=2)
    try:
        assert executor.map(math.sqrt, [4, 9, 16, 25]) == [2, 3, 4, 5]
        assert executor.map(_worker_threads, [0, 1]) == [threads, threads]
    finally:
        executor.close()


def test_unknown_executor_and_misplaced_ray_address_are_one_line_errors():
    with pytest.raises(SyntheRelaError, match="unknown executor 'dask'"):
        make_executor("dask")
    with pytest.raises(SyntheRelaError, match="--ray-address is for --executor ray"):
        make_executor("process", ray_address="auto")


def test_ray_missing_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray -> ImportError
    with pytest.raises(SyntheRelaError, match=r"pip install 'syntherela-rgcd\[ray\]'"):
        make_executor("ray")


@pytest.mark.skipif(not HAS_RAY, reason="Ray is not installed (pip install 'syntherela-rgcd[ray]')")
def test_local_ray_maps_in_order_and_shuts_down():
    import ray

    executor = make_executor("ray", workers=2)
    try:
        assert executor.map(math.sqrt, [4, 9, 16]) == [2, 3, 4]
    finally:
        executor.close()
    assert not ray.is_initialized()


@pytest.mark.skipif(not HAS_RAY, reason="Ray is not installed (pip install 'syntherela-rgcd[ray]')")
@pytest.mark.parametrize("address", ["127.0.0.1:1", "ray://127.0.0.1:1", "nonsense"])
def test_unreachable_or_malformed_ray_address_fails_fast_with_the_fix(address):
    with pytest.raises(SyntheRelaError, match="executor 'ray'"):
        make_executor("ray", ray_address=address)
