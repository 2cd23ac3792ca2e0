"""Published reference numbers (RGCD paper, Table 1: DDA accuracy per dataset, lower is better).

The paper reports one DDA figure per dataset (mean ± standard error). ``None`` marks a
method the paper could not run on that dataset; ``~1`` figures are stored as 1.0.
Keys are SyntheRela dataset folder names.
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
}


def paper_rgcd_dda(dataset: str) -> float | None:
    """The paper's RGCD DDA for a dataset (None when not reported)."""
    entry = DDA_TABLE1["RGCD (paper)"].get(dataset)
    return entry[0] if entry else None
