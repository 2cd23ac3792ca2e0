"""Thread settings: --threads is applied; the CLI leaves torch unloaded until a command needs it."""

import subprocess
import sys

import pytest


def test_cli_import_leaves_torch_unloaded():
    code = "import sys, syntherela_rgcd.cli; print('torch' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() == "False"


@pytest.mark.parametrize("threads", [1, 2])
def test_set_threads(threads):
    import torch

    from syntherela_rgcd.threads import set_threads

    before = torch.get_num_threads()
    try:
        assert set_threads(threads) == threads
    finally:
        torch.set_num_threads(before)


def test_the_default_is_one_thread_unless_omp_says_otherwise(monkeypatch):
    """One thread per process: as fast beside a busy process as alone (threads.py)."""
    import torch

    from syntherela_rgcd.threads import DEFAULT_THREADS, set_threads

    before = torch.get_num_threads()
    try:
        monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
        assert set_threads(None) == DEFAULT_THREADS == 1
        monkeypatch.setenv("OMP_NUM_THREADS", "2")
        assert set_threads(None) == 2
    finally:
        torch.set_num_threads(before)
