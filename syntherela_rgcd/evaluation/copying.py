"""How much of the real database a synthetic one copies, and how its structure compares.

A detection score far below 0.5 is a classifier fooled by near-copies, not fidelity, so
copying is measured directly (issue 14). Everything here reads the tables as written, so it
applies to any generator; figures that need to know which real row a synthetic row stands
for use the generator's correspondence where it has one (RGCD's structure sampler does:
:meth:`syntherela_rgcd.rgcd.model.RGCD.sample_with_source_rows`, the ``source_rows`` capability).

* ``rows``: per table with modelled (non-key) columns, the share of synthetic rows equal to
  some real row on those columns, beside the same share between two random halves of the real
  rows (the share a generator that does not copy should not exceed);
* ``relationships``: per foreign key, the children-per-parent distribution (KS statistic, as
  SyntheRela's cardinality metric, and the Wasserstein distance over the real mean degree)
  and a 2-hop statistic: grandchildren per grandparent where the child is itself a parent,
  co-parents per parent for a table with two foreign keys (for CORA: how many papers are
  cited together with a paper; for IMDB: how many films share an actor with a film);
* ``parents``: per table that is the parent of two or more relationships, the largest
  difference between the real and synthetic rank correlations of its degrees (words per
  paper against citations received, and so on): the joint shape of its degrees;
* ``links``: per table with two or more foreign keys, the rank correlation between the
  degrees of the two parents a row joins (real and synthetic), and, where both keys point into
  one table of at most :data:`GRAPH_LIMIT` rows, the triangle count and whether the
  Weisfeiler-Lehman hash equals the real graph's. With a correspondence, the share of
  synthetic link rows whose parents' counterparts are linked by a real row: synthetic keys are
  fresh, so comparing keys says 0 even for a copied graph;
* ``twins`` (with a correspondence): per modelled table, the share of synthetic rows equal on
  the modelled columns to the real row they stand for, beside the share when the
  correspondence is shuffled (what chance gives).
"""

from __future__ import annotations

import warnings

import networkx as nx
import numpy as np
import pandas as pd
from scipy import sparse
from scipy.stats import ks_2samp, spearmanr, wasserstein_distance
from syntherela.metadata import Metadata

Tables = dict[str, pd.DataFrame]

#: Link tables with more rows are not turned into networkx graphs (triangles, WL hash).
GRAPH_LIMIT = 200_000
#: Parents whose co-parents are counted (a random subset where there are more).
TWO_HOP_SAMPLE = 5_000


