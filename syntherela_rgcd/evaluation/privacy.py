"""Privacy: the distance-to-closest-record (DCR) score of the RGCD paper (Appendix B).

For each modelled table the real rows are split at random into a *training* half and a
*holdout* half. Every synthetic row and every holdout row gets its distance to the closest
training-half row, and the score is

    DCR = P(d_holdout < d_synthetic)   (ties count half)

over independent pairs of one holdout and one synthetic row: the area under the ROC curve
of "synthetic is farther than real". A generator that samples fresh rows from the real
distribution scores about 0.5; one that copies real rows scores lower, because its copies
of training-half rows sit at distance 0; rows far from every real row push it towards 1.
About 0.5 or more is good.

Which direction is a leak: the generator is fitted on the *whole* real table, so a verbatim
copy of it puts half its rows at distance 0 (the training half) and the other half at the
distances of real holdout rows, which gives about 0.25, not 0. Only copies of the training
half give 0, and copies of the holdout half give 0.5: from the metric's side a holdout row
is an unseen real row. Large tables are subsampled (``max_rows`` per set), which dilutes a
copy's zeros in the same way (a copied row counts as memorised only if its original is in
the training subsample), so compare scores at equal ``max_rows``.

The score is the mean over ``repeats`` random splits (and synthetic subsamples); ``se`` is
the standard error of that mean. It measures how much the score depends on the split, not
how much it would change with another synthetic sample.

Rows are compared on the table's non-key columns (keys are arbitrary labels), encoded by
:class:`RowEncoder`, which is fitted on the training half only so that the holdout and the
synthetic rows are treated alike.
"""

from __future__ import annotations

import logging
import math
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from sklearn.neighbors import NearestNeighbors
from sklearn.preprocessing import QuantileTransformer
from syntherela.metadata import Metadata

from ..errors import DataError
from ..plotting import default_style

logger = logging.getLogger(__name__)

#: Tables with fewer real rows cannot be split into a training half of two rows (the
#: train -> train reference needs a neighbour other than the row itself) and a holdout.
MIN_REAL_ROWS = 4
#: Widest one-hot per column: beyond this the rarest training levels share the all-zeros code
#: of unseen levels, which keeps a free-text-like column from producing a huge dense matrix.
MAX_LEVELS = 1000
#: sdtypes that carry no information a distance should use (arbitrary labels).
KEY_SDTYPES = {"id"}
NUMERIC_SDTYPES = {"numerical", "datetime"}


# --------------------------------------------------------------------------------------
# The score
# --------------------------------------------------------------------------------------


def dcr_score(d_holdout: np.ndarray, d_synthetic: np.ndarray) -> float:
    """P(d_holdout < d_synthetic) over all (holdout, synthetic) pairs, ties counted half.

    Exact, from one sort and two binary searches (the Mann-Whitney U statistic divided by
    the number of pairs), so there is no sampling noise from drawing random pairs.
    """
    holdout = np.sort(np.asarray(d_holdout, dtype=float).ravel())
    synthetic = np.asarray(d_synthetic, dtype=float).ravel()
    if holdout.size == 0 or synthetic.size == 0:
        raise ValueError("dcr_score needs at least one holdout and one synthetic distance")
    if np.isnan(holdout).any() or np.isnan(synthetic).any():
        raise ValueError("dcr_score got NaN distances")
    below = np.searchsorted(holdout, synthetic, side="left")  # holdout strictly smaller
    up_to = np.searchsorted(holdout, synthetic, side="right")  # holdout smaller or equal
    wins = below.sum(dtype=np.float64) + 0.5 * (up_to - below).sum(dtype=np.float64)
    return float(wins / (holdout.size * synthetic.size))


# --------------------------------------------------------------------------------------
# Encoding rows for distances
# --------------------------------------------------------------------------------------


