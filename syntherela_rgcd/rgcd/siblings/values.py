"""How many distinct values a parent's rows hold in a categorical column, calibrated to the
real data when the VAE's codes are decoded.

Why: SyntheRela's DDA appends to each parent the n-unique of every categorical column over
its children, and rows decoded one by one (argmax of the VAE's softmax) get that count wrong
in ways no single row shows: a Walmart store's ~334 weekly department rows cover 69
departments in the real data (each one week after week) but 60 in our samples, some
departments 20 times over; a CORA paper never cites a word twice, independent rows now and
then do; an AirBnB user's sessions come from one device in 80 % of users, independent rows
mix devices. Fixing the n-unique of Walmart's sample by hand took its stores' DDA from 0.91
to 0.74. Joint denoising (:mod:`.sibling_context`) lets siblings agree on what they share,
but a mean of noisy latents cannot count distinct values.

One rule covers all three cases. At fit time, for each categorical column, the foreign key
whose multi-row groups hold most rows is kept with the real groups' sizes and distinct counts.
At decoding, every multi-row group's distinct count under plain argmax is mapped onto the
real distribution by quantile matching within groups of similar size (so a group the model
gives more variety keeps more than its peers, and the counts' spread is the real one), and the
group is decoded to exactly that many distinct categories with the least loss of
log-likelihood: a real column never repeated within a parent stays repeat-free, a column
constant in 80 % of parents is constant in 80 % of them. ``sibling_values: false`` turns it
off (the ``paper`` profile does: it is our addition to RGCD).

(Rules per key *and date* - a Walmart store lists each department once a week - were tried
earlier and dropped: filled week by week, a store's weeks disagreed and it ended up with
nearly every department, 80 where real stores have 69.)
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from scipy.special import log_softmax

from ..schema import group_ids

MIN_SHARED_ROWS = 0.2  # groups with 2+ rows must hold this share of the rows to learn a rule


@dataclass
class SiblingRule:
    """Categorical model column ``cat_index`` (table column ``column``): the real multi-row
    groups under ``foreign_key`` had ``sizes[i]`` rows holding ``distinct[i]`` values."""

    column: str
    cat_index: int
    foreign_key: str
    sizes: list[int]
    distinct: list[int]

    def to_dict(self) -> dict:
        return asdict(self)

    def describe(self) -> str:
        sizes, distinct = np.asarray(self.sizes), np.asarray(self.distinct)
        return (f"{self.column} per {self.foreign_key}: distinct values as in the real data "
                f"(all distinct in {np.mean(distinct == sizes):.0%} of groups, one value in {np.mean(distinct == 1):.0%})")


def _multi_row_groups(groups: np.ndarray) -> list[np.ndarray]:
    """Row indices of every group with two or more rows, in group order."""
    order = np.argsort(groups, kind="stable")
    return [rows for rows in np.split(order, np.flatnonzero(np.diff(groups[order])) + 1) if len(rows) >= 2]


def find_sibling_rules(
    x_cat: np.ndarray,
    categorical_names: list[str | None],
    foreign_keys: dict[str, pd.Series],
) -> list[SiblingRule]:
    """One rule per categorical column of a table with foreign keys whose multi-row groups
    hold at least ``MIN_SHARED_ROWS`` of the rows (otherwise a distinct count says little)."""
    grouped = {}
    for fk, values in foreign_keys.items():
        groups = group_ids(values)
        multi = _multi_row_groups(groups)
        share = sum(len(rows) for rows in multi) / max(len(groups), 1)
        if share >= MIN_SHARED_ROWS:
            grouped[fk] = (share, multi)
    if not grouped:
        return []
    fk = max(grouped, key=lambda key: grouped[key][0])  # first of the best on ties (dict order)
    multi = grouped[fk][1]
    sizes = [len(rows) for rows in multi]
    found = []
    for j, name in enumerate(categorical_names):
        if name is None:  # a numerical column's missing indicator, not a value of the table
            continue
        distinct = [len(np.unique(x_cat[rows, j])) for rows in multi]
        found.append(SiblingRule(name, j, fk, sizes, distinct))
    return found


def _size_bin(sizes: np.ndarray) -> np.ndarray:
    """Groups of similar size: 2, 3-4, 5-8, 9-16, ... rows."""
    return np.ceil(np.log2(np.asarray(sizes, dtype=float))).astype(int)


def target_distinct(model_distinct: np.ndarray, sizes: np.ndarray, rule: SiblingRule,
                    rng: np.random.Generator) -> np.ndarray:
    """Distinct counts for groups of ``sizes`` rows whose plain decoding gave ``model_distinct``:
    the real share ``(distinct - 1) / (size - 1)`` at the same quantile among groups of similar
    size (nearest size bin when the real data has none of that size), ties broken at random."""
    real_sizes, real_distinct = np.asarray(rule.sizes), np.asarray(rule.distinct)
    real_ratio = (real_distinct - 1) / (real_sizes - 1)
    real_bins = _size_bin(real_sizes)
    bins = _size_bin(sizes)
    ratio = (model_distinct - 1) / (sizes - 1)
    target = np.empty(len(sizes), dtype=int)
    available = np.unique(real_bins)
    for b in np.unique(bins):
        here = np.flatnonzero(bins == b)
        nearest = available[np.argmin(np.abs(available - b))]
        reference = np.sort(real_ratio[real_bins == nearest])
        order = np.lexsort((rng.random(len(here)), ratio[here]))  # by ratio, random among ties
        quantiles = (np.arange(len(here)) + 0.5) / len(here)
        mapped = np.quantile(reference, quantiles, method="inverted_cdf") if len(reference) else ratio[here][order]
        target[here[order]] = 1 + np.rint(mapped * (sizes[here[order]] - 1)).astype(int)
    return target


def assign_distinct_count(log_prob: np.ndarray, target: int) -> np.ndarray:
    """Codes for one group's rows (``log_prob`` (m, K)) with exactly ``target`` distinct values
    (at most m and K), changing argmax codes where it costs the least log-likelihood: too many
    values -> drop the value whose rows lose least by moving to the kept ones; too few -> give a
    new value to the row that loses least, among rows whose value other rows also hold."""
    m, k = log_prob.shape
    target = int(np.clip(target, 1, min(m, k)))
    codes = log_prob.argmax(axis=1)
    if target == 1:
        return np.full(m, int(log_prob.sum(axis=0).argmax()))
    if target == m:
        return _all_distinct(log_prob)
    kept = list(np.unique(codes))
    while len(kept) > target:
        scores = log_prob[:, kept]
        costs = []
        for i, value in enumerate(kept):
            rows = codes == value
            others = np.delete(scores[rows], i, axis=1)
            costs.append((scores[rows, i] - others.max(axis=1)).sum())
        drop = kept.pop(int(np.argmin(costs)))
        moved = codes == drop
        codes[moved] = np.asarray(kept)[log_prob[np.ix_(moved, kept)].argmax(axis=1)]
    while len(kept) < target:
        counts = np.bincount(codes, minlength=k)
        loss = log_prob[np.arange(m), codes][:, None] - log_prob
        loss[counts[codes] < 2, :] = np.inf  # a row alone with its value keeps it
        loss[:, kept] = np.inf
        row, value = divmod(int(np.argmin(loss)), k)
        codes[row] = value
        kept.append(value)
    return codes


def _all_distinct(log_prob: np.ndarray) -> np.ndarray:
    """No repeat: each row, most confident first, gets its most likely value not yet taken."""
    m, k = log_prob.shape
    codes = np.empty(m, dtype=int)
    scores = log_prob.copy()
    for _ in range(m):
        row, value = divmod(int(np.argmax(scores)), k)
        codes[row] = value
        scores[row, :] = -np.inf
        scores[:, value] = -np.inf
    return codes


def apply_rule(rule: SiblingRule, logits: np.ndarray, groups: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The column's codes (n,) for rows in ``groups`` (see the module docstring). Log-probabilities
    are taken group by group, so memory follows the largest group, not rows x categories."""
    codes = logits.argmax(axis=1)
    multi = _multi_row_groups(groups)
    if not multi:
        return codes
    sizes = np.array([len(rows) for rows in multi])
    model_distinct = np.array([len(np.unique(codes[rows])) for rows in multi])
    for rows, target in zip(multi, target_distinct(model_distinct, sizes, rule, rng)):
        codes[rows] = assign_distinct_count(log_softmax(logits[rows], axis=1), target)
    return codes
