"""Per-table checkpoints of a fit, so that an interrupted run can go on where it stopped.

Each table's VAE and each table's GNN + diffusion model is saved here the moment it is
trained (written to a temporary file, then renamed, so a kill never leaves half a file). A
fit given the same folder again (``syntherela run ... --resume``) takes those results instead
of training them. Every task seeds itself and its budget is still handed out in table order
(the job is made, only not run), so the model is the one an uninterrupted fit gives.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import torch

logger = logging.getLogger(__name__)


class Checkpoints:
    """Results of finished tasks in ``folder`` (``<table>.<phase>.pt``)."""

    def __init__(self, folder: str | os.PathLike) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)

    def _path(self, phase: str, table: str) -> Path:
        return self.folder / f"{table}.{phase}.pt"

    def load(self, phase: str, table: str) -> Any | None:
        path = self._path(phase, table)
        if not path.is_file():
            return None
        logger.info("%s: reusing its %s from %s (resumed fit)", table, phase, path)
        return torch.load(path, weights_only=False)

    def save(self, phase: str, table: str, result: Any) -> None:
        path = self._path(phase, table)
        partial = path.with_suffix(".partial")
        torch.save(result, partial)
        os.replace(partial, path)