def copy_figures(real: Tables, synthetic: Tables, metadata: Metadata,
                 source_rows: dict[str, np.ndarray] | None = None, seed: int = 0) -> dict:
    """Every copy and structure figure of one synthetic database (see the module docstring)."""
    relationships = metadata.relationships
    real_pos = [_positions(real, rel) for rel in relationships]
    new_pos = [_positions(synthetic, rel) for rel in relationships]
    real_degree = [_degrees(pos, len(real[rel["parent_table_name"]])) for pos, rel in zip(real_pos, relationships)]
    new_degree = [_degrees(pos, len(synthetic[rel["parent_table_name"]])) for pos, rel in zip(new_pos, relationships)]
    modelled = {t: cols for t in metadata.get_tables() if (cols := modelled_columns(metadata, t))}
    figures: dict = {
        "rows": {t: row_copy_share(real[t], synthetic[t], cols, seed) for t, cols in modelled.items()},
        "relationships": {},
        "parents": {},
        "links": {},
    }
    rng = np.random.default_rng(seed)
    for j, rel in enumerate(relationships):
        parent, child = rel["parent_table_name"], rel["child_table_name"]
        real_j, new_j = real_degree[j], new_degree[j]
        entry = {"degree_ks": _ks(real_j, new_j),
                 "degree_wasserstein": (float(wasserstein_distance(real_j, new_j) / real_j.mean())
                                        if real_j.size and new_j.size and real_j.mean() > 0 else None)}
        below = [k for k, r in enumerate(relationships) if r["parent_table_name"] == child]
        if below:  # grandchildren per grandparent, through the first relationship below
            k = below[0]
            entry["grandchildren_ks"] = _ks(_grandchildren(real_pos[j], real_pos[k], len(real[parent])),
                                            _grandchildren(new_pos[j], new_pos[k], len(synthetic[parent])))
        others = [k for k, r in enumerate(relationships) if r["child_table_name"] == child and k != j]
        if others:
            k = others[0]
            entry["co_parents_ks"] = _ks(
                _co_parents(real_pos[j], real_pos[k], len(real[parent]), _size(real, relationships[k]), rng),
                _co_parents(new_pos[j], new_pos[k], len(synthetic[parent]), _size(synthetic, relationships[k]), rng))
        if parent == child and source_rows is not None and child in source_rows:
            share = _real_self_edges(real_pos[j], new_pos[j], source_rows[child])
            if share is not None:
                entry["real_edges_share"] = share
        figures["relationships"][relationship_name(rel)] = entry
    for table in metadata.get_tables():
        rels = [j for j, r in enumerate(relationships) if r["parent_table_name"] == table]
        if len(rels) >= 2:
            figures["parents"][table] = {"degree_correlation_gap": _correlation_gap(
                [real_degree[j] for j in rels], [new_degree[j] for j in rels])}
        rels = [j for j, r in enumerate(relationships) if r["child_table_name"] == table and r["parent_table_name"] != table]
        if len(rels) >= 2:
            figures["links"][table] = _link_figures(real, synthetic, relationships, rels, real_pos, new_pos,
                                                    source_rows)
    if source_rows is not None:
        figures["twins"] = {t: _twin_share(real[t], synthetic[t], cols, source_rows[t], rng)
                            for t, cols in modelled.items() if t in source_rows and len(source_rows[t]) == len(synthetic[t])}
    return figures


def headline(figures: dict) -> dict:
    """The copy figures a run summary keeps: per table the copied-row shares, per link table
    the real-edge share and WL hash, and the largest degree KS."""
    degree_ks = [e["degree_ks"] for e in figures["relationships"].values() if e["degree_ks"] is not None]
    return {
        "rows": figures["rows"],
        "real_edges": {**{t: f["real_edges_share"] for t, f in figures["links"].items() if "real_edges_share" in f},
                       **{name: f["real_edges_share"] for name, f in figures["relationships"].items()
                          if "real_edges_share" in f}},
        "wl_hash_equal": {t: f["wl_hash_equal"] for t, f in figures["links"].items() if "wl_hash_equal" in f},
        "twins": {t: f["equal"] for t, f in figures.get("twins", {}).items()},
        "max_degree_ks": max(degree_ks) if degree_ks else None,
    }


def modelled_columns(metadata: Metadata, table: str) -> list[str]:
    """The table's columns that are not keys (what a generator models)."""
    return [c for c, spec in metadata.tables[table].columns.items() if spec.get("sdtype") != "id"]


def relationship_name(rel: dict) -> str:
    return f"{rel['parent_table_name']}_{rel['child_table_name']}_{rel['child_foreign_key']}"


#: Random splits the real-halves baseline averages over: one split of a 45-row table moves the
#: share by several points (Walmart's stores: 6 % on average over 200 splits, 0 % on one).
BASELINE_SPLITS = 200


def row_copy_share(real: pd.DataFrame, synthetic: pd.DataFrame, columns: list[str], seed: int = 0,
                   splits: int = BASELINE_SPLITS) -> dict:
    """Share of synthetic rows equal to a real row on ``columns``, and the baseline: the share
    of one random half of the real rows equal to a row of the other half, averaged over
    ``splits`` random splits."""
    if not columns:
        return {"synthetic": None, "real_halves": None}
    real_keys = row_keys(real[columns]).to_numpy()
    half = len(real) // 2
    rng = np.random.default_rng(seed)
    shares = []
    for _ in range(splits if half else 0):
        shuffled = rng.permutation(len(real))
        shares.append(np.isin(real_keys[shuffled[half:]], real_keys[shuffled[:half]]).mean())
    return {"synthetic": float(np.isin(row_keys(synthetic[columns]).to_numpy(), real_keys).mean())
            if len(synthetic) else 0.0,
            "real_halves": float(np.mean(shares)) if shares else 0.0}


