"""Rows as Markdown (with a legend), CSV or JSON."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Sequence

from ..errors import UnknownNameError

from .build import suspect_tables
from .rows import DCR_IDEAL, DEFAULT_RESULTS_DIRS, FORMATS, Row, SUSPECT_DDA, _arrow

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
        lines.append("- ³ The other aggregation, SyntheRela's (TMLR paper, \"C2ST-Agg\"): each sample's mean over "
                     "its scored tables, then mean ± SE over samples. Published figures are not given in it here "
                     "(the RGCD paper and GCFM print one figure per dataset; GCFM's is the worst parent table).")
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
        if view == "dda":
            header.insert(8, "DDA mean of tables ³")
        body, previous = [], None
        for r in rows:
            published_row = r.source == "published"
            value = _fmt_stat(r.value, r.se, published_row) if r.value is not None else "n/a"
            cells = [
                _md_cell(r.dataset if r.dataset != previous else ""), _md_cell(r.label), r.source,
                _md_cell(r.profile or ""), str(r.seeds or ""), str(r.n or ""), _date(r.created),
                _md_cell(value, r.best), _md_cell(_per_table_text(r)), _md_cell(_copying_text(r)),
            ]
            if view == "dda":
                cells.insert(8, _fmt_stat(r.extra.get("mean_of_tables"), r.extra.get("mean_of_tables_se")))
            body.append(cells)
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
    columns = _CSV_COMMON + (_CSV_UTILITY if view == "utility" else []) + (
        ["mean_of_tables", "mean_of_tables_se"] if view == "dda" else [])
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
        "headline": {"dda": "the worst (highest) table's DDA (extra.mean_of_tables: each sample's mean over its "
                            "tables, SyntheRela's C2ST-Agg)", "privacy": "the worst (lowest) table's DCR",
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