def _as_numbers(values: pd.Series, sdtype: str) -> np.ndarray:
    """Numericals as floats, datetimes as days since 1970 (NaN where missing or unparsable)."""
    if sdtype == "datetime":
        stamps = pd.to_datetime(values, errors="coerce")
        if getattr(stamps.dt, "tz", None) is not None:
            stamps = stamps.dt.tz_convert(None)
        return ((stamps - pd.Timestamp(0)) / pd.Timedelta(days=1)).to_numpy(dtype=float, na_value=np.nan)
    return pd.to_numeric(values, errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def _level_key(value) -> str:
    """A level's name, the same whether it arrives as 3, 3.0, "3", True or "True".

    Real and synthetic tables can hold one level in different Python types (a CSV round trip
    turns an int column with gaps into floats, a boolean into a string); missing is a level.
    """
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "<missing>"
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    text = str(value)
    return {"true": "True", "false": "False"}.get(text.lower(), text)


def _level_keys(values: pd.Series) -> pd.Series:
    """:func:`_level_key` of every value, as plain strings. (Mapping a pandas categorical
    would keep its dtype, whose value counts list every declared category, seen or not.)"""
    return values.astype(object).map(_level_key).astype(object)


@dataclass
class _NumericColumn:
    """Rank scaling fitted on the training half, extended linearly outside its range.

    Why ranks (a quantile transform to [0, 1]) rather than standard or min-max scaling: the
    benchmark's numericals are heavy-tailed (AirBnB's ``secs_elapsed`` spans six orders of
    magnitude), and after min-max or standard scaling one extreme row squeezes every other
    value into a sliver, so distances would be decided by the categoricals alone. Ranks
    give every numerical column the same [0, 1] spread as a category mismatch.
    Why the extension: a plain quantile transform clips values outside the real range onto
    the real extreme, which would make a wildly out-of-range synthetic value look like a
    close copy of the most extreme real row; beyond the range, distance grows by one unit
    per real range. Missing values get an indicator and the median rank (0.5), so a missing
    value is as far from any present one as the indicator says, and no NaN reaches the
    distance computation.
    """

    name: str
    sdtype: str
    transformer: QuantileTransformer | None
    low: float
    high: float

    @classmethod
    def fit(cls, values: pd.Series, sdtype: str, seed: int) -> "_NumericColumn":
        numbers = _as_numbers(values, sdtype)
        observed = numbers[~np.isnan(numbers)]
        if observed.size == 0:
            return cls(values.name, sdtype, None, 0.0, 0.0)
        transformer = QuantileTransformer(n_quantiles=min(1000, observed.size), subsample=10**9, random_state=seed)
        transformer.fit(observed.reshape(-1, 1))
        return cls(values.name, sdtype, transformer, float(observed.min()), float(observed.max()))

    def transform(self, values: pd.Series) -> np.ndarray:
        numbers = _as_numbers(values, self.sdtype)
        missing = np.isnan(numbers)
        scaled = np.full(numbers.shape, 0.5)
        if self.transformer is not None and (~missing).any():
            present = numbers[~missing]
            span = self.high - self.low if self.high > self.low else 1.0
            ranks = self.transformer.transform(present.reshape(-1, 1)).ravel()
            beyond = (np.maximum(present - self.high, 0.0) - np.maximum(self.low - present, 0.0)) / span
            scaled[~missing] = ranks + beyond
        return np.column_stack([scaled, missing.astype(float)])


@dataclass
class _CategoricalColumn:
    """One-hot over the training half's levels, scaled by 1/sqrt(2).

    The scaling makes a mismatch add 1 to the squared distance, the same as numerical values
    at opposite ends of the real range, so no column type dominates by construction. A level
    the training half never showed (or one beyond :data:`MAX_LEVELS`) is all zeros: half a
    mismatch away from every training level.
    """

    name: str
    levels: pd.Index

    @classmethod
    def fit(cls, values: pd.Series) -> "_CategoricalColumn":
        counts = _level_keys(values).value_counts(sort=False)
        counts = counts[counts > 0]
        # most frequent first, ties by name: the kept levels do not depend on the row order
        ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:MAX_LEVELS]
        return cls(values.name, pd.Index([level for level, _ in ordered]))

    def transform(self, values: pd.Series) -> np.ndarray:
        codes = self.levels.get_indexer(_level_keys(values))
        onehot = np.zeros((len(values), len(self.levels)))
        seen = codes >= 0
        onehot[np.flatnonzero(seen), codes[seen]] = 1.0 / math.sqrt(2.0)
        return onehot


