"""Rows of a view (dda, utility, privacy): published figures and local groups, best marked."""

from __future__ import annotations

from typing import Sequence

from .. import published
from ..errors import UnknownNameError

from .collect import resolve_dataset
from .rows import DCR_IDEAL, DDA_IDEAL, METHOD_NAMES, METRICS, Row, SUSPECT_DDA, _HIGHER_IS_BETTER_METRICS, _PUBLISHED_ORDER, _TINY, _created_key, _num, aggregate

def _samples(run: dict) -> list[dict]:
    scores = run.get("scores")
    if not isinstance(scores, dict):
        return []
    return [sample for sample in scores.values() if isinstance(sample, dict)]


def _groups(runs: Sequence[dict]) -> dict[tuple[str, str, str], list[dict]]:
    groups: dict[tuple[str, str, str], list[dict]] = {}
    for run in runs:
        profile = run.get("profile") or _budget(run) or "default"
        groups.setdefault((str(run.get("dataset")), str(run.get("method")), str(profile)), []).append(run)
    return groups


def _budget(run: dict) -> str:
    """A peer's settings (``run --options``: epochs, minutes per table) as its profile label,
    so each measured row says what budget it had."""
    options = (run.get("config") or {}).get("options") or {}
    return ", ".join(f"{k} {v}" for k, v in sorted(options.items()) if k not in ("seed", "source", "dataset"))


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
        extra = {}
        if view == "dda":  # the other aggregation: each sample's mean over its tables (C2ST-Agg)
            mean = _mean_of_tables(group, score_key, value_key)
            extra = {"mean_of_tables": mean.value, "mean_of_tables_se": mean.se} if mean else {}
        rows.append(_local_row(
            view, key, contributing, metric=metric, higher_is_better=higher_is_better, ideal=ideal,
            value=head.value, se=head.se, n=head.n, headline_table=worst,
            tables={t: {"value": s.value, "se": s.se, "n": s.n} for t, s in sorted(stats.items())},
            copying=_copying(group), extra=extra,
        ))
    return rows


def _mean_of_tables(group: Sequence[dict], score_key: str, value_key: str):
    """Mean ± SE over a group's samples of each sample's mean over its scored tables: the
    aggregation of SyntheRela's TMLR paper (C2ST-Agg), beside the worst table GCFM reports."""
    means = []
    for run in group:
        for sample in _samples(run):
            scores = sample.get(score_key)
            values = [_num(f.get(value_key)) for f in scores.values() if isinstance(f, dict)] \
                if isinstance(scores, dict) else []
            values = [v for v in values if v is not None]
            if values:
                means.append((sum(values) / len(values), None))
    return aggregate(means)


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


