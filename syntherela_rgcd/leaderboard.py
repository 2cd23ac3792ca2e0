"""One table with the RGCD paper's published numbers and every local run, best per dataset marked.

Local runs are the ``summary.json`` files the runner writes to
``<output-dir>/results/<dataset>/<method>/<run_id>/summary.json`` (and copies of them kept in
the repository under ``results/runs/`` in the same layout). Runs are grouped by
(dataset, method, profile) and every figure is aggregated over all runs x samples of a group:
mean ± std/sqrt(n) when there are n >= 2 values, else the one value with its own reported SE.

Three views (``metric``):

* ``dda``: SyntheRela's aggregation detection accuracy, lower is better, 0.5 = indistinguishable.
  The paper gives one figure per dataset and does not say how it combines tables; the headline
  here is the worst table (highest mean DDA), and every table's figure is kept beside it.
* ``utility``: one row per (dataset, task): ML score of a model trained on synthetic data and
  tested on real held-out data (AUC higher is better, RMSE lower is better), with the real-data
  and naive scores of the same task, and the model / feature selection rank correlations.
* ``privacy``: DCR score as :mod:`syntherela_rgcd.evaluation.privacy` computes it (paper
  Appendix B): P(a real holdout row lies nearer the training rows than a synthetic row does).
  About 0.5: synthetic rows are as far from the training rows as unseen real rows; lower:
  copies of training rows (memorisation). Higher is better; the headline is the lowest table.

Python use::

    from syntherela_rgcd.leaderboard import collect_runs, build_leaderboard, render, plot
    rows = build_leaderboard(collect_runs(["runs/results", "results/runs"]), "dda")
    print(render(rows, "md"))
    plot(rows, "dda.png")
"""

from __future__ import annotations

import csv
import io
import json
import logging
import math
import statistics
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable, Sequence

from . import published
from .errors import DataError, SyntheRelaError, UnknownNameError
from .plotting import default_style

logger = logging.getLogger(__name__)

DEFAULT_RESULTS_DIRS: tuple[str, ...] = ("runs/results", "results/runs")
METRICS: tuple[str, ...] = ("dda", "utility", "privacy")
FORMATS: tuple[str, ...] = ("md", "csv", "json")
DDA_IDEAL = 0.5
DCR_IDEAL = 0.5  # drawn as a reference line; the ranking is higher-is-better
#: display names of local method folders (anything else is shown as its folder name)
METHOD_NAMES = {"rgcd": "RGCD", "sdv": "SDV (HMA)", "clavaddpm": "ClavaDDPM", "rctgan": "RCTGAN",
                "realtabformer": "REaLTabFormer"}
#: marker shape per method family, shared by the published and the local row of a method
_MARKERS = {"RGCD": "o", "SDV (HMA)": "s", "ClavaDDPM": "^", "RCTGAN": "D", "REaLTabFormer": "v", "GCFM (AAAI-26)": "P"}
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
    try:  # aliases come from the dataset catalogue (plugins included); imported only when needed
        from .plugins import build_registry

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


def _samples(run: dict) -> list[dict]:
    scores = run.get("scores")
    if not isinstance(scores, dict):
        return []
    return [sample for sample in scores.values() if isinstance(sample, dict)]


def _groups(runs: Sequence[dict]) -> dict[tuple[str, str, str], list[dict]]:
    groups: dict[tuple[str, str, str], list[dict]] = {}
    for run in runs:
        profile = run.get("profile") or "default"
        groups.setdefault((str(run.get("dataset")), str(run.get("method")), str(profile)), []).append(run)
    return groups


def _local_row(view: str, key: tuple[str, str, str], contributing: list[dict], **fields) -> Row:
    dataset, method, profile = key
    newest = max(contributing, key=lambda r: _created_key(r.get("created")))
    run_ids = sorted({str(r.get("run_id")) for r in contributing})
    return Row(view=view, dataset=dataset, method=method, label=f"{METHOD_NAMES.get(method, method)}, here",
               source="here", profile=profile, seeds=len(run_ids), run_ids=run_ids,
               created=newest.get("created"), **fields)


