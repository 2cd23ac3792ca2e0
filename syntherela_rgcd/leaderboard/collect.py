"""Finding the local runs: every ``summary.json`` under the results folders."""

from __future__ import annotations

import logging
import json
from pathlib import Path
from typing import Iterable, Sequence

from .. import published
from ..errors import DataError, SyntheRelaError, UnknownNameError
from ..plugins import build_registry
from .rows import DEFAULT_RESULTS_DIRS, _created_key

logger = logging.getLogger(__name__)


def collect_runs(results_dirs: Iterable[str | Path] = DEFAULT_RESULTS_DIRS, missing_ok: bool = True) -> list[dict]:
    """Every ``<dir>/<dataset>/<method>/<run_id>/summary.json`` under the given folders.

    The same (dataset, method, run_id) found in several folders counts once: the copy with the
    newest ``created`` wins (the first folder's on a tie). Dataset, method and run id missing
    from a summary are taken from its path; unreadable files are skipped with a warning.
    Each summary gets ``_path`` (where it was read). ``missing_ok=False`` makes a folder that
    does not exist an error.
    """
    chosen: dict[tuple[str, str, str], dict] = {}
    for folder in results_dirs:
        folder = Path(folder)
        if not folder.is_dir():
            if not missing_ok:
                raise DataError(f"results folder {str(folder)!r} does not exist")
            continue
        for path in sorted(folder.glob("*/*/*/summary.json")):
            try:
                summary = json.loads(path.read_text())
                if not isinstance(summary, dict):
                    raise ValueError("not a JSON object")
            except (OSError, ValueError) as exc:
                logger.warning("skipping %s: %s", path, exc)
                continue
            run_dir = path.parent
            summary.setdefault("dataset", run_dir.parent.parent.name)
            summary.setdefault("method", run_dir.parent.name)
            summary.setdefault("run_id", run_dir.name)
            summary["_path"] = str(path)
            key = (str(summary["dataset"]), str(summary["method"]), str(summary["run_id"]))
            previous = chosen.get(key)
            if previous is None or _created_key(summary.get("created")) > _created_key(previous.get("created")):
                chosen[key] = summary
    return [chosen[key] for key in sorted(chosen)]


# --------------------------------------------------------------------------------------
# Building the rows
# --------------------------------------------------------------------------------------


def known_datasets(runs: Sequence[dict]) -> set[str]:
    """Datasets with a published number or a local run."""
    return published.published_datasets() | {str(run.get("dataset")) for run in runs}


def resolve_dataset(name: str, runs: Sequence[dict]) -> str:
    """A dataset name or alias (``walmart``, ``cora``...) to the folder name with results.

    Raises :class:`UnknownNameError` when neither the published tables nor a local run has it.
    """
    known = known_datasets(runs)
    if name in known:
        return name
    lowered = name.lower()
    for candidate in sorted(known):
        if candidate.lower() == lowered:
            return candidate
    resolved = None
    try:  # aliases come from the dataset catalogue (plugins included)
        for spec in build_registry().datasets.values():
            if lowered == spec.name.lower() or lowered in (a.lower() for a in spec.aliases):
                resolved = spec.name
                break
    except SyntheRelaError:  # pragma: no cover - a broken plugin must not hide the real message
        pass
    if resolved in known:
        return resolved
    what = repr(name) if resolved in (None, name) else f"{name!r} ({resolved})"
    listing = ", ".join(sorted(known, key=str.lower))
    raise UnknownNameError(f"no published or local results for dataset {what} (datasets with results: {listing})")


