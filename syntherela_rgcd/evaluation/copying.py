"""How much of the real database a synthetic one copies: rows and edges.

A detection score far below 0.5 is a classifier fooled by near-copies, not fidelity, so
copying is measured directly (issue 14):

* rows: the share of synthetic rows whose modelled columns equal some real row's exactly,
  beside the same share between two halves of the real data (the share a generator that
  does not copy should not exceed);
* edges: synthetic keys are fresh, so a key comparison says 0 even for a copied graph. The
  structure sampler knows which real row each synthetic row stands for
  (``SampledStructure.source_rows``), so a link row's parents are compared through that
  correspondence: the share of synthetic link rows (rows with two or more foreign keys) whose
  parents' counterparts are linked by a real row. Beside it, invariants that need no
  correspondence: per relationship the children-per-parent KS statistic, and for link tables
  whose keys point into one table (citations) the triangle count and whether the
  Weisfeiler-Lehman hash equals the real graph's.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

import networkx as nx
import numpy as np
import pandas as pd
from scipy.stats import ks_2samp

if TYPE_CHECKING:
    from ..rgcd.structure import SampledStructure, StructureSampler


def row_copy_share(real: pd.DataFrame, synthetic: pd.DataFrame, columns: list[str], seed: int = 0) -> dict:
    """Share of synthetic rows equal to a real row on ``columns``, and the baseline: the share
    of one random half of the real rows equal to a row of the other half."""
    if not columns:
        return {"synthetic": None, "real_halves": None}
    real_keys = _row_keys(real[columns])
    shuffled = np.random.default_rng(seed).permutation(len(real))
    half = len(real) // 2
    first, second = real_keys.iloc[shuffled[:half]], real_keys.iloc[shuffled[half:]]
    return {"synthetic": float(_row_keys(synthetic[columns]).isin(set(real_keys)).mean()) if len(synthetic) else 0.0,
            "real_halves": float(second.isin(set(first)).mean()) if half else 0.0}


def _row_keys(frame: pd.DataFrame) -> pd.Series:
    """One hashable value per row (missing values compare equal to each other)."""
    return pd.util.hash_pandas_object(frame.astype(str), index=False)


def structure_copy_figures(sampler: "StructureSampler", sampled: "SampledStructure") -> dict:
    """Per link table: the share of synthetic rows whose parents are linked in the real data;
    per relationship: children-per-parent KS; for one-table link tables: triangles and WL hash."""
    links: dict[str, dict] = {}
    for table in sampler.tables:
        rels = [j for j, r in enumerate(sampler.relationships) if r["child"] == table]
        if len(rels) < 2:
            continue
        real = np.stack([sampler.parent_rows[j] for j in rels], axis=1)
        synthetic = np.stack([_counterparts(sampler, sampled, j) for j in rels], axis=1)
        complete = (synthetic >= 0).all(axis=1)
        real_pairs = set(map(tuple, real[(real >= 0).all(axis=1)].tolist()))
        shared = [tuple(p) in real_pairs for p in synthetic[complete].tolist()]
        figures = {"rows": int(complete.sum()), "real_edges_share": float(np.mean(shared)) if shared else 0.0}
        parents = {sampler.relationships[j]["parent"] for j in rels}
        if len(parents) == 1 and len(rels) == 2:
            real_graph = _graph(real[(real >= 0).all(axis=1)])
            new_keys = np.stack([sampled.keys[table][sampler.relationships[j]["fk"]].to_numpy(dtype=np.int64)
                                 for j in rels], axis=1)
            new_graph = _graph(new_keys)
            figures.update(
                triangles_real=_triangles(real_graph), triangles_synthetic=_triangles(new_graph),
                wl_hash_equal=_wl_hash(real_graph) == _wl_hash(new_graph))
        links[table] = figures
    degrees = {}
    for j, rel in enumerate(sampler.relationships):
        real = _children_per_parent(sampler.parent_rows[j], len(sampler.labels[rel["parent"]]))
        new = sampled.keys[rel["child"]][rel["fk"]].dropna().to_numpy(dtype=np.int64)
        synthetic = _children_per_parent(new, len(sampled.keys[rel["parent"]]))
        degrees[f"{rel['parent']}_{rel['child']}_{rel['fk']}"] = float(ks_2samp(real, synthetic).statistic)
    return {"links": links, "children_per_parent_ks": degrees}


def _counterparts(sampler: "StructureSampler", sampled: "SampledStructure", j: int) -> np.ndarray:
    """For every synthetic row of relationship ``j``'s child, the real parent row its
    synthetic parent stands for (-1: null)."""
    rel = sampler.relationships[j]
    new = sampled.keys[rel["child"]][rel["fk"]]
    known = new.notna().to_numpy()
    result = np.full(len(new), -1, dtype=np.int64)
    result[known] = sampled.source_rows[rel["parent"]][new[known].to_numpy(dtype=np.int64)]
    return result


def _children_per_parent(parent_pos: np.ndarray, n_parents: int) -> np.ndarray:
    return np.bincount(parent_pos[parent_pos >= 0], minlength=n_parents)


def _graph(pairs: np.ndarray) -> nx.Graph:
    graph = nx.Graph()
    graph.add_edges_from(map(tuple, pairs.tolist()))
    return graph


def _wl_hash(graph: nx.Graph) -> str:
    with warnings.catch_warnings():  # networkx 3.5 says its hashes changed; we only compare two of ours
        warnings.filterwarnings("ignore", message="The hashes produced", category=UserWarning)
        return nx.weisfeiler_lehman_graph_hash(graph)


def _triangles(graph: nx.Graph) -> int:
    return sum(nx.triangles(graph).values()) // 3