def _per_table_rows(view: str, runs: Sequence[dict], score_key: str, value_key: str,
                    metric: str, higher_is_better: bool | None, ideal: float | None) -> list[Row]:
    """DDA / DCR: one row per (dataset, method, profile); headline = the worst table."""
    rows = []
    for key, group in _groups(runs).items():
        per_table: dict[str, list[tuple[float | None, float | None]]] = {}
        contributing = []
        for run in group:
            used = False
            for sample in _samples(run):
                scores = sample.get(score_key)
                if not isinstance(scores, dict):
                    continue
                for table, figures in scores.items():
                    if isinstance(figures, dict) and _num(figures.get(value_key)) is not None:
                        per_table.setdefault(table, []).append((_num(figures[value_key]), _num(figures.get("se"))))
                        used = True
            if used:
                contributing.append(run)
        stats = {table: s for table, pairs in per_table.items() if (s := aggregate(pairs)) is not None}
        if not stats:
            continue
        if higher_is_better is None:
            worst = max(stats, key=lambda t: (abs(stats[t].value - ideal), t))
        elif higher_is_better:
            worst = min(stats, key=lambda t: (stats[t].value, t))
        else:
            worst = max(stats, key=lambda t: (stats[t].value, t))
        head = stats[worst]
        rows.append(_local_row(
            view, key, contributing, metric=metric, higher_is_better=higher_is_better, ideal=ideal,
            value=head.value, se=head.se, n=head.n, headline_table=worst,
            tables={t: {"value": s.value, "se": s.se, "n": s.n} for t, s in sorted(stats.items())},
            copying=_copying(group),
        ))
    return rows


def _copying(group: Sequence[dict]) -> dict:
    """Mean over a group's samples of the copy figures its privacy scoring saved: per link
    table the share of real edges, per table the rows equal to a real row (and the real halves'
    share), the rows equal to their twin where the generator gave a correspondence."""
    figures = [sample["copying"] for run in group for sample in _samples(run) if isinstance(sample.get("copying"), dict)]
    if not figures:
        return {}

    def mean(values: list) -> float | None:
        values = [v for v in values if _num(v) is not None]
        return sum(values) / len(values) if values else None

    tables = sorted({t for f in figures for t in f.get("rows", {})})
    links = sorted({t for f in figures for t in f.get("real_edges", {})})
    twins = sorted({t for f in figures for t in f.get("twins", {})})
    return {
        "samples": len(figures),
        "real_edges": {t: mean([f["real_edges"].get(t) for f in figures if "real_edges" in f]) for t in links},
        "rows": {t: {"synthetic": mean([f["rows"].get(t, {}).get("synthetic") for f in figures]),
                     "real_halves": mean([f["rows"].get(t, {}).get("real_halves") for f in figures])} for t in tables},
        "twins": {t: mean([f.get("twins", {}).get(t) for f in figures]) for t in twins},
    }


def _dda_rows(runs: Sequence[dict]) -> list[Row]:
    rows = []
    for name, per_dataset in published.DDA_TABLE1.items():
        for dataset, entry in per_dataset.items():
            rows.append(Row(view="dda", dataset=dataset, method=name, label=name, source="published", metric="DDA",
                            higher_is_better=False, ideal=DDA_IDEAL,
                            value=entry[0] if entry else None, se=entry[1] if entry else None,
                            note="" if entry else "not reported"))
    return rows + _per_table_rows("dda", runs, "dda", "accuracy", "DDA", False, DDA_IDEAL)


def _privacy_rows(runs: Sequence[dict]) -> list[Row]:
    rows = []
    for name, per_dataset in published.DCR_APPENDIX_B.items():
        for dataset, (value, se) in per_dataset.items():
            rows.append(Row(view="privacy", dataset=dataset, method=name, label=name, source="published",
                            metric="DCR", higher_is_better=True, ideal=DCR_IDEAL, value=value, se=se))
    return rows + _per_table_rows("privacy", runs, "dcr", "score", "DCR", True, DCR_IDEAL)


def _task_name(key: str, entry: dict) -> str:
    table, target = entry.get("table"), entry.get("target")
    return f"{table}.{target}" if table and target else str(key)