class RowEncoder:
    """Maps a table's non-key columns to vectors whose Euclidean distance compares rows.

    Fitted on the real training half only: the holdout and the synthetic rows are then
    encoded by the same rule, and neither influences where the other lands.
    """

    def __init__(self, sdtypes: dict[str, str], seed: int = 0) -> None:
        self.sdtypes = dict(sdtypes)
        self.seed = seed
        self.columns: list[_NumericColumn | _CategoricalColumn] = []

    def fit(self, table: pd.DataFrame) -> "RowEncoder":
        self.columns = [
            _NumericColumn.fit(table[name], sdtype, self.seed) if sdtype in NUMERIC_SDTYPES
            else _CategoricalColumn.fit(table[name])
            for name, sdtype in self.sdtypes.items()
        ]
        return self

    def transform(self, table: pd.DataFrame) -> np.ndarray:
        blocks = [column.transform(table[column.name]) for column in self.columns]
        return np.ascontiguousarray(np.column_stack(blocks), dtype=np.float64)


# --------------------------------------------------------------------------------------
# Distances
# --------------------------------------------------------------------------------------


def closest_distances(train: np.ndarray, queries: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Each query row's distance to its closest training row, plus ``"train"``: each training
    row's distance to its closest *other* training row (leave-one-out).

    The neighbour is found by scikit-learn's brute-force search (fast, but it computes
    distances as |a|^2 + |b|^2 - 2ab, which leaves rounding noise of about 1e-8 where the
    distance is 0); the distance to the neighbour found is then recomputed directly, so an
    exact copy is at exactly 0 and ties between copies are real ties.
    """
    index = NearestNeighbors(n_neighbors=1, algorithm="brute", metric="euclidean", n_jobs=1).fit(train)
    result = {}
    for name, rows in queries.items():
        _, nearest = index.kneighbors(rows, n_neighbors=1)
        result[name] = np.linalg.norm(rows - train[nearest[:, 0]], axis=1)
    _, nearest = index.kneighbors(n_neighbors=1)  # no X: a row is not its own neighbour
    result["train"] = np.linalg.norm(train - train[nearest[:, 0]], axis=1)
    return result


# --------------------------------------------------------------------------------------
# Tables and metadata
# --------------------------------------------------------------------------------------


def key_columns(metadata: Metadata, table: str) -> set[str]:
    """Primary key, foreign keys and any other ``id`` column of ``table``."""
    keys = {c for c, spec in metadata.tables[table].columns.items() if spec.get("sdtype") in KEY_SDTYPES}
    primary = metadata.get_primary_key(table)
    if primary:
        keys.update([primary] if isinstance(primary, str) else primary)
    for rel in metadata.relationships:
        if rel["child_table_name"] == table:
            keys.add(rel["child_foreign_key"])
        if rel["parent_table_name"] == table:
            keys.add(rel["parent_primary_key"])
    return keys


def modelled_columns(metadata: Metadata, table: str) -> dict[str, str]:
    """``{column: sdtype}`` of the non-key columns; empty for a key-only table.

    sdtypes other than numerical/datetime (categorical, boolean, and anything unusual) are
    compared as levels.
    """
    keys = key_columns(metadata, table)
    return {c: spec.get("sdtype", "categorical") for c, spec in metadata.tables[table].columns.items()
            if c not in keys}


def _check_columns(table: str, columns: dict[str, str], real: pd.DataFrame, synthetic: pd.DataFrame) -> None:
    for role, frame in (("real", real), ("synthetic", synthetic)):
        missing = [c for c in columns if c not in frame.columns]
        if missing:
            raise DataError(f"privacy (DCR): {role} table {table!r} has no column {missing[0]!r}"
                            + (f" (nor {', '.join(map(repr, missing[1:]))})" if len(missing) > 1 else ""))
    if len(synthetic) == 0:
        raise DataError(f"privacy (DCR): synthetic table {table!r} has no rows")


@dataclass
class Split:
    """One repetition's rows: the training half, the holdout half and the synthetic rows."""

    train: pd.DataFrame
    holdout: pd.DataFrame
    synthetic: pd.DataFrame


