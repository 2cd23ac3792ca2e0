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