def _utility_rows(runs: Sequence[dict]) -> list[Row]:
    rows = []
    for dataset, task in published.UTILITY_TASKS.items():
        common = dict(view="utility", dataset=dataset, source="published", metric=task["metric"],
                      higher_is_better=task["higher_is_better"], task=f"{task['table']}.{task['target']}")
        references = {"real": task["real"], "naive": task["naive"]}
        rows.append(Row(method="real data", label="real data", value=task["real"], reference=True,
                        note="model trained on real data", **common))
        rows.append(Row(method="naive", label="naive", value=task["naive"], reference=True,
                        note="constant prediction", **common))
        for name, per_dataset in published.UTILITY_TABLE2.items():
            if dataset in per_dataset:
                ml, model_selection, feature_selection = per_dataset[dataset]
                rows.append(Row(method=name, label=name, value=ml, extra={
                    **references, "model_selection": model_selection, "feature_selection": feature_selection,
                }, **common))

    for key, group in _groups(runs).items():
        tasks: dict[str, dict] = {}
        for run in group:
            for sample_index, sample in enumerate(_samples(run)):
                utility = sample.get("utility")
                if not isinstance(utility, dict):
                    continue
                for task_key, entry in utility.items():
                    if not isinstance(entry, dict):
                        continue
                    name = _task_name(task_key, entry)
                    acc = tasks.setdefault(name, {"metric": None, "higher": None, "runs": [], "synthetic": [],
                                                  "model_selection": [], "feature_selection": [],
                                                  "real": {}, "naive": {}})
                    acc["metric"] = acc["metric"] or entry.get("metric")
                    if acc["higher"] is None and isinstance(entry.get("higher_is_better"), bool):
                        acc["higher"] = entry["higher_is_better"]
                    for figure in ("synthetic", "model_selection", "feature_selection"):
                        acc[figure].append((_num(entry.get(figure)), _num(entry.get(f"{figure}_se"))))
                    # the real-data and naive scores do not depend on the sample: one per run
                    for figure in ("real", "naive"):
                        if _num(entry.get(figure)) is not None:
                            acc[figure].setdefault(str(run.get("run_id")),
                                                   (_num(entry.get(figure)), _num(entry.get(f"{figure}_se"))))
                    if _num(entry.get("synthetic")) is not None and run not in acc["runs"]:
                        acc["runs"].append(run)
        for name, acc in tasks.items():
            synthetic = aggregate(acc["synthetic"])
            if synthetic is None:
                continue
            metric = str(acc["metric"] or "score")
            higher = acc["higher"] if acc["higher"] is not None else metric.lower() in _HIGHER_IS_BETTER_METRICS
            extra: dict[str, float | None] = {}
            for figure in ("real", "naive"):
                stat = aggregate(acc[figure].values())
                extra[figure], extra[f"{figure}_se"] = (stat.value, stat.se) if stat else (None, None)
            for figure in ("model_selection", "feature_selection"):
                stat = aggregate(acc[figure])
                extra[figure], extra[f"{figure}_se"] = (stat.value, stat.se) if stat else (None, None)
            rows.append(_local_row("utility", key, acc["runs"], metric=metric, higher_is_better=higher, task=name,
                                   value=synthetic.value, se=synthetic.se, n=synthetic.n, extra=extra))
    return rows


def _badness(row: Row, value: float | None = None) -> float:
    """Smaller is better."""
    value = row.value if value is None else value
    if row.higher_is_better is None:
        return abs(value - (row.ideal or 0.0))
    return -value if row.higher_is_better else value


def suspect_tables(row: Row) -> list[str]:
    """A local DDA row's tables scoring below :data:`SUSPECT_DDA` (signs of copying)."""
    if row.metric != "DDA" or row.source == "published":
        return []
    return [t for t, fig in row.tables.items() if fig.get("value") is not None and fig["value"] < SUSPECT_DDA]


def _mark_best(rows: list[Row]) -> None:
    boards: dict[tuple[str, str | None], list[Row]] = {}
    for row in rows:
        boards.setdefault((row.dataset, row.task), []).append(row)
    for board in boards.values():
        ranked = [r for r in board if not r.reference and r.value is not None and not suspect_tables(r)]
        if ranked:
            top = min(_badness(r) for r in ranked)
            for r in ranked:
                r.best = _badness(r) <= top + _TINY
        for figure in ("model_selection", "feature_selection"):  # rank correlations: higher is better
            values = [(r, r.extra.get(figure)) for r in board if not r.reference and r.extra.get(figure) is not None]
            if values:
                top = max(v for _, v in values)
                for r, v in values:
                    r.best_extra[figure] = v >= top - _TINY


