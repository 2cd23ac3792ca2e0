"""Rows drawn per dataset, one marker per method family."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from ..errors import DataError
from ..plotting import default_style

from .build import _dataset_order
from .render import _view_of
from .rows import DCR_IDEAL, DDA_IDEAL, METHOD_NAMES, Row, _MARKERS, _PUBLISHED_ORDER, _arrow

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