def row_keys(frame: pd.DataFrame) -> pd.Series:
    """One hashable value per row (missing values compare equal to each other; datetimes and
    numbers compare by their text, so a value written and read back still matches)."""
    return pd.util.hash_pandas_object(frame.astype(str), index=False)


def _positions(tables: Tables, rel: dict) -> np.ndarray:
    """Row position in the parent of each child row's foreign key; -1 where it is null or
    dangling (a database that passed the runner's integrity check has none dangling)."""
    keys = pd.Index(_key_text(tables[rel["parent_table_name"]][rel["parent_primary_key"]]))
    values = tables[rel["child_table_name"]][rel["child_foreign_key"]]
    positions = keys.get_indexer(_key_text(values)).astype(np.int64)
    positions[values.isna().to_numpy()] = -1
    return positions


def _key_text(keys: pd.Series) -> pd.Series:
    """Keys as text, compared across tables: an integer key with missing values is read as
    floats (``3.0``), so whole floats are written as integers first."""
    if pd.api.types.is_float_dtype(keys) and bool((keys.dropna() % 1 == 0).all()):
        keys = keys.astype("Int64")
    return keys.astype(str)


def _degrees(positions: np.ndarray, n_parents: int) -> np.ndarray:
    """Children per parent row."""
    return np.bincount(positions[positions >= 0], minlength=n_parents)


def _size(tables: Tables, rel: dict) -> int:
    return len(tables[rel["parent_table_name"]])


def _ks(real: np.ndarray, synthetic: np.ndarray) -> float | None:
    if not len(real) or not len(synthetic):
        return None
    return float(ks_2samp(real, synthetic).statistic)


def _grandchildren(upper: np.ndarray, lower: np.ndarray, n_grandparents: int) -> np.ndarray:
    """Rows of the lower table per row of the top table (child -> parent -> grandparent)."""
    parent_of = lower[lower >= 0]
    grandparent = upper[parent_of]
    return np.bincount(grandparent[grandparent >= 0], minlength=n_grandparents)


def _co_parents(side: np.ndarray, other: np.ndarray, n_side: int, n_other: int,
                rng: np.random.Generator) -> np.ndarray:
    """Per parent on ``side`` (a random subset of :data:`TWO_HOP_SAMPLE`), how many other
    parents on that side share a parent on the ``other`` side through some row."""
    both = (side >= 0) & (other >= 0)
    if not both.any():
        return np.zeros(0)
    incidence = sparse.csr_matrix((np.ones(int(both.sum())), (side[both], other[both])), shape=(n_side, n_other))
    chosen = np.sort(rng.choice(n_side, min(n_side, TWO_HOP_SAMPLE), replace=False))
    reach = (incidence[chosen] @ incidence.T).tocsr()  # chosen parents x all parents on that side
    reaches_itself = np.asarray(reach[np.arange(len(chosen)), chosen]).ravel() > 0
    return np.diff(reach.indptr) - reaches_itself


def _correlation_gap(real: list[np.ndarray], synthetic: list[np.ndarray]) -> float | None:
    """Largest |difference| between real and synthetic Spearman correlations of a parent's degrees."""
    if min(len(real[0]), len(synthetic[0])) < 3:
        return None
    with warnings.catch_warnings():  # a constant degree has no correlation: nan, skipped below
        warnings.simplefilter("ignore")
        gaps = []
        for a in range(len(real)):
            for b in range(a + 1, len(real)):
                gap = abs(spearmanr(real[a], real[b]).statistic - spearmanr(synthetic[a], synthetic[b]).statistic)
                if np.isfinite(gap):
                    gaps.append(float(gap))
    return max(gaps) if gaps else None