def _dataset_order(name: str) -> tuple:
    if name in published.PAPER_DATASETS:
        return (0, published.PAPER_DATASETS.index(name), "")
    return (1, 0, name.lower())


def _row_order(row: Row) -> tuple:
    if row.reference:  # real data, then naive
        return (0, float(_PUBLISHED_ORDER.get(row.method, 99)), row.label)
    if row.value is None:
        return (2, 0.0, row.label)
    return (1, _badness(row), row.source != "published", row.label, row.profile or "")


def build_leaderboard(runs: Sequence[dict], metric: str = "dda", dataset: str | None = None) -> list[Row]:
    """Published rows and local (dataset, method, profile) groups for one metric, best marked.

    ``dataset`` (a name or alias) keeps one dataset; it must have published numbers or local
    runs, else :class:`UnknownNameError`. Rows come grouped by dataset (paper datasets first)
    and, within a dataset (and task), best first; rows without a figure come last.
    """
    if metric not in METRICS:
        raise UnknownNameError(f"unknown metric {metric!r} (known: {', '.join(METRICS)})")
    wanted = resolve_dataset(dataset, runs) if dataset is not None else None
    rows = {"dda": _dda_rows, "utility": _utility_rows, "privacy": _privacy_rows}[metric](runs)
    if wanted is not None:
        rows = [r for r in rows if r.dataset == wanted]
    _mark_best(rows)
    return sorted(rows, key=lambda r: (_dataset_order(r.dataset), r.task or "", _row_order(r)))


# --------------------------------------------------------------------------------------
# Rendering
# --------------------------------------------------------------------------------------


def _fmt(value: float | None, published_figure: bool = False) -> str:
    if value is None:
        return ""
    if published_figure:  # as printed in the paper: two decimals below 10, whole numbers above
        return f"{value:.2f}" if abs(value) < 10 else f"{value:g}"
    if abs(value) >= 100:
        return f"{value:.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.3f}"


def _fmt_stat(value: float | None, se: float | None, published_figure: bool = False) -> str:
    if value is None:
        return ""
    if published_figure and value == 1.0 and se == 0.0:
        return "~1"  # the paper's "~1": always told apart
    text = _fmt(value, published_figure)
    if se is not None:
        text += f" ± {se:g}" if published_figure else f" ± {_fmt(se)}"
    return text


def _per_table_text(row: Row) -> str:
    text = "; ".join(f"{table} {_fmt_stat(fig['value'], fig['se'])}" for table, fig in row.tables.items())
    suspect = suspect_tables(row)
    if suspect:
        text += f" ⚠ suspect: {', '.join(suspect)} below {SUSPECT_DDA:g} (near-copies; not ranked)"
    return text


def _copying_text(row: Row) -> str:
    """Real edges per link table; per table the rows equal to a real row where that exceeds the
    real halves' share by over 5 points (more copying than chance), and rows equal to their twin."""
    copying = row.copying
    if not copying:
        return ""
    parts = [f"{t} {share:.1%} real edges" for t, share in copying.get("real_edges", {}).items() if share is not None]
    for table, shares in copying.get("rows", {}).items():
        if shares["synthetic"] is not None and shares["real_halves"] is not None \
                and shares["synthetic"] > shares["real_halves"] + 0.05:
            parts.append(f"{table} {shares['synthetic']:.0%} rows equal a real row (real halves "
                         f"{shares['real_halves']:.0%})")
    parts += [f"{t} {share:.0%} rows equal their twin" for t, share in copying.get("twins", {}).items()
              if share is not None and share > 0.5]
    return "; ".join(parts) or "no sign of copying"


def _date(created: str | None) -> str:
    return str(created)[:10] if created else ""


def _view_of(rows: Sequence[Row], metric: str | None) -> str:
    if metric:
        return metric
    return rows[0].view if rows else "dda"