def split_rows(real: pd.DataFrame, synthetic: pd.DataFrame, rng: np.random.Generator, max_rows: int) -> Split:
    """A random half of the real rows for training, the rest as holdout, each at most
    ``max_rows`` (the real table is subsampled to ``2 * max_rows`` before splitting, so the two
    halves stay the same size), and at most ``max_rows`` synthetic rows."""
    order = rng.permutation(len(real))[: 2 * max_rows]
    cut = (len(order) + 1) // 2
    picked = rng.permutation(len(synthetic))[:max_rows]
    return Split(real.iloc[np.sort(order[:cut])], real.iloc[np.sort(order[cut:])], synthetic.iloc[np.sort(picked)])


def table_rng(seed: int, table: str, repeat: int) -> np.random.Generator:
    """A generator per (seed, table, repetition): a table's score does not depend on which
    other tables were scored before it."""
    return np.random.default_rng([seed, zlib.crc32(table.encode("utf-8")), repeat])


def table_distances(real: pd.DataFrame, synthetic: pd.DataFrame, columns: dict[str, str],
                    rng: np.random.Generator, max_rows: int, seed: int = 0) -> dict[str, np.ndarray]:
    """One repetition for one table: split, encode (fitted on the training half), measure."""
    split = split_rows(real, synthetic, rng, max_rows)
    encoder = RowEncoder(columns, seed=seed).fit(split.train)
    train = encoder.transform(split.train)
    queries = {"synthetic": encoder.transform(split.synthetic), "holdout": encoder.transform(split.holdout)}
    return closest_distances(train, queries)


# --------------------------------------------------------------------------------------
# Public entry points
# --------------------------------------------------------------------------------------


def evaluate_privacy(
    real: dict[str, pd.DataFrame],
    synthetic: dict[str, pd.DataFrame],
    metadata: Metadata,
    *,
    seed: int = 0,
    repeats: int = 5,
    max_rows: int = 10_000,
    plot_dir: Path | None = None,
) -> dict:
    """DCR score per modelled table (one with a non-key column; key-only tables are skipped,
    as are tables with fewer than :data:`MIN_REAL_ROWS` real rows).

    Returns ``{table: {"score", "se", "n_train", "n_holdout", "n_synthetic",
    "median_distance": {"synthetic", "holdout", "train"}}}`` with plain Python numbers:
    ``score`` is the mean over ``repeats`` random splits and ``se`` its standard error
    (0.0 when ``repeats`` is 1, since one split measures no spread); the median distances
    are averaged over the repetitions. With ``plot_dir``, writes ``dcr_<table>.png`` there
    from the first repetition's distances. The same arguments give the same numbers.
    """
    if repeats < 1:
        raise ValueError(f"repeats must be at least 1, got {repeats}")
    if max_rows < 2:
        raise ValueError(f"max_rows must be at least 2, got {max_rows}")
    results = {}
    for table in metadata.get_tables():
        columns = modelled_columns(metadata, table)
        if not columns:
            logger.debug("privacy (DCR): %s has only keys, skipped", table)
            continue
        if table not in real or table not in synthetic:
            role = "real" if table not in real else "synthetic"
            raise DataError(f"privacy (DCR): no {role} table {table!r}")
        _check_columns(table, columns, real[table], synthetic[table])
        if len(real[table]) < MIN_REAL_ROWS:
            logger.warning("privacy (DCR): %s has %d real row(s), too few to split; skipped", table, len(real[table]))
            continue
        results[table] = _score_table(table, real[table], synthetic[table], columns, seed, repeats, max_rows, plot_dir)
    return results


