"""Peer generators that run in their own environment (:mod:`syntherela_rgcd.isolated`).

Each peer is a worker script here, run by the interpreter of its environment, which has
neither this package nor its pins: the workers use only the standard library, pandas and the
peer's own package. This module registers the environments and methods through the
``syntherela`` entry-point group like any plugin.
"""

from __future__ import annotations

from pathlib import Path

from ..environments import EnvironmentSpec
from ..isolated import IsolatedMethod, PeerSpec
from ..methods import MethodSpec
from ..plugins import hookimpl

HERE = Path(__file__).parent

RCTGAN = PeerSpec("rctgan", "rctgan", str(HERE / "rctgan_worker.py"))
TABULARARGN = PeerSpec("tabularargn", "tabularargn", str(HERE / "tabularargn_worker.py"),
                       {"max_training_time": 10.0, "max_epochs": 100, "model": "MOSTLY_AI/Medium"})


@hookimpl
def syntherela_environments() -> list[EnvironmentSpec]:
    return [
        EnvironmentSpec("rctgan", python="python3.9",
                        requirements=("rctgan==1.1", "torch==1.12.1", "pandas<2"),
                        summary="RCTGAN 1.1 (Python < 3.10, pandas < 2; it declares no torch, 1.12.1 is the "
                                "last with a self-contained build for 3.9)"),
        EnvironmentSpec("tabularargn", python="python3.11",
                        requirements=("torch==2.13.0", "mostlyai[local]==6.2.0"),
                        # PyPI's torchvision / torchaudio (CUDA builds, pulled in by the SDK's
                        # dependencies) break transformers' import beside the CPU torch, and so
                        # the SDK's local mode ("LOCAL mode requires additional packages")
                        remove=("torchvision", "torchaudio"),
                        summary="MOSTLY AI SDK in local mode (TabularARGN); numpy >= 2, so not beside RGCD"),
    ]


@hookimpl
def syntherela_methods() -> list[MethodSpec]:
    return [
        MethodSpec("rctgan", lambda config: IsolatedMethod(RCTGAN, config),
                   "RCTGAN 1.1 (CTGAN per table conditioned on parent rows) in its own Python 3.9 environment; "
                   "option epochs (default 1,000 per table)"),
        MethodSpec("tabularargn", lambda config: IsolatedMethod(TABULARARGN, config),
                   "MOSTLY AI's TabularARGN (SDK 6.2, local mode) in its own environment; "
                   "options: max_training_time (minutes per table), max_epochs, model"),
    ]
