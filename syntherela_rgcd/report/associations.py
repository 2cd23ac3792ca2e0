"""Pairwise association of a table's columns on one 0-1 scale, whatever their types.

Why one scale: the report draws synthetic minus real as one heatmap, so numerical pairs
(|Spearman|), categorical pairs (Cramér's V) and mixed pairs (the correlation ratio eta of
the number given the category) must be comparable. Datetimes count as numbers.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Levels kept per categorical column (the rest pooled): keeps contingency tables small.
MAX_LEVELS = 30


def _kind(series: pd.Series) -> str:
    if pd.api.types.is_bool_dtype(series):
        return "categorical"
    if pd.api.types.is_numeric_dtype(series) or pd.api.types.is_datetime64_any_dtype(series):
        return "numerical"
    return "categorical"


def _numbers(series: pd.Series) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(series):
        return series.astype("int64").where(series.notna())
    return pd.to_numeric(series, errors="coerce").astype(float)


def _levels(series: pd.Series) -> pd.Series:
    text = series.astype("string").fillna("(missing)")
    keep = text.value_counts().index[:MAX_LEVELS]
    return text.where(text.isin(keep), "(other)")


def cramers_v(a: pd.Series, b: pd.Series) -> float:
    table = pd.crosstab(a, b).to_numpy(dtype=float)
    if table.shape[0] < 2 or table.shape[1] < 2:
        return 0.0
    n = table.sum()
    expected = table.sum(axis=1, keepdims=True) @ table.sum(axis=0, keepdims=True) / n
    chi2 = np.nansum((table - expected) ** 2 / np.where(expected > 0, expected, np.nan))
    return float(np.sqrt(chi2 / (n * (min(table.shape) - 1))))


def correlation_ratio(categories: pd.Series, values: pd.Series) -> float:
    frame = pd.DataFrame({"c": categories, "v": values}).dropna()
    if len(frame) < 2 or frame["v"].var() == 0:
        return 0.0
    groups = frame.groupby("c", observed=True)["v"]
    between = (groups.count() * (groups.mean() - frame["v"].mean()) ** 2).sum()
    return float(np.sqrt(between / ((frame["v"] - frame["v"].mean()) ** 2).sum()))


def association_matrix(table: pd.DataFrame) -> pd.DataFrame:
    """Symmetric matrix of associations in [0, 1] between the columns of ``table``."""
    kinds = {c: _kind(table[c]) for c in table.columns}
    prepared = {c: _numbers(table[c]) if k == "numerical" else _levels(table[c]) for c, k in kinds.items()}
    columns = list(table.columns)
    matrix = pd.DataFrame(np.eye(len(columns)), index=columns, columns=columns)
    for i, a in enumerate(columns):
        for b in columns[i + 1:]:
            if kinds[a] == kinds[b] == "numerical":
                value = abs(prepared[a].corr(prepared[b], method="spearman"))
            elif kinds[a] == kinds[b] == "categorical":
                value = cramers_v(prepared[a], prepared[b])
            else:
                cat, num = (a, b) if kinds[a] == "categorical" else (b, a)
                value = correlation_ratio(prepared[cat], prepared[num])
            matrix.loc[a, b] = matrix.loc[b, a] = 0.0 if pd.isna(value) else value
    return matrix
