"""The report's pictures: matplotlib figures turned into embedded PNGs (no files, no CDN).

Why PNG data URIs: the report is one self-contained HTML file a person can mail or open
offline; an interactive chart library would need its script inlined in every file.
"""

from __future__ import annotations

import base64
import io

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ..plotting import default_style

REAL, SYNTHETIC = "#1f77b4", "#ff7f0e"
#: Levels shown for a categorical column (the rest are summed as "other").
TOP_LEVELS = 12


def data_uri(figure: Figure) -> str:
    """A figure as an ``<img src=...>`` value."""
    FigureCanvasAgg(figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    return png_uri(buffer.getvalue())


def png_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def _figure(width: float = 4.2, height: float = 2.6) -> tuple[Figure, object]:
    figure = Figure(figsize=(width, height))
    return figure, figure.add_subplot(1, 1, 1)


@default_style
def column_distribution(real: pd.Series, synthetic: pd.Series, sdtype: str, title: str) -> str:
    """Real vs synthetic distribution of one column: histograms for numbers, months for
    datetimes, shares of the commonest levels for everything else."""
    figure, axis = _figure()
    if sdtype == "numerical":
        r, s = pd.to_numeric(real, errors="coerce").dropna(), pd.to_numeric(synthetic, errors="coerce").dropna()
        both = pd.concat([r, s])
        if len(both) and both.nunique() > 1:
            low, high = np.nanquantile(both, [0.005, 0.995])
            bins = np.linspace(low, high, 30) if high > low else 10
            axis.hist(r.clip(low, high), bins=bins, density=True, alpha=0.55, color=REAL, label="real")
            axis.hist(s.clip(low, high), bins=bins, density=True, alpha=0.55, color=SYNTHETIC, label="synthetic")
    elif sdtype == "datetime":
        r = pd.to_datetime(real, errors="coerce").dropna().dt.to_period("M").value_counts(normalize=True)
        s = pd.to_datetime(synthetic, errors="coerce").dropna().dt.to_period("M").value_counts(normalize=True)
        months = sorted(set(r.index) | set(s.index))
        x = np.arange(len(months))
        axis.plot(x, r.reindex(months, fill_value=0).to_numpy(), color=REAL, label="real")
        axis.plot(x, s.reindex(months, fill_value=0).to_numpy(), color=SYNTHETIC, label="synthetic")
        step = max(1, len(months) // 6)
        axis.set_xticks(x[::step], [str(m) for m in months[::step]], rotation=30, fontsize=7)
    else:
        r = real.astype("string").fillna("(missing)").value_counts(normalize=True)
        s = synthetic.astype("string").fillna("(missing)").value_counts(normalize=True)
        levels = list(r.index[:TOP_LEVELS])
        x = np.arange(len(levels) + 1)
        rv = list(r.reindex(levels, fill_value=0)) + [1 - r.reindex(levels, fill_value=0).sum()]
        sv = list(s.reindex(levels, fill_value=0)) + [1 - s.reindex(levels, fill_value=0).sum()]
        axis.bar(x - 0.2, rv, width=0.4, color=REAL, label="real")
        axis.bar(x + 0.2, sv, width=0.4, color=SYNTHETIC, label="synthetic")
        axis.set_xticks(x, [str(v)[:14] for v in levels] + ["other"], rotation=45, ha="right", fontsize=7)
    axis.set_title(title, fontsize=9)
    axis.legend(fontsize=7)
    return data_uri(figure)


@default_style
def association_difference(real: pd.DataFrame, synthetic: pd.DataFrame, title: str) -> str:
    """Heatmap of synthetic minus real association (see :mod:`.associations`)."""
    from .associations import association_matrix

    difference = association_matrix(synthetic) - association_matrix(real)
    size = max(3.0, 0.45 * len(difference) + 1.5)
    figure, axis = _figure(size + 1, size)
    image = axis.imshow(difference.to_numpy(dtype=float), cmap="RdBu_r", vmin=-1, vmax=1)
    axis.set_xticks(range(len(difference)), [str(c)[:16] for c in difference.columns], rotation=60, ha="right", fontsize=7)
    axis.set_yticks(range(len(difference)), [str(c)[:16] for c in difference.index], fontsize=7)
    figure.colorbar(image, ax=axis, shrink=0.8, label="synthetic − real")
    axis.set_title(title, fontsize=9)
    return data_uri(figure)


@default_style
def children_per_parent(real: np.ndarray, synthetic: np.ndarray, title: str) -> str:
    """Distribution of the number of children each parent row has."""
    figure, axis = _figure()
    top = int(max(np.quantile(real, 0.99) if len(real) else 0, np.quantile(synthetic, 0.99) if len(synthetic) else 0)) + 1
    bins = np.arange(0, top + 2) - 0.5 if top <= 60 else np.linspace(0, top, 40)
    axis.hist(np.minimum(real, top), bins=bins, density=True, alpha=0.55, color=REAL, label="real")
    axis.hist(np.minimum(synthetic, top), bins=bins, density=True, alpha=0.55, color=SYNTHETIC, label="synthetic")
    axis.set_xlabel("children per parent", fontsize=8)
    axis.set_title(title, fontsize=9)
    axis.legend(fontsize=7)
    return data_uri(figure)
