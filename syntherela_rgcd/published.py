"""Published reference numbers from the RGCD paper (and GCFM's DDA).

* Table 1 (``DDA_TABLE1``): DDA accuracy per dataset, lower is better. The paper reports one
  DDA figure per dataset (mean ± standard error). ``None`` marks a method the paper could not
  run on that dataset; ``~1`` figures are stored as 1.0. The ``GCFM (AAAI-26)`` row is not
  the RGCD paper's: it is Table 1 of Scassola et al., "Graph Conditional Flow Matching for
  Relational Data Generation" (AAAI-26, arXiv 2505.15668) - the same XGBoost DDA, worst
  parent table, mean ± std over 3 runs - the best published figures when this was written.
* Table 2 (``UTILITY_TASKS``, ``UTILITY_TABLE2``): utility, ML score / model selection /
  feature selection, plus the real-data and naive scores of each task.
* Appendix B (``DCR_APPENDIX_B``): DCR score of RGCD, 0.5 ideal.

Keys are SyntheRela dataset folder names. ``syntherela leaderboard`` puts these beside local runs.
"""

from __future__ import annotations

DDA_TABLE1: dict[str, dict[str, tuple[float, float] | None]] = {
    "RGCD (paper)": {
        "airbnb-simplified_subsampled": (0.67, 0.003), "Biodegradability_v1": (0.83, 0.01),
        "CORA_v1": (0.60, 0.01), "imdb_MovieLens_v1": (0.64, 0.01),
        "rossmann_subsampled": (0.77, 0.01), "walmart_subsampled": (0.79, 0.04),
    },
    "ClavaDDPM": {
        "airbnb-simplified_subsampled": (1.0, 0.0), "Biodegradability_v1": None, "CORA_v1": None,
        "imdb_MovieLens_v1": (0.83, 0.004), "rossmann_subsampled": (0.86, 0.01), "walmart_subsampled": (0.74, 0.05),
    },
    "RCTGAN": {
        "airbnb-simplified_subsampled": (0.98, 0.001), "Biodegradability_v1": (0.88, 0.01),
        "CORA_v1": (0.73, 0.01), "imdb_MovieLens_v1": (0.95, 0.002),
        "rossmann_subsampled": (0.88, 0.01), "walmart_subsampled": (0.96, 0.02),
    },
    "REaLTabFormer": {
        "airbnb-simplified_subsampled": (1.0, 0.0), "Biodegradability_v1": None, "CORA_v1": None,
        "imdb_MovieLens_v1": None, "rossmann_subsampled": (0.92, 0.01), "walmart_subsampled": (1.0, 0.0),
    },
    "SDV (HMA)": {
        "airbnb-simplified_subsampled": (1.0, 0.0), "Biodegradability_v1": (0.98, 0.01), "CORA_v1": (1.0, 0.0),
        "imdb_MovieLens_v1": None, "rossmann_subsampled": (0.98, 0.003), "walmart_subsampled": (0.90, 0.03),
    },
    "GCFM (AAAI-26)": {
        "airbnb-simplified_subsampled": (0.58, 0.03), "Biodegradability_v1": (0.59, 0.02),
        "CORA_v1": (0.63, 0.02), "imdb_MovieLens_v1": (0.59, 0.03),
        "rossmann_subsampled": (0.51, 0.01), "walmart_subsampled": (0.73, 0.01),
    },
}


def paper_rgcd_dda(dataset: str) -> float | None:
    """The paper's RGCD DDA for a dataset (None when not reported)."""
    entry = DDA_TABLE1["RGCD (paper)"].get(dataset)
    return entry[0] if entry else None


# --------------------------------------------------------------------------------------
# Table 2: utility. Each entry is (ML score, model selection, feature selection): the task's
# score of a model trained on synthetic and tested on real held-out data, and the rank
# correlations of model / feature rankings on synthetic vs real data (higher is better).
# --------------------------------------------------------------------------------------

UTILITY_TASKS: dict[str, dict] = {
    "airbnb-simplified_subsampled": {"table": "users", "target": "country_destination", "metric": "AUC",
                                     "higher_is_better": True, "real": 0.73, "naive": 0.5},
    "rossmann_subsampled": {"table": "historical", "target": "Customers", "metric": "RMSE",
                            "higher_is_better": False, "real": 81.0, "naive": 345.0},
    "walmart_subsampled": {"table": "depts", "target": "Weekly_Sales", "metric": "RMSE",
                           "higher_is_better": False, "real": 6117.0, "naive": 7697.0},
}
"""The paper's utility task per dataset, with its real-data and naive (constant) scores."""

UTILITY_TABLE2: dict[str, dict[str, tuple[float, float, float]]] = {
    "RGCD (paper)": {
        "airbnb-simplified_subsampled": (0.69, 0.79, 0.64), "rossmann_subsampled": (303.0, 0.12, 0.62),
        "walmart_subsampled": (6092.0, 0.73, 0.57),
    },
    "ClavaDDPM": {
        "airbnb-simplified_subsampled": (0.60, 0.32, 0.71), "rossmann_subsampled": (269.0, 0.70, 0.68),
        "walmart_subsampled": (7756.0, 0.45, 0.14),
    },
    "RCTGAN": {
        "airbnb-simplified_subsampled": (0.70, 0.80, 0.62), "rossmann_subsampled": (321.0, 0.78, 0.38),
        "walmart_subsampled": (8194.0, 0.58, 0.27),
    },
    "REaLTabFormer": {
        "airbnb-simplified_subsampled": (0.54, 0.49, 0.42), "rossmann_subsampled": (424.0, 0.53, 0.31),
        "walmart_subsampled": (19071.0, 0.10, -0.10),
    },
    "SDV (HMA)": {
        "airbnb-simplified_subsampled": (0.51, -0.08, 0.11), "rossmann_subsampled": (3406.0, -0.37, -0.11),
        "walmart_subsampled": (4954.0, 0.93, -0.17),
    },
}

# --------------------------------------------------------------------------------------
# Appendix B: DCR score (probability that a real holdout row is closer to the training half
# than a synthetic row is; about 0.5 or more = no sign of memorisation), RGCD only,
# mean ± standard error.
# --------------------------------------------------------------------------------------

DCR_APPENDIX_B: dict[str, dict[str, tuple[float, float]]] = {
    "RGCD (paper)": {"airbnb-simplified_subsampled": (0.56, 0.001), "rossmann_subsampled": (0.51, 0.002)},
}

PUBLISHED_METHODS: tuple[str, ...] = tuple(DDA_TABLE1)
"""The paper's methods in its column order."""

PAPER_DATASETS: tuple[str, ...] = (
    "airbnb-simplified_subsampled", "rossmann_subsampled", "walmart_subsampled",
    "Biodegradability_v1", "CORA_v1", "imdb_MovieLens_v1",
)
"""Datasets the paper reports on (folder names). The paper's IMDB is ``imdb_MovieLens_v1``;
``imdb_MovieLens_v1_noratings`` is a different dataset and has no published numbers."""


def published_datasets() -> set[str]:
    """Every dataset with at least one published number (any table)."""
    names = {d for per_method in DDA_TABLE1.values() for d in per_method}
    names |= set(UTILITY_TASKS) | {d for per_method in DCR_APPENDIX_B.values() for d in per_method}
    return names
