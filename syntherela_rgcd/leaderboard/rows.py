"""Leaderboard rows: the figures of one method on one dataset, and their aggregation."""

from __future__ import annotations

import logging
import math
import statistics
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from typing import Iterable

from .. import published

logger = logging.getLogger(__name__)

DEFAULT_RESULTS_DIRS: tuple[str, ...] = ("runs/results", "results/runs")
METRICS: tuple[str, ...] = ("dda", "utility", "privacy")
FORMATS: tuple[str, ...] = ("md", "csv", "json")
DDA_IDEAL = 0.5
DCR_IDEAL = 0.5  # drawn as a reference line; the ranking is higher-is-better
#: display names of local method folders (anything else is shown as its folder name)
METHOD_NAMES = {"rgcd": "RGCD", "sdv": "SDV (HMA)", "clavaddpm": "ClavaDDPM", "rctgan": "RCTGAN",
                "realtabformer": "REaLTabFormer", "tabularargn": "TabularARGN", "gcfm": "GCFM"}
#: marker shape per method family, shared by the published and the local row of a method
_MARKERS = {"RGCD": "o", "SDV (HMA)": "s", "ClavaDDPM": "^", "RCTGAN": "D", "REaLTabFormer": "v", "GCFM (AAAI-26)": "P", "GCFM": "P",
            "TabularARGN": "X"}
_HIGHER_IS_BETTER_METRICS = {"auc", "accuracy", "f1", "r2", "precision", "recall"}
_TINY = 1e-12
SUSPECT_DDA = 0.45
"""A table DDA below this is a classifier fooled by near-copies of real rows, not fidelity:
the run is flagged and not ranked (issue 14)."""
_PUBLISHED_ORDER = {name: i for i, name in enumerate((*published.DDA_TABLE1, "real data", "naive"))}


# --------------------------------------------------------------------------------------
# Rows
# --------------------------------------------------------------------------------------


@dataclass
class Row:
    """One line of the leaderboard (a published method, or a local (method, profile) group)."""

    view: str                      # dda | utility | privacy
    dataset: str
    method: str                    # published name, or the local method's folder name
    label: str                     # what the table shows: "RGCD (paper)", "RGCD, here", ...
    source: str                    # "published" or "here"
    metric: str                    # DDA, AUC, RMSE, DCR
    higher_is_better: bool | None  # None: closest to ``ideal`` is best
    ideal: float | None = None
    value: float | None = None     # the headline figure (None: not reported / not scored)
    se: float | None = None
    n: int | None = None           # values aggregated: runs x samples
    seeds: int | None = None       # distinct run ids aggregated
    profile: str | None = None
    created: str | None = None     # the newest run's timestamp
    run_ids: list[str] = field(default_factory=list)
    task: str | None = None        # utility: "<table>.<target>"
    headline_table: str | None = None
    tables: dict[str, dict] = field(default_factory=dict)  # per table: {"value", "se", "n"}
    extra: dict[str, float | None] = field(default_factory=dict)  # utility: real, naive, selections
    reference: bool = False        # utility's "real data" / "naive" rows: never ranked
    best: bool = False
    best_extra: dict[str, bool] = field(default_factory=dict)
    note: str = ""
    copying: dict = field(default_factory=dict)  # local rows: mean copy figures (evaluation/copying.py)

    @property
    def direction(self) -> str:
        if self.higher_is_better is None:
            return f"closest to {self.ideal:g}"
        return "higher" if self.higher_is_better else "lower"

    @property
    def arrow(self) -> str:
        return _arrow(self.higher_is_better, self.ideal)

    def to_dict(self) -> dict:
        data = asdict(self)
        data["direction"] = self.direction
        return data


def _arrow(higher_is_better: bool | None, ideal: float | None = None) -> str:
    if higher_is_better is None:
        return f"→ {ideal:g}"
    return "↑" if higher_is_better else "↓"


@dataclass
class Stat:
    value: float
    se: float | None
    n: int


def aggregate(pairs: Iterable[tuple[float | None, float | None]]) -> Stat | None:
    """Mean ± standard error of ``(value, reported_se)`` pairs.

    Two or more values: mean ± sample std / sqrt(n). One value: itself with its own reported SE.
    Missing or non-finite values are ignored; None when nothing is left.
    """
    pairs = [(v, se) for v, se in pairs if v is not None and math.isfinite(v)]
    if not pairs:
        return None
    if len(pairs) == 1:
        return Stat(pairs[0][0], pairs[0][1], 1)
    values = [v for v, _ in pairs]
    return Stat(statistics.fmean(values), statistics.stdev(values) / math.sqrt(len(values)), len(values))


def _num(x) -> float | None:
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        return None
    return float(x) if math.isfinite(x) else None


# --------------------------------------------------------------------------------------
# Collecting local runs
# --------------------------------------------------------------------------------------


def _created_key(created) -> datetime:
    """A comparable timestamp (naive ones taken as UTC; unreadable ones as the oldest)."""
    try:
        moment = datetime.fromisoformat(str(created))
    except (TypeError, ValueError):
        return datetime.min.replace(tzinfo=timezone.utc)
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)

