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

from .build import build_leaderboard, suspect_tables
from .collect import collect_runs, known_datasets, resolve_dataset
from .plot import plot
from .render import render
from .rows import DEFAULT_RESULTS_DIRS, FORMATS, METHOD_NAMES, METRICS, SUSPECT_DDA, Row, Stat, aggregate

__all__ = ["DEFAULT_RESULTS_DIRS", "FORMATS", "METHOD_NAMES", "METRICS", "SUSPECT_DDA", "Row", "Stat", "aggregate",
           "build_leaderboard", "collect_runs", "known_datasets", "plot", "render", "resolve_dataset",
           "suspect_tables"]