def _link_figures(real: Tables, synthetic: Tables, relationships: list[dict], rels: list[int],
                  real_pos: list[np.ndarray], new_pos: list[np.ndarray],
                  source_rows: dict[str, np.ndarray] | None) -> dict:
    a, b = rels[0], rels[1]
    figures: dict = {"rows": int(len(synthetic[relationships[a]["child_table_name"]])),
                     "degree_correlation_real": _row_degree_correlation(real_pos[a], real_pos[b]),
                     "degree_correlation_synthetic": _row_degree_correlation(new_pos[a], new_pos[b])}
    if source_rows is not None:
        real_pairs = np.stack([real_pos[j] for j in rels], axis=1)
        counterparts = np.stack([_counterpart(new_pos[j], source_rows.get(relationships[j]["parent_table_name"]))
                                 for j in rels], axis=1)
        if (counterparts != -2).all():
            complete = (counterparts >= 0).all(axis=1)
            known = set(map(tuple, real_pairs[(real_pairs >= 0).all(axis=1)].tolist()))
            shared = [tuple(p) in known for p in counterparts[complete].tolist()]
            figures["real_edges_share"] = float(np.mean(shared)) if shared else 0.0
    parents = {relationships[j]["parent_table_name"] for j in rels}
    if len(rels) == 2 and len(parents) == 1 and max(len(real_pos[a]), len(new_pos[a])) <= GRAPH_LIMIT:
        real_graph, new_graph = _graph(real_pos[a], real_pos[b]), _graph(new_pos[a], new_pos[b])
        figures.update(triangles_real=_triangles(real_graph), triangles_synthetic=_triangles(new_graph),
                       wl_hash_equal=_wl_hash(real_graph) == _wl_hash(new_graph))
    return figures


def _real_self_edges(real_pos: np.ndarray, new_pos: np.ndarray, source: np.ndarray) -> float | None:
    """Share of synthetic rows with a self-referencing key whose row and parent stand for a
    real row and its real parent (a copied reporting line)."""
    if len(source) != len(new_pos):
        return None
    linked = np.flatnonzero(new_pos >= 0)
    if not len(linked):
        return 0.0
    return float(np.mean(real_pos[source[linked]] == source[new_pos[linked]]))


def _counterpart(positions: np.ndarray, source: np.ndarray | None) -> np.ndarray:
    """The real parent row each synthetic row's parent stands for (-1: null; -2: unknown)."""
    if source is None:
        return np.full(len(positions), -2, dtype=np.int64)
    result = np.full(len(positions), -1, dtype=np.int64)
    known = positions >= 0
    result[known] = source[positions[known]]
    return result


def _row_degree_correlation(a: np.ndarray, b: np.ndarray) -> float | None:
    """Spearman correlation, over rows with both keys, of the two parents' degrees."""
    both = (a >= 0) & (b >= 0)
    if both.sum() < 3:
        return None
    degree_a = np.bincount(a[a >= 0])[a[both]]
    degree_b = np.bincount(b[b >= 0])[b[both]]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = spearmanr(degree_a, degree_b).statistic
    return float(value) if np.isfinite(value) else None


def _twin_share(real: pd.DataFrame, synthetic: pd.DataFrame, columns: list[str], source: np.ndarray,
                rng: np.random.Generator) -> dict:
    real_keys = row_keys(real[columns]).to_numpy()
    new_keys = row_keys(synthetic[columns]).to_numpy()
    if not len(new_keys):
        return {"equal": None, "chance": None}
    return {"equal": float(np.mean(new_keys == real_keys[source])),
            "chance": float(np.mean(new_keys == real_keys[rng.permutation(source)]))}


def _graph(a: np.ndarray, b: np.ndarray) -> nx.Graph:
    both = (a >= 0) & (b >= 0)
    graph = nx.Graph()
    graph.add_edges_from(zip(a[both].tolist(), b[both].tolist()))
    return graph


def _wl_hash(graph: nx.Graph) -> str:
    with warnings.catch_warnings():  # networkx 3.5 says its hashes changed; we only compare two of ours
        warnings.filterwarnings("ignore", message="The hashes produced", category=UserWarning)
        return nx.weisfeiler_lehman_graph_hash(graph)


def _triangles(graph: nx.Graph) -> int:
    return sum(nx.triangles(graph).values()) // 3