_TITLES = {
    "dda": "DDA: detection accuracy of an XGBoost classifier telling real from synthetic rows "
           "(SyntheRela aggregation detection)",
    "utility": "Utility: a model trained on synthetic data, tested on real held-out data (paper Table 2)",
    "privacy": "Privacy: DCR score, how often an unseen real row lies nearer the training rows than a synthetic "
               "row does (paper Appendix B)",
}


_NO_ROWS = "(no rows: nothing published for this metric here, and no local run scored with it)"


def _legend(view: str, rows: Sequence[Row], results_dirs: Sequence[str]) -> list[str]:
    where = ", ".join(f"`{d}`" for d in results_dirs) if results_dirs else "the results folders"
    lines = [
        "- **published**: the RGCD paper's numbers as printed (Table 1: DDA, Table 2: utility, Appendix B: DCR). "
        f"**here**: local runs found in {where}, grouped by method and profile.",
        "- Local figures: mean ± standard error over all runs × samples of a group (std/√n for n ≥ 2; "
        "for a single value, the SE the run reported). *seeds*: distinct run ids aggregated; "
        "*n*: values aggregated; *date*: the newest run.",
        "- **bold**: best of its dataset" + (" and task" if view == "utility" else "") + ".",
    ]
    if view == "dda":
        lines.insert(0, "- DDA ↓: lower is better; 0.5 = indistinguishable from the real data, 1 = always told apart.")
        lines.append("- ¹ Headline DDA of a local run = its worst table (the highest mean DDA); the paper reports one "
                     "figure per dataset without saying how it combines tables; GCFM (AAAI-26, arXiv 2505.15668, Table 1) "
                     "reports the worst parent table, mean ± std of 3 runs. Every table's figure is in the last "
                     "column. *n/a*: not reported in the paper (the method could not be run there); "
                     "*~1*: printed as ~1 in the paper.")
        lines.append(f"- ⚠ *suspect*: a table below {SUSPECT_DDA:g} means the classifier was fooled by near-copies "
                     "of real rows (e.g. a copied network structure: every synthetic node has a real twin), not "
                     "fidelity; such a row is not ranked.")
    elif view == "privacy":
        lines.insert(0, f"- DCR ↑: higher is better. {DCR_IDEAL:g}: synthetic rows are as far from the training "
                        "rows as unseen real rows are; lower: synthetic rows sit on training rows (memorisation); "
                        "above 0.5: farther than real rows (private, but possibly less faithful).")
        lines.append("- ¹ Headline DCR of a local run = its worst (lowest) table; every table's figure is in the "
                     "*per table* column.")
    else:
        lines.insert(0, "- AUC ↑: higher is better; RMSE ↓: lower is better. *real*: the same model trained on real "
                        "data; *naive*: a constant prediction. Model / feature selection ↑: rank correlation of "
                        "models / features ranked on synthetic vs real data (1 = same ranking).")
        lines.append("- Local real / naive scores come from this package's own split and models, so compare a local "
                     "synthetic score with the local real and naive scores on its row, not with the paper's.")
    if view in ("dda", "privacy"):
        lines.append("- ² Copy figures of local runs scored with `--metrics privacy` (mean over samples; "
                     "`<sample>.copying.json` has every figure): per link table, the share of synthetic link rows "
                     "whose parents' real counterparts are linked by a real row (a copied network: 100%); per table, "
                     "rows equal to a real row on every non-key column, shown where that exceeds the share between "
                     "two halves of the real data by over 5 points; rows equal to the real row they stand for, "
                     "shown above 50%. *no sign of copying*: none of these. Empty: not scored with privacy.")
    if any(r.dataset == "imdb_MovieLens_v1_noratings" for r in rows):
        lines.append("- `imdb_MovieLens_v1_noratings` (IMDB without the ratings table) is a different dataset from "
                     "the paper's `imdb_MovieLens_v1`; their rows are not comparable.")
    return lines


def _md_cell(text: str, bold: bool = False) -> str:
    text = str(text).replace("|", "\\|")
    return f"**{text}**" if bold and text else text


def _md_table(header: list[str], body: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(cells) + " |" for cells in body]
    return lines


