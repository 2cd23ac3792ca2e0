"""Our figures must not depend on matplotlib globals other packages change on import."""

from __future__ import annotations

import matplotlib
import numpy as np

from syntherela_rgcd.evaluation.privacy import plot_dcr_histogram
from syntherela_rgcd.leaderboard import build_leaderboard, plot


def test_plots_draw_without_latex_after_syntherela_switched_it_on(tmp_path, monkeypatch):
    import syntherela.visualisations.multi_table_visualisations  # noqa: F401  (sets text.usetex = True)

    monkeypatch.setitem(matplotlib.rcParams, "text.usetex", True)  # in case it was imported before
    monkeypatch.setenv("PATH", str(tmp_path))  # and no latex on the PATH
    rng = np.random.default_rng(0)
    distances = {"synthetic": rng.random(50), "holdout": rng.random(50), "train": rng.random(50)}
    histogram = plot_dcr_histogram(distances, tmp_path / "dcr.png", table="t")
    board = plot(build_leaderboard([], "dda"), tmp_path / "dda.png", metric="dda")
    assert histogram.stat().st_size > 5_000 and board.stat().st_size > 5_000
    assert matplotlib.rcParams["text.usetex"] is True, "the caller's settings are restored"
