"""Categorical values tied among siblings: never repeated, or mostly shared, per parent.

Why: RGCD decodes every row on its own (argmax of the VAE's softmax), so rows that share a
parent are independent given it. Real siblings often are not:

* **unique**: a CORA paper cites each word once. Independent rows repeat a value now and then, and one repeat is enough for
  SyntheRela's DDA classifier, which compares a parent's child count with its n-unique.
* **shared**: an AirBnB user's sessions come from one device in 80% of users with several
  sessions; independent rows mix devices and inflate the n-unique aggregate.

:func:`find_sibling_rules` learns such rules from the real table at fit time, per foreign
key, only where groups of two or more rows hold a real share of the rows. (Rules per key
*and date* - a Walmart store lists each department once a week - were tried and dropped:
filled week by week, a store's weeks disagreed and it ended up with nearly every department,
80 where real stores have 69, which made the DDA worse, not better.) :func:`apply_rule` then decodes the
column group by group: *unique* gives each row its most likely category not taken by a more
confident sibling; *shared* gives a group, with the probability seen in the real data, the
category most likely for all its rows together. ``sibling_values: false`` in the
configuration turns this off (the ``paper`` profile does: it is our addition to RGCD).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from scipy.special import log_softmax

MIN_SHARED_ROWS = 0.2  # groups with 2+ rows must hold this share of the rows to learn a rule
MIN_SHARE = 0.5  # a column is "shared" when at least this share of multi-row groups is constant


@dataclass
class SiblingRule:
    """Categorical model column ``cat_index`` (table column ``column``) is ``unique`` or
    ``shared`` within the rows sharing ``foreign_key``; ``share`` is the real share of
    multi-row groups that are constant."""

    column: str
    cat_index: int
    foreign_key: str
    kind: str
    share: float = 1.0

    def to_dict(self) -> dict:
        return asdict(self)

    def describe(self) -> str:
        where = f"per {self.foreign_key}"
        what = "unique" if self.kind == "unique" else f"shared in {self.share:.0%} of groups"
        return f"{self.column} {what} {where}"


def group_ids(foreign_key: pd.Series) -> np.ndarray:
    """An integer group per row (rows sharing the key); rows with a missing key get a group
    of their own."""
    frame = pd.DataFrame({"fk": foreign_key.reset_index(drop=True)})
    ids = frame.groupby("fk", sort=False, dropna=False).ngroup().to_numpy()
    missing = frame["fk"].isna().to_numpy()
    if missing.any():
        ids = ids.copy()
        ids[missing] = ids.max() + 1 + np.arange(missing.sum())
    return ids


def _group_stats(groups: np.ndarray, codes: np.ndarray) -> tuple[float, bool, float] | None:
    """(share of rows in multi-row groups, no repeats anywhere, share of multi-row groups
    that are constant), or None without multi-row groups."""
    if len(groups) == 0:
        return None
    sizes = np.bincount(groups)
    in_multi = sizes[groups] >= 2
    if not in_multi.any():
        return None
    pairs = pd.DataFrame({"g": groups, "c": codes})
    distinct = pairs[in_multi].groupby("g")["c"].nunique()
    return float(in_multi.mean()), not pairs.duplicated().any(), float((distinct == 1).mean())


def is_unique_within(groups: np.ndarray, codes: np.ndarray) -> bool:
    """No two rows of a group share a code, and groups of 2+ rows hold at least
    MIN_SHARED_ROWS of the rows (otherwise uniqueness says nothing)."""
    stats = _group_stats(groups, codes)
    return stats is not None and stats[0] >= MIN_SHARED_ROWS and stats[1]


def _rule_for(name: str, j: int, fk: str, groups: np.ndarray, codes: np.ndarray) -> SiblingRule | None:
    stats = _group_stats(groups, codes)
    if stats is None or stats[0] < MIN_SHARED_ROWS:
        return None
    if stats[1]:
        return SiblingRule(name, j, fk, "unique")
    if stats[2] >= MIN_SHARE:
        return SiblingRule(name, j, fk, "shared", round(stats[2], 4))
    return None


def find_sibling_rules(
    x_cat: np.ndarray,
    categorical_names: list[str | None],
    foreign_keys: dict[str, pd.Series],
) -> list[SiblingRule]:
    """Every (foreign key, categorical column) rule the real table follows."""
    found = []
    for j, name in enumerate(categorical_names):
        if name is None:  # a numerical column's missing indicator, not a value of the table
            continue
        for fk, values in foreign_keys.items():
            rule = _rule_for(name, j, fk, group_ids(values), x_cat[:, j])
            if rule is not None:
                found.append(rule)
    return found


def _groups_of(groups: np.ndarray) -> list[np.ndarray]:
    order = np.argsort(groups, kind="stable")
    return [rows for rows in np.split(order, np.flatnonzero(np.diff(groups[order])) + 1) if len(rows) >= 2]


def assign_distinct(logits: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Codes (n,) with no repeat inside a group, each row getting its most likely category
    not taken by a more confident sibling. A group larger than the number of categories
    falls back to plain argmax for its extra rows."""
    n_categories = logits.shape[1]
    log_prob = log_softmax(logits, axis=1)
    codes = log_prob.argmax(axis=1)
    for rows in _groups_of(groups):
        scores = log_prob[rows].copy()
        for _ in range(min(len(rows), n_categories)):
            row, category = divmod(int(np.argmax(scores)), n_categories)
            codes[rows[row]] = category
            scores[row, :] = -np.inf
            scores[:, category] = -np.inf
    return codes


def assign_shared(logits: np.ndarray, groups: np.ndarray, share: float, rng: np.random.Generator) -> np.ndarray:
    """Codes (n,) where each multi-row group, with probability ``share``, takes the category
    with the highest summed log-probability over its rows; other rows keep their argmax."""
    log_prob = log_softmax(logits, axis=1)
    codes = log_prob.argmax(axis=1)
    for rows in _groups_of(groups):
        if rng.random() < share:
            codes[rows] = int(log_prob[rows].sum(axis=0).argmax())
    return codes


def apply_rule(rule: SiblingRule, logits: np.ndarray, groups: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The column's codes under ``rule`` (see the module docstring)."""
    if rule.kind == "unique":
        return assign_distinct(logits, groups)
    return assign_shared(logits, groups, rule.share, rng)