def _render_md(rows: Sequence[Row], view: str, results_dirs: Sequence[str]) -> str:
    out = [f"## Leaderboard. {_TITLES[view]}", ""]
    if view in ("dda", "privacy"):
        name = "DDA ↓" if view == "dda" else "DCR ↑"
        header = ["dataset", "method", "source", "profile", "seeds", "n", "date", f"{name} ¹", "per table",
                  "copy figures ²"]
        body, previous = [], None
        for r in rows:
            published_row = r.source == "published"
            value = _fmt_stat(r.value, r.se, published_row) if r.value is not None else "n/a"
            body.append([
                _md_cell(r.dataset if r.dataset != previous else ""), _md_cell(r.label), r.source,
                _md_cell(r.profile or ""), str(r.seeds or ""), str(r.n or ""), _date(r.created),
                _md_cell(value, r.best), _md_cell(_per_table_text(r)), _md_cell(_copying_text(r)),
            ])
            previous = r.dataset
        out += _md_table(header, body) if body else [_NO_ROWS]
    else:
        boards: dict[tuple[str, str | None], list[Row]] = {}
        for r in rows:
            boards.setdefault((r.dataset, r.task), []).append(r)
        if not boards:
            out.append(_NO_ROWS)
        for (dataset, task), board in boards.items():
            metric, higher = board[0].metric, board[0].higher_is_better
            arrow = _arrow(higher)
            out += [f"### {dataset}: {task} ({metric} {arrow})", ""]
            header = ["method", "source", "profile", "seeds", "n", "date", f"{metric} {arrow} (synthetic)",
                      f"real ({metric})", f"naive ({metric})", "model selection ↑", "feature selection ↑"]
            body = []
            for r in board:
                published_row = r.source == "published"
                body.append([
                    _md_cell(r.label), r.source, _md_cell(r.profile or ""), str(r.seeds or ""), str(r.n or ""),
                    _date(r.created), _md_cell(_fmt_stat(r.value, r.se, published_row), r.best),
                    _fmt_stat(r.extra.get("real"), r.extra.get("real_se"), published_row),
                    _fmt_stat(r.extra.get("naive"), r.extra.get("naive_se"), published_row),
                    _md_cell(_fmt_stat(r.extra.get("model_selection"), r.extra.get("model_selection_se"),
                                       published_row), r.best_extra.get("model_selection", False)),
                    _md_cell(_fmt_stat(r.extra.get("feature_selection"), r.extra.get("feature_selection_se"),
                                       published_row), r.best_extra.get("feature_selection", False)),
                ])
            out += _md_table(header, body) + [""]
        if out[-1] == "":
            out.pop()
    out += [""] + _legend(view, rows, results_dirs)
    return "\n".join(out) + "\n"


_CSV_COMMON = ["dataset", "task", "method", "label", "source", "profile", "seeds", "n", "created", "metric",
               "direction", "value", "se", "best", "headline_table", "per_table", "copy_figures", "note"]
_CSV_UTILITY = ["reference", "real", "real_se", "naive", "naive_se", "model_selection", "model_selection_se",
                "feature_selection", "feature_selection_se", "best_model_selection", "best_feature_selection"]


