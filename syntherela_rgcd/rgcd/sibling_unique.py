"""Categorical columns that never repeat among siblings, and decoding that keeps them so.

Why: in many databases a child's categorical value is unique within its parent: a CORA paper
cites each word once, a Walmart store reports each department once per week. A generator
that decodes every row on its own (argmax of the VAE's softmax) repeats values inside a
parent now and then, and a single repeat is enough for SyntheRela's DDA classifier, which
compares a parent's child count with its n-unique aggregate.

:func:`find_unique_columns` records, at fit time, the (foreign key [, position date],
column) combinations that are unique in the real data and whose groups really hold several
rows; :func:`assign_distinct` decodes such a column group by group, giving each row the most
likely category not yet taken by a sibling (most confident rows first). The constraint is
learnt from the data, not assumed, and ``unique_siblings: false`` in the configuration turns
it off (the ``paper`` profile does: it is our addition to RGCD).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

MIN_SHARED_ROWS = 0.2  # groups with 2+ rows must hold this share of the rows to count


@dataclass
class UniqueColumn:
    """Categorical model column ``cat_index`` (named ``column``) is unique within the rows
    that share ``foreign_key`` (and the position date, when ``with_position``)."""

    column: str
    cat_index: int
    foreign_key: str
    with_position: bool

    def to_dict(self) -> dict:
        return asdict(self)


def group_ids(foreign_key: pd.Series, position: np.ndarray | None = None) -> np.ndarray:
    """An integer group per row (rows sharing the key, and the date when given); rows with a
    missing key get a group of their own."""
    frame = pd.DataFrame({"fk": foreign_key.reset_index(drop=True)})
    if position is not None:
        frame["pos"] = np.asarray(position)
    ids = frame.groupby(list(frame.columns), sort=False, dropna=False).ngroup().to_numpy()
    missing = frame["fk"].isna().to_numpy()
    if missing.any():
        ids = ids.copy()
        ids[missing] = ids.max() + 1 + np.arange(missing.sum())
    return ids


def is_unique_within(groups: np.ndarray, codes: np.ndarray) -> bool:
    """True when no two rows of a group share a code and groups of 2+ rows hold at least
    MIN_SHARED_ROWS of the rows (otherwise uniqueness says nothing)."""
    if len(groups) == 0:
        return False
    sizes = np.bincount(groups)
    if sizes[groups].__ge__(2).mean() < MIN_SHARED_ROWS:
        return False
    pairs = pd.DataFrame({"g": groups, "c": codes})
    return not pairs.duplicated().any()


def find_unique_columns(
    x_cat: np.ndarray,
    categorical_names: list[str | None],
    foreign_keys: dict[str, pd.Series],
    position: np.ndarray | None,
) -> list[UniqueColumn]:
    """Every (foreign key, categorical column) pair unique in the real table; with a position
    date, also tried within (key, date) when the key alone does not make it unique."""
    found = []
    for j, name in enumerate(categorical_names):
        if name is None:
            continue
        for fk, values in foreign_keys.items():
            if is_unique_within(group_ids(values), x_cat[:, j]):
                found.append(UniqueColumn(name, j, fk, False))
            elif position is not None and is_unique_within(group_ids(values, position), x_cat[:, j]):
                found.append(UniqueColumn(name, j, fk, True))
    return found


def assign_distinct(logits: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Codes (n,) with no repeat inside a group, each row getting its most likely category
    not taken by a more confident sibling. A group larger than the number of categories
    falls back to plain argmax for its extra rows."""
    n, n_categories = logits.shape
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_prob = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    codes = log_prob.argmax(axis=1)
    order = np.argsort(groups, kind="stable")
    bounds = np.flatnonzero(np.diff(groups[order])) + 1
    for rows in np.split(order, bounds):
        if len(rows) < 2:
            continue
        scores = log_prob[rows].copy()
        for _ in range(min(len(rows), n_categories)):
            flat = int(np.argmax(scores))
            row, category = divmod(flat, n_categories)
            codes[rows[row]] = category
            scores[row, :] = -np.inf
            scores[:, category] = -np.inf
    return codes
