"""Gathers a sample's sections for the report and renders the page (see the package docstring)."""

from __future__ import annotations

import json
import logging
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd
from jinja2 import Environment, FileSystemLoader, select_autoescape

from ..datasets import PreparedDataset, load_synthetic
from ..evaluation.copying import row_keys
from ..evaluation.privacy import modelled_columns
from . import figures
from .giveaway import giveaways
from .summary import verdict

logger = logging.getLogger(__name__)

#: Columns drawn per table (the rest are listed): keeps a wide table's page readable and small.
MAX_COLUMNS = 16
#: Rows used for the association matrices (a random subset of larger tables).
ASSOCIATION_ROWS = 20_000
#: Synthetic rows equal to a real one shown per table.
COPIED_ROWS_SHOWN = 5


def _template():
    environment = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"),
                              autoescape=select_autoescape(["html", "j2"]), trim_blocks=True, lstrip_blocks=True)
    return environment.get_template("report.html.j2")


def _headline_rows(dataset: str, results_dirs) -> list[dict]:
    """Published and measured leaderboard rows of the dataset (DDA view)."""
    from ..leaderboard import build_leaderboard, collect_runs

    from ..errors import UnknownNameError

    try:
        rows = build_leaderboard(collect_runs(results_dirs), "dda", dataset) if results_dirs else []
    except UnknownNameError:  # a database of the user's own: no published or local rows to stand beside
        rows = []
    return [{"label": r.label, "source": r.source, "profile": r.profile or "", "value": r.value, "se": r.se,
             "seeds": r.seeds} for r in rows if r.value is not None]


def _sample(frame: pd.DataFrame, rows: int, seed: int = 0) -> pd.DataFrame:
    return frame.sample(rows, random_state=seed) if len(frame) > rows else frame


def _table_section(table: str, real: pd.DataFrame, synthetic: pd.DataFrame, columns: dict[str, str]) -> dict:
    shown = list(columns)[:MAX_COLUMNS]
    pictures = [figures.column_distribution(real[c], synthetic[c], columns[c], c) for c in shown]
    association = None
    if len(shown) >= 2:
        association = figures.association_difference(_sample(real[shown], ASSOCIATION_ROWS),
                                                     _sample(synthetic[shown], ASSOCIATION_ROWS),
                                                     f"{table}: association, synthetic − real")
    return {"name": table, "rows_real": len(real), "rows_synthetic": len(synthetic), "columns": pictures,
            "not_shown": list(columns)[MAX_COLUMNS:], "association": association}


def _degrees(child: pd.DataFrame, parent: pd.DataFrame, rel: dict) -> np.ndarray:
    counts = child[rel["child_foreign_key"]].dropna().astype(str).value_counts()
    return counts.reindex(parent[rel["parent_primary_key"]].astype(str), fill_value=0).to_numpy()


def _relationship_sections(real: dict, synthetic: dict, metadata) -> list[dict]:
    sections = []
    for rel in metadata.relationships:
        parent, child = rel["parent_table_name"], rel["child_table_name"]
        r, s = _degrees(real[child], real[parent], rel), _degrees(synthetic[child], synthetic[parent], rel)
        title = f"{parent} → {child} ({rel['child_foreign_key']})"
        sections.append({"title": title, "picture": figures.children_per_parent(r, s, title),
                         "real_mean": float(r.mean()) if len(r) else None, "synthetic_mean": float(s.mean()) if len(s) else None})
    return sections


def _giveaway_sections(real: dict, synthetic: dict, metadata, scores: dict) -> list[dict]:
    parents = sorted(scores.get("dda", {})) or sorted({r["parent_table_name"] for r in metadata.relationships})
    sections = []
    for found in giveaways(real, synthetic, metadata, parents):
        pictures = [figures.column_distribution(found.real[name], found.synthetic[name], "numerical",
                                                f"{name} (importance {importance:.2f})")
                    for name, importance in found.features]
        sections.append({"table": found.table, "accuracy": found.accuracy, "features": found.features,
                         "pictures": pictures,
                         "means": [(name, float(pd.to_numeric(found.real[name], errors="coerce").mean()),
                                    float(pd.to_numeric(found.synthetic[name], errors="coerce").mean()))
                                   for name, _ in found.features]})
    return sections


def _copied_rows(real: pd.DataFrame, synthetic: pd.DataFrame, columns: list[str]) -> tuple[int, pd.DataFrame]:
    if not columns:
        return 0, synthetic.iloc[:0]
    equal = row_keys(synthetic[columns]).isin(set(row_keys(real[columns])))
    return int(equal.sum()), synthetic.loc[equal, columns].head(COPIED_ROWS_SHOWN)


def _privacy_section(real: dict, synthetic: dict, metadata, scores: dict, results_dir: Path, sample_id: str) -> list[dict]:
    rows = scores.get("copying", {}).get("rows", {})
    tables = []
    for table, figure in sorted(scores.get("dcr", {}).items()):
        png = results_dir / f"{sample_id}.dcr" / f"dcr_{table}.png"
        copied, examples = _copied_rows(real[table], synthetic[table], list(modelled_columns(metadata, table)))
        tables.append({"table": table, "dcr": figure["score"], "se": figure.get("se"),
                       "picture": figures.png_uri(png.read_bytes()) if png.is_file() else None,
                       "copies": rows.get(table, {}).get("synthetic"), "halves": rows.get(table, {}).get("real_halves"),
                       "copied": copied, "examples": examples.to_html(index=False, border=0) if copied else None})
    return tables


def write_report(data: PreparedDataset, sample_dir: Path, results_dir: Path, output: Path, sample_id: str = "sample1",
                 method: str = "", run_id: str = "", results_dirs=None, giveaway: bool = True) -> Path:
    """Write the report of one scored sample to ``output`` and return its path.

    ``results_dir`` is the run's results folder (its ``summary.json`` gives the scores; a
    sample not scored yet gets the pictures without them); ``results_dirs`` the leaderboard's
    run folders for the headline (None: published rows only)."""
    from ..leaderboard import DEFAULT_RESULTS_DIRS

    results_dir = Path(results_dir)
    summary_file = results_dir / "summary.json"
    summary = json.loads(summary_file.read_text()) if summary_file.is_file() else {}
    scores = summary.get("scores", {}).get(sample_id, {})
    synthetic = load_synthetic(Path(sample_dir), data)
    logger.info("report: %s tables, %d relationships", len(data.tables), len(data.metadata.relationships))
    columns = {t: modelled_columns(data.metadata, t) for t in data.metadata.tables}
    tables = [_table_section(t, data.tables[t], synthetic[t], columns[t]) for t in columns if columns[t]]
    good, weak = verdict(scores)
    page = _template().render(
        dataset=data.name, method=method or summary.get("method", ""), run_id=run_id or summary.get("run_id", ""),
        sample_id=sample_id, created=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), summary=summary,
        scores=scores, good=good, weak=weak,
        leaderboard=_headline_rows(data.name, DEFAULT_RESULTS_DIRS if results_dirs is None else results_dirs),
        tables=tables, relationships=_relationship_sections(data.tables, synthetic, data.metadata),
        giveaways=_giveaway_sections(data.tables, synthetic, data.metadata, scores) if giveaway and data.metadata.relationships else [],
        privacy=_privacy_section(data.tables, synthetic, data.metadata, scores, results_dir, sample_id))
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_suffix(".partial")
    partial.write_text(page, encoding="utf-8")
    partial.replace(output)  # never a half-written page
    return output