def _score_table(table: str, real: pd.DataFrame, synthetic: pd.DataFrame, columns: dict[str, str], seed: int,
                 repeats: int, max_rows: int, plot_dir: Path | None) -> dict:
    scores, medians, first = [], [], None
    for repeat in range(repeats):
        distances = table_distances(real, synthetic, columns, table_rng(seed, table, repeat), max_rows, seed)
        scores.append(dcr_score(distances["holdout"], distances["synthetic"]))
        medians.append({name: float(np.median(values)) for name, values in distances.items()})
        if first is None:
            first = distances
    score = float(np.mean(scores))
    se = float(np.std(scores, ddof=1) / math.sqrt(repeats)) if repeats > 1 else 0.0
    logger.info("privacy (DCR): %s score %.3f +- %.3f", table, score, se)
    if plot_dir is not None:
        plot_dcr_histogram(first, Path(plot_dir) / f"dcr_{table}.png", table=table, score=score, se=se)
    return {
        "score": score,
        "se": se,
        "n_train": int(len(first["train"])),
        "n_holdout": int(len(first["holdout"])),
        "n_synthetic": int(len(first["synthetic"])),
        "median_distance": {name: float(np.mean([m[name] for m in medians]))
                            for name in ("synthetic", "holdout", "train")},
    }


PLOT_SERIES = (  # key, legend label, colour
    ("synthetic", "synthetic → closest real-train row", "tab:red"),
    ("holdout", "real holdout → closest real-train row", "tab:blue"),
    ("train", "real train → closest other real-train row", "tab:gray"),
)


@default_style
def plot_dcr_histogram(distances: dict, path, *, table: str | None = None, score: float | None = None,
                       se: float | None = None) -> Path:
    """Write a PNG with the three distance distributions of one table.

    ``distances`` holds arrays under ``"synthetic"`` and ``"holdout"`` (distance to the closest
    real training row) and ``"train"``: each real training row's distance to its closest
    *other* training row (leave-one-out), the reference for "how close real rows are to each
    other anyway". A synthetic curve piled at 0, left of the holdout curve, means copies.
    The title shows ``score`` (± ``se``), or the score of the distances given when ``score``
    is None. Drawn on a bare Agg canvas, so no display is needed and pyplot's global
    backend is left alone.
    """
    path = Path(path)
    series = {key: np.asarray(distances[key], dtype=float) for key, _, _ in PLOT_SERIES if key in distances}
    if score is None:
        score = dcr_score(series["holdout"], series["synthetic"])
    edges = _histogram_edges(np.concatenate(list(series.values())))
    figure = Figure(figsize=(7, 4.2))
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    for key, label, colour in PLOT_SERIES:
        if key in series:
            values = series[key]
            summary = f"median {np.median(values):.3g}, {np.mean(values == 0):.0%} at 0"
            axes.hist(np.clip(values, edges[0], edges[-1]),  # the last bin holds the far tail
                      bins=edges, density=True, histtype="step", linewidth=1.6, color=colour,
                      label=f"{label} ({summary})")
    axes.set_xlabel("Euclidean distance in the encoded space (last bin: everything beyond)")
    axes.set_ylabel("density")
    uncertainty = f" ± {se:.3f}" if se else ""
    name = f" — {table}" if table else ""
    axes.set_title(f"DCR{name}: P(holdout closer than synthetic) = {score:.3f}{uncertainty}", fontsize=10)
    axes.legend(fontsize=8)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    return path


def _histogram_edges(values: np.ndarray, bins: int = 50) -> np.ndarray:
    """Shared bins from 0 to the 99th percentile, so one far-away outlier does not squash the
    rest of the plot into the first bin."""
    top = float(np.quantile(values, 0.99)) if values.size else 1.0
    if top <= 0:
        top = float(values.max()) if values.size and values.max() > 0 else 1.0
    return np.linspace(0.0, top, bins + 1)
