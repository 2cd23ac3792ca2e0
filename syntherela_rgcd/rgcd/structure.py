"""p(structure): sample the key columns of a synthetic database by copying whole connected
components of the real foreign-key graph.

A weakly connected component (a customer with all their orders and order lines, a molecule
with its atoms and bonds) is copied as a unit, so referential integrity and every
children-per-parent distribution hold by construction; the attribute models only fill in
the non-key columns afterwards. When one component holds most rows (a citation network),
resampling components would just duplicate or drop that giant, so the original structure
is kept instead.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components
from syntherela.metadata import Metadata

from ..errors import DataError
from .schema import id_columns
from .structure_generation import generate_structure

logger = logging.getLogger(__name__)

NETWORK_SHARE = 0.5
"""A database whose largest component holds more than this share of all rows is a network."""
MODES = ("copy", "auto", "generate")
"""``copy``: the paper's rule (components; a network kept whole); ``auto``: components for a
forest, a generated graph for a network; ``generate``: a generated graph always
(:mod:`.structure_generation`)."""


@dataclass
class SampledStructure:
    """The sampled key columns and where each sampled row came from.

    ``keys[t]`` holds only the id columns of table ``t`` in the real table's column order:
    primary keys are fresh integers 0..n-1, foreign keys point at those. ``source_rows[t][i]``
    is the position of the real row that sampled row ``i`` copies (for positional encodings).
    """

    keys: dict[str, pd.DataFrame]
    source_rows: dict[str, np.ndarray]


class StructureSampler:
    """Components of the real FK graph, and sampling of new databases made of them.

    State (see :meth:`get_state`) is integer arrays only — the component of every real row
    and the parent row of every foreign key — never the real tables themselves.
    """

    def __init__(self) -> None:
        self.tables: list[str] = []
        self.columns: dict[str, list[str]] = {}
        self.relationships: list[dict] = []  # parent, child, fk, nullable
        self.labels: dict[str, np.ndarray] = {}  # component of each real row
        self.parent_rows: list[np.ndarray] = []  # per relationship: parent position, -1 = null
        self.n_components = 0

    # ------------------------------------------------------------------ fitting

    def fit(self, tables: dict[str, pd.DataFrame], metadata: Metadata) -> StructureSampler:
        """Find the weakly connected components over all rows of all tables."""
        missing = sorted(set(metadata.tables) - set(tables))
        if missing:
            raise DataError(f"tables missing from the data: {', '.join(missing)}")
        self.tables = sorted(metadata.tables)
        self.columns = {}
        for t in self.tables:
            ids = set(id_columns(metadata, t))
            self.columns[t] = [c for c in tables[t].columns if c in ids]
        self.relationships, self.parent_rows = [], []
        for rel in metadata.relationships:
            parent, child, fk = rel["parent_table_name"], rel["child_table_name"], rel["child_foreign_key"]
            self.relationships.append(
                {"parent": parent, "child": child, "fk": fk, "nullable": bool(tables[child][fk].isna().any())}
            )
            self.parent_rows.append(_parent_positions(tables, parent, rel["parent_primary_key"], child, fk))

        sizes = {t: len(tables[t]) for t in self.tables}
        offsets = dict(zip(self.tables, np.cumsum([0] + [sizes[t] for t in self.tables])))
        total = int(sum(sizes.values()))
        rows, cols = [np.zeros(0, dtype=np.int64)], [np.zeros(0, dtype=np.int64)]  # child -> parent edges
        for rel, parent_pos in zip(self.relationships, self.parent_rows):
            child_pos = np.flatnonzero(parent_pos >= 0)
            rows.append(child_pos + offsets[rel["child"]])
            cols.append(parent_pos[child_pos] + offsets[rel["parent"]])
        rows_all, cols_all = np.concatenate(rows), np.concatenate(cols)
        graph = sp.coo_matrix((np.ones(len(rows_all), dtype=np.int8), (rows_all, cols_all)), shape=(total, total))
        self.n_components, labels = connected_components(graph, directed=True, connection="weak")
        self.labels = {t: labels[offsets[t] : offsets[t] + sizes[t]].astype(np.int64) for t in self.tables}
        logger.info(
            "structure: %d rows in %d connected components, largest holds %.1f%%",
            total,
            self.n_components,
            100 * self.largest_share,
        )
        return self

    @property
    def component_sizes(self) -> np.ndarray:
        """Rows (over all tables) per component."""
        sizes = np.zeros(self.n_components, dtype=np.int64)
        for lab in self.labels.values():
            sizes += np.bincount(lab, minlength=self.n_components)
        return sizes

    @property
    def largest_share(self) -> float:
        """Share of all rows in the largest component (0 for an empty database)."""
        sizes = self.component_sizes
        return float(sizes.max() / sizes.sum()) if sizes.sum() else 0.0

    @property
    def is_network(self) -> bool:
        """True when one component holds most rows: then sampling keeps the real structure."""
        return self.largest_share > NETWORK_SHARE

    # ----------------------------------------------------------------- sampling

    def sample(self, scale: float = 1.0, seed: int = 0, mode: str = "copy",
               twin_correlation: float = 1.0) -> SampledStructure:
        """Draw round(scale · n_components) components (at least one) uniformly with replacement.

        With ``mode="copy"`` a network's real structure is returned with fresh keys, whatever
        ``scale``; ``auto`` generates a network's graph instead and ``generate`` any graph
        (see :data:`MODES`), its degrees correlated ``twin_correlation`` with the real rows'
        the new rows stand for (:mod:`.structure_generation`).
        """
        if not self.tables:
            raise RuntimeError("StructureSampler.sample called before fit")
        if mode not in MODES:
            raise DataError(f"rgcd config: structure must be one of {', '.join(MODES)}, not {mode!r}")
        if mode == "generate" or (mode == "auto" and self.is_network):
            logger.info("structure: generating a new graph with the real degrees (largest component %.0f%% of rows)",
                        100 * self.largest_share)
            sizes = {t: len(lab) for t, lab in self.labels.items()}
            source, new_parent = generate_structure(self.tables, sizes, self.relationships, self.parent_rows,
                                                    scale, seed, twin_correlation)
        elif self.is_network:
            logger.info(
                "structure: largest component holds %.0f%% of rows (a network), keeping the original structure",
                100 * self.largest_share,
            )
            if scale != 1.0:
                logger.warning("structure: scale=%s ignored, a network's structure is kept as it is", scale)
            source = {t: np.arange(len(lab)) for t, lab in self.labels.items()}
            new_parent = [p.copy() for p in self.parent_rows]
        else:
            rng = np.random.default_rng(seed)
            chosen = rng.integers(0, self.n_components, size=max(1, int(round(scale * self.n_components))))
            source, new_parent = self._copy_components(chosen)
        return SampledStructure(keys=self._key_frames(source, new_parent), source_rows=source)

    def _copy_components(self, chosen: np.ndarray) -> tuple[dict[str, np.ndarray], list[np.ndarray]]:
        """Rows copied for the drawn components, and the new parent position of each FK.

        Draw ``j`` of table ``t`` occupies a contiguous block starting at ``start[t][j]``; a
        parent row sits at the same rank inside its component's block in every copy, so a
        copied child's parent is ``start[parent][draw] + rank[parent row]``.
        """
        source, draw_of_row, start, rank = {}, {}, {}, {}
        for t, lab in self.labels.items():
            order = np.argsort(lab, kind="stable")
            counts = np.bincount(lab, minlength=self.n_components)
            first = np.concatenate([[0], np.cumsum(counts)])
            rank[t] = np.empty(len(lab), dtype=np.int64)
            rank[t][order] = np.arange(len(lab)) - first[lab[order]]
            sizes = counts[chosen]
            start[t] = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64) if len(sizes) else sizes
            draw_of_row[t] = np.repeat(np.arange(len(chosen)), sizes)
            within = np.arange(int(sizes.sum())) - start[t][draw_of_row[t]]
            source[t] = order[first[chosen][draw_of_row[t]] + within]

        new_parent = []
        for rel, parent_pos in zip(self.relationships, self.parent_rows):
            child, parent = rel["child"], rel["parent"]
            old = parent_pos[source[child]]
            known = old >= 0
            new = np.full(len(old), -1, dtype=np.int64)
            new[known] = start[parent][draw_of_row[child][known]] + rank[parent][old[known]]
            new_parent.append(new)
        return source, new_parent

    def _key_frames(self, source: dict[str, np.ndarray], new_parent: list[np.ndarray]) -> dict[str, pd.DataFrame]:
        """Key columns per table: fresh row numbers for the primary key (and any other id
        column), then foreign keys, which win when a column is both (a one-to-one key)."""
        values: dict[str, dict[str, pd.Series]] = {}
        for t in self.tables:
            n = len(source[t])
            values[t] = {c: pd.Series(np.arange(n, dtype=np.int64)) for c in self.columns[t]}
        for rel, parent_pos in zip(self.relationships, new_parent):
            series = pd.Series(parent_pos, dtype="Int64" if rel["nullable"] else "int64")
            if rel["nullable"]:
                series[parent_pos < 0] = pd.NA
            values[rel["child"]][rel["fk"]] = series
        return {t: pd.DataFrame({c: values[t][c] for c in self.columns[t]}) for t in self.tables}

    # -------------------------------------------------------------------- state

    def get_state(self) -> dict:
        """``{"meta": JSON-able dict, "arrays": {name: int64 array}}``.

        Save ``meta`` with ``json.dump`` and ``arrays`` with ``np.savez(path, **arrays)``;
        :meth:`from_state` accepts the same dict back (an ``NpzFile`` works for ``arrays``).
        """
        meta = {
            "tables": self.tables,
            "columns": self.columns,
            "relationships": self.relationships,
            "n_components": int(self.n_components),
        }
        arrays = {f"labels_{i}": self.labels[t] for i, t in enumerate(self.tables)}
        arrays.update({f"parent_rows_{j}": p for j, p in enumerate(self.parent_rows)})
        return {"meta": meta, "arrays": arrays}

    @classmethod
    def from_state(cls, state: dict) -> StructureSampler:
        """Rebuild a fitted sampler from :meth:`get_state`'s output."""
        meta, arrays = state["meta"], state["arrays"]
        sampler = cls()
        sampler.tables = list(meta["tables"])
        sampler.columns = {t: list(c) for t, c in meta["columns"].items()}
        sampler.relationships = [dict(r) for r in meta["relationships"]]
        sampler.n_components = int(meta["n_components"])
        sampler.labels = {t: np.asarray(arrays[f"labels_{i}"], dtype=np.int64) for i, t in enumerate(sampler.tables)}
        sampler.parent_rows = [
            np.asarray(arrays[f"parent_rows_{j}"], dtype=np.int64) for j in range(len(sampler.relationships))
        ]
        return sampler


def _parent_positions(tables: dict[str, pd.DataFrame], parent: str, pk: str, child: str, fk: str) -> np.ndarray:
    """Row position in ``parent`` of each ``child`` row's foreign key; -1 where it is null."""
    keys = pd.Index(tables[parent][pk])
    if not keys.is_unique:
        raise DataError(f"primary key {parent}.{pk} has duplicate values")
    values = tables[child][fk]
    positions = keys.get_indexer(values).astype(np.int64)
    dangling = int(((positions < 0) & values.notna().to_numpy()).sum())
    if dangling:
        raise DataError(f"{dangling} rows of {child}.{fk} refer to no row of {parent}.{pk}")
    return positions
