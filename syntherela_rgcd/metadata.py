"""SyntheRela's ``Metadata`` with self-referencing foreign keys allowed.

A table whose foreign key points at its own primary key (``employees.manager_id ->
employees.employee_id``: an org chart, a comment thread, a category tree) is a relation of
the table with itself. SDV 1.x, under SyntheRela 0.0.4, rejects it as a "circular
dependency" (``MultiTableMetadata._validate_child_map_circular_relationship``; users asked
for it in sdv-dev/SDV#735), and SyntheRela's ``get_table_levels`` loops forever on it when
the table has no other parent. RGCD models it (:mod:`.rgcd.structure_generation`), so this
is the one place that works around upstream:

* :meth:`RelationalMetadata.validate` and :meth:`~RelationalMetadata.validate_data` run
  SDV's checks on every other relationship and check self-references here (the key is the
  table's own primary key, the foreign key is an id column used by no other relationship,
  every value names a row of the table);
* :meth:`~RelationalMetadata.get_root_tables` and :meth:`~RelationalMetadata.get_table_levels`
  ignore self-references, so SyntheRela's DDA orders its aggregations as for the rest of the
  schema and aggregates a self-relationship like any other (a row gets the count and means of
  the rows that point at it).

Cycles *between* tables stay refused (SDV's check still runs on them).
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

import numpy as np
import pandas as pd
from syntherela.metadata import Metadata


def is_self_reference(relationship: dict) -> bool:
    """True for a foreign key that points at its own table's primary key."""
    return relationship.get("parent_table_name") == relationship.get("child_table_name")


class RelationalMetadata(Metadata):
    """SyntheRela metadata that also accepts self-referencing foreign keys (see module doc)."""

    def self_references(self) -> list[dict]:
        """The relationships whose parent table is the child table."""
        return [rel for rel in self.relationships if is_self_reference(rel)]

    @contextmanager
    def _between_tables(self) -> Iterator[None]:
        """The relationships list without self-references, for as long as SDV looks at it."""
        kept = self.relationships
        self.relationships = [rel for rel in kept if not is_self_reference(rel)]
        try:
            yield
        finally:
            self.relationships = kept

    def validate(self) -> None:
        """SDV's validation of everything but self-references, then ours of those."""
        with self._between_tables():
            super().validate()
        for rel in self.self_references():
            _check_self_reference(self, rel)

    def validate_data(self, data: dict[str, pd.DataFrame]) -> None:
        """SDV's data validation, then every self-referencing key names a row of its table."""
        with self._between_tables():
            super().validate_data(data)
        for rel in self.self_references():
            table, fk, pk = rel["child_table_name"], rel["child_foreign_key"], rel["parent_primary_key"]
            values = data[table][fk].dropna()
            orphans = ~values.isin(data[table][pk])
            if orphans.any():
                raise ValueError(f"table {table!r}: self-referencing foreign key {fk!r} has {int(orphans.sum())} "
                                 f"value(s) naming no row of {table}.{pk} (e.g. {values[orphans].iloc[0]!r})")

    def get_root_tables(self) -> list:
        """Tables with no parent table (a table's own rows are not its parents)."""
        with self._between_tables():
            return super().get_root_tables()

    def get_table_levels(self) -> dict:
        """Depth of each table below the roots, self-references ignored (SyntheRela's loop
        never ends on a table whose only parent is itself)."""
        with self._between_tables():
            return super().get_table_levels()


def _check_self_reference(metadata: Metadata, rel: dict) -> None:
    table, fk, pk = rel["child_table_name"], rel["child_foreign_key"], rel["parent_primary_key"]
    if table not in metadata.tables:
        raise ValueError(f"self-reference on unknown table {table!r}")
    columns = metadata.tables[table].columns
    primary = metadata.tables[table].primary_key
    if pk != primary:
        raise ValueError(f"table {table!r}: self-reference {fk!r} -> {pk!r} must point at the table's primary key "
                         f"{primary!r} (set parent_primary_key to it)")
    if fk not in columns:
        raise ValueError(f"table {table!r}: self-referencing foreign key {fk!r} is not a column of the table")
    if columns[fk].get("sdtype") != "id":
        raise ValueError(f"table {table!r}: self-referencing foreign key {fk!r} must have sdtype 'id', not "
                         f"{columns[fk].get('sdtype')!r}")
    if fk == pk:
        raise ValueError(f"table {table!r}: the primary key {pk!r} cannot also be its own foreign key")
    used = [r for r in metadata.relationships if r["child_table_name"] == table and r["child_foreign_key"] == fk]
    if len(used) > 1:
        raise ValueError(f"table {table!r}: foreign key {fk!r} is used by {len(used)} relationships; give each its "
                         "own column")


def tree_depths(parent_pos: np.ndarray) -> np.ndarray:
    """Depth of each row in a table's self-relationship: 0 for a root (no parent, -1), one
    more than its parent otherwise, -1 for a row on a cycle or below one.

    ``parent_pos[i]`` is the row position of row ``i``'s parent. Rows are resolved level by
    level, so the cost is (depth of the deepest row) vectorised passes.
    """
    parent_pos = np.asarray(parent_pos, dtype=np.int64)
    depth = np.full(len(parent_pos), -1, dtype=np.int64)
    level = np.flatnonzero(parent_pos < 0)
    depth[level] = 0
    children = np.flatnonzero(parent_pos >= 0)
    order = children[np.argsort(parent_pos[children], kind="stable")]
    first = np.searchsorted(parent_pos[order], np.arange(len(parent_pos) + 1))
    d = 0
    while len(level):
        d += 1
        counts = first[level + 1] - first[level]
        starts = np.repeat(first[level], counts)
        level = order[starts + np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)]
        level = level[depth[level] < 0]
        depth[level] = d
    return depth


def self_parent_positions(primary_key: pd.Series, foreign_key: pd.Series) -> np.ndarray:
    """Row position of each row's parent in a self-relationship; -1 where the key is empty."""
    return pd.Index(primary_key).get_indexer(foreign_key).astype(np.int64)


def rows_parents_first(primary_key: pd.Series, foreign_key: pd.Series) -> np.ndarray:
    """Row positions ordered so that every row comes after the row its key names (roots
    first, then by depth; rows on a cycle last): the order a database that checks a
    self-referencing constraint row by row accepts."""
    depth = tree_depths(self_parent_positions(primary_key, foreign_key))
    return np.argsort(np.where(depth < 0, np.iinfo(np.int64).max, depth), kind="stable")


def self_references_as_copies(tables: dict[str, pd.DataFrame], metadata: Metadata
                              ) -> tuple[dict[str, pd.DataFrame], RelationalMetadata, list[str]]:
    """The database with each self-relationship ``T.fk -> T`` turned into ``T -> T[fk]``, a
    copy of ``T`` whose only relationship is that one: for metrics written for parents and
    children in different tables (SyntheRela's DDA). Returns the tables, the metadata and
    the names of the copies."""
    spec = metadata.to_dict()
    tables = dict(tables)
    copies = []
    for rel in spec.get("relationships", []):
        if is_self_reference(rel):
            table, copy = rel["child_table_name"], f"{rel['child_table_name']}[{rel['child_foreign_key']}]"
            spec["tables"][copy] = spec["tables"][table]
            tables[copy] = tables[table]
            rel["child_table_name"] = copy
            copies.append(copy)
    return tables, RelationalMetadata.load_from_dict(spec), copies
