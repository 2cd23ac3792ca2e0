"""Thread settings: the passive OpenMP wait policy reaches torch, and --threads is applied."""

import subprocess
import sys

import pytest


def test_cli_import_leaves_torch_unloaded_so_the_wait_policy_can_still_apply():
    code = "import sys, syntherela_rgcd.cli; print('torch' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() == "False"


def test_prepare_openmp_defaults_to_passive_but_keeps_an_explicit_policy(monkeypatch):
    from syntherela_rgcd.threads import prepare_openmp

    monkeypatch.delenv("OMP_WAIT_POLICY", raising=False)
    prepare_openmp()
    import os

    assert os.environ["OMP_WAIT_POLICY"] == "PASSIVE"
    monkeypatch.setenv("OMP_WAIT_POLICY", "ACTIVE")
    prepare_openmp()
    assert os.environ["OMP_WAIT_POLICY"] == "ACTIVE"


@pytest.mark.parametrize("threads", [1, 2])
def test_set_threads(threads):
    import torch

    from syntherela_rgcd.threads import set_threads

    before = torch.get_num_threads()
    try:
        assert set_threads(threads) == threads
    finally:
        torch.set_num_threads(before)