def _csv_value(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _render_csv(rows: Sequence[Row], view: str) -> str:
    columns = _CSV_COMMON + (_CSV_UTILITY if view == "utility" else [])
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for r in rows:
        record = {**r.to_dict(), **r.extra, "per_table": _per_table_text(r), "copy_figures": _copying_text(r),
                  "best_model_selection": r.best_extra.get("model_selection", False),
                  "best_feature_selection": r.best_extra.get("feature_selection", False)}
        writer.writerow([_csv_value(record.get(column)) for column in columns])
    return buffer.getvalue()


def _render_json(rows: Sequence[Row], view: str, results_dirs: Sequence[str]) -> str:
    document = {
        "metric": view,
        "title": _TITLES[view],
        "results_dirs": [str(d) for d in results_dirs],
        "aggregation": "mean ± std/sqrt(n) over runs x samples for n >= 2, else the run's own SE",
        "headline": {"dda": "the worst (highest) table's DDA", "privacy": "the worst (lowest) table's DCR",
                     "utility": "the synthetic-data model's score"}[view],
        "rows": [r.to_dict() for r in rows],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def render(rows: Sequence[Row], fmt: str = "md", metric: str | None = None,
           results_dirs: Sequence[str | Path] = DEFAULT_RESULTS_DIRS) -> str:
    """The leaderboard as GitHub Markdown (with a legend), CSV or JSON."""
    if fmt not in FORMATS:
        raise UnknownNameError(f"unknown format {fmt!r} (known: {', '.join(FORMATS)})")
    view = _view_of(rows, metric)
    dirs = [str(d) for d in results_dirs]
    if fmt == "md":
        return _render_md(rows, view, dirs)
    if fmt == "csv":
        return _render_csv(rows, view)
    return _render_json(rows, view, dirs)


# --------------------------------------------------------------------------------------
# Plot
# --------------------------------------------------------------------------------------


def _family(row: Row) -> str:
    if row.source == "published":
        return "RGCD" if row.method == "RGCD (paper)" else row.method
    return METHOD_NAMES.get(row.method, row.method)


@default_style
def plot(rows: Sequence[Row], path: str | Path, metric: str | None = None) -> Path:
    """Draw the headline figure per dataset, one marker per method, with error bars.

    Published rows are hollow markers, local ones filled (larger: best of its dataset); DDA
    gets a line at the ideal 0.5, DCR at 0.5 (as far as unseen real rows); utility gets one
    panel per task with the paper's real-data and naive scores as lines.
    Written with matplotlib's Agg canvas (no display needed).
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    path = Path(path)
    view = _view_of(rows, metric)
    shown = [r for r in rows if r.value is not None and not r.reference]
    canvas_types = FigureCanvasAgg.get_supported_filetypes()
    suffix = path.suffix.lstrip(".").lower() or "png"
    if suffix not in canvas_types:
        raise DataError(f"cannot write a plot as {path.name!r}: use one of .{', .'.join(sorted(canvas_types))}")

    if view == "utility":
        panels = list(dict.fromkeys((r.dataset, r.task) for r in rows))
    else:
        panels = [None]
    figure = Figure(figsize=(max(6.5, 4.2 * len(panels)) if view == "utility" else
                             max(6.5, 1.5 + 1.25 * len({r.dataset for r in shown})), 4.6), constrained_layout=True)
    FigureCanvasAgg(figure)
    axes = figure.subplots(1, max(1, len(panels)), squeeze=False)[0]

    # one legend entry (and style) per published method and per local (method, profile)
    keys = list(dict.fromkeys((r.label, r.profile) for r in sorted(
        shown, key=lambda r: (r.source != "published", _PUBLISHED_ORDER.get(r.method, 99), r.label, r.profile or ""))))
    greys = ["0.3", "0.45", "0.6", "0.72"]
    colours = ["tab:blue", "tab:orange", "tab:purple", "tab:brown", "tab:pink", "tab:cyan", "tab:olive", "tab:red"]
    fallback = iter(["P", "X", "*", "h", "<", ">"] * 10)
    style: dict[tuple, dict] = {}
    for key in keys:
        row = next(r for r in shown if (r.label, r.profile) == key)
        family = _family(row)
        marker = _MARKERS.get(family) or next(fallback)
        if row.source == "published":
            edge = "tab:blue" if family == "RGCD" else greys[sum(s["hollow"] for s in style.values()) % len(greys)]
            style[key] = {"marker": marker, "mfc": "white", "mec": edge, "color": edge, "hollow": True,
                          "name": f"{row.label} [published]"}
        else:
            used = [s["color"] for s in style.values() if not s["hollow"]]
            free = [c for c in colours if c not in used] or colours
            # a local RGCD gets the published RGCD's blue; other methods take the next free colour
            colour = "tab:blue" if family == "RGCD" and "tab:blue" in free else next(
                (c for c in free if c != "tab:blue"), free[0])
            style[key] = {"marker": marker, "mfc": colour, "mec": colour, "color": colour, "hollow": False,
                          "name": f"{row.label} ({row.profile})" if row.profile else row.label}

    for ax, panel in zip(axes, panels):
        panel_rows = [r for r in shown if panel is None or (r.dataset, r.task) == panel]
        datasets = sorted({r.dataset for r in panel_rows}, key=_dataset_order) if panel is None else [panel[0]]
        width = 0.8
        for x, dataset in enumerate(datasets):
            here = [r for r in panel_rows if r.dataset == dataset]
            order = [k for k in keys if any((r.label, r.profile) == k for r in here)]
            for i, k in enumerate(order):
                r = next(r for r in here if (r.label, r.profile) == k)
                offset = (i - (len(order) - 1) / 2) * (width / max(len(order), 1)) if len(order) > 1 else 0.0
                s = style[k]
                ax.errorbar(x + offset, r.value, yerr=r.se or 0.0, fmt=s["marker"], color=s["color"],
                            mfc=s["mfc"], mec=s["mec"], ms=8 if not r.best else 10, mew=1.6 if not r.best else 2.4,
                            capsize=3, elinewidth=1.2, zorder=3 if s["hollow"] else 4)
            if x % 2:  # light bands keep each dataset's markers together
                ax.axvspan(x - 0.5, x + 0.5, color="0.94", zorder=0, lw=0)
        ax.set_xticks(range(len(datasets)))
        ax.set_xticklabels([d.replace("_subsampled", "").replace("_v1", "") for d in datasets],
                           rotation=20 if len(datasets) > 3 else 0, ha="right" if len(datasets) > 3 else "center")
        ax.set_xlim(-0.5, len(datasets) - 0.5)
        ax.grid(axis="y", alpha=0.3)
        if view == "dda":
            ax.axhline(DDA_IDEAL, color="tab:green", ls="--", lw=1)
            ax.text(ax.get_xlim()[0] + 0.05, DDA_IDEAL + 0.01, "0.5 = indistinguishable (ideal)", color="tab:green",
                    fontsize=8, va="bottom")
            top = max([r.value + (r.se or 0) for r in panel_rows] + [1.0])
            ax.set_ylim(min([0.45] + [r.value - (r.se or 0) - 0.02 for r in panel_rows]), top + 0.03)
            ax.set_ylabel("DDA accuracy ↓ (worst table for local runs)")
            ax.set_title("Detection accuracy per dataset (lower is better)")
        elif view == "privacy":
            ax.axhline(DCR_IDEAL, color="tab:green", ls="--", lw=1)
            ax.text(ax.get_xlim()[0] + 0.05, DCR_IDEAL, f"{DCR_IDEAL:g} = as far as unseen real rows",
                    color="tab:green", fontsize=8, va="bottom")
            ax.set_ylabel("DCR score ↑ (worst table for local runs)")
            ax.set_title("DCR score per dataset (higher is better, below 0.5: memorisation)")
        else:
            board = [r for r in rows if (r.dataset, r.task) == panel]
            metric_name, higher = board[0].metric, board[0].higher_is_better
            drawn = [r.value for r in board if r.value is not None and r.value > 0]
            if drawn and max(drawn) / min(drawn) > 8:  # e.g. an RMSE 40x the real one would flatten the rest
                ax.set_yscale("log")
            for reference, colour in (("real data", "tab:green"), ("naive", "tab:red")):
                ref = next((r for r in board if r.reference and r.method == reference), None)
                if ref is not None and ref.value is not None:
                    ax.axhline(ref.value, color=colour, ls="--", lw=1)
                    ax.text(ax.get_xlim()[0] + 0.02, ref.value, f" {reference} (paper)", color=colour, fontsize=8,
                            va="bottom")
            ax.set_ylabel(f"{metric_name} {_arrow(higher)} (synthetic → real)")
            ax.set_title(f"{panel[0]}\n{panel[1]}", fontsize=10)
    handles = [Line2D([], [], ls="", marker=style[k]["marker"], mfc=style[k]["mfc"], mec=style[k]["mec"],
                      ms=8, mew=1.6, label=style[k]["name"]) for k in keys]
    if handles:
        figure.legend(handles=handles, loc="outside right center", fontsize=8,
                      title="hollow: published\nfilled: here\nlarger: best", title_fontsize=8, frameon=False)
    else:
        axes[0].text(0.5, 0.5, "no results", ha="center", va="center", transform=axes[0].transAxes)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=150, format=suffix)
    return path
