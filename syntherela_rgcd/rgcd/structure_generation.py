"""A new foreign-key graph with the real one's degrees, for networks that copying would leak.

Copying connected components (:mod:`.structure`) is exact and private for a forest of small
components, but a network (CORA's citations, IMDB's casts and ratings) is one giant
component, so copying it returns the real graph itself: who cites whom is the real data.
Here the graph is generated instead, the way GRDM (Ketata et al., NeurIPS 2025) does it:
degree-preserving random graphs per relationship, random matching for rows with several
parents. Table by table, parents before children:

* a table without foreign keys gets ``round(scale * n)`` rows, each standing for a real row
  (a permutation of the real rows at scale 1, so every degree sequence is kept exactly);
* a table with one foreign key gets, under each new parent, as many rows as its *degree
  donor* has: a real row of the parent table drawn by a Gaussian copula on the degree rank,
  correlated ``degree_twin_correlation`` with the parent's own counterpart
  (:func:`_degree_donors`; 1 = the counterpart itself). The donors are a permutation, so the
  children-per-parent distribution holds exactly; each new child stands for one of the
  donor's real children;
* a table with several foreign keys (a link table such as ``cites`` or ``movies2actors``)
  takes its rows from the first foreign key as above; every other foreign key is a
  configuration model: each new parent gets as many stubs as its donor's real degree,
  the stubs are shuffled and dealt to the rows, and duplicate pairs or self-links (where the
  real table has none) are swapped away. So both sides keep their degree distribution while
  who links to whom is new; the joint shape of the two degrees and community structure are
  not kept (measured in the copy figures, :mod:`syntherela_rgcd.evaluation.copying`);
* a self-referencing key (``employees.manager_id``) is a new tree over the table's new rows
  with the real depth profile and children-per-row distribution (:func:`_self_parents`).

Referential integrity and unique primary keys hold by construction: keys are fresh positions
and every foreign key points at a generated parent row.
"""

from __future__ import annotations

import logging

import numpy as np
from scipy.stats import norm

from ..errors import DataError
from ..metadata import tree_depths

logger = logging.getLogger(__name__)

SWAP_ROUNDS = 200
STALLED_ROUNDS = 20


def generate_structure(tables: list[str], sizes: dict[str, int], relationships: list[dict],
                       parent_rows: list[np.ndarray], scale: float, seed: int,
                       twin_correlation: float = 1.0) -> tuple[dict[str, np.ndarray], list[np.ndarray]]:
    """Source rows per table (the real row each new row stands for) and, per relationship,
    the new parent position of each new child row (-1: null). ``twin_correlation`` is the
    rank correlation between a new parent's degrees and its source row's (see
    :func:`_degree_donors`)."""
    if not 0.0 <= twin_correlation <= 1.0:
        raise DataError(f"rgcd config: degree_twin_correlation must lie in [0, 1], not {twin_correlation!r}")
    rng = np.random.default_rng(seed)
    source: dict[str, np.ndarray] = {}
    donors: dict[int, np.ndarray] = {}
    degrees: dict[int, np.ndarray] = {}  # per relationship: children per real parent row
    new_parent: list[np.ndarray | None] = [None] * len(relationships)
    for table in _parents_first(tables, relationships):
        rels = [j for j, rel in enumerate(relationships) if rel["child"] == table and rel["parent"] != table]
        if not rels:
            source[table] = _draw_rows(sizes[table], max(1, int(round(scale * sizes[table]))), rng)
        else:
            driver, others = rels[0], rels[1:]
            source[table], new_parent[driver] = _children_of_new_parents(
                parent_rows[driver], degrees[driver], donors[driver], scale, rng)
            for j in others:
                new_parent[j] = _matched_parents(parent_rows[j], degrees[j], donors[j], source[table], rng)
            _remove_repeats(table, [new_parent[j] for j in rels],
                            [relationships[j]["parent"] for j in rels], parent_rows, rels, rng)
        for j, rel in enumerate(relationships):
            if rel["child"] == table and rel["parent"] == table:
                groups = (parent_rows[rels[0]], new_parent[rels[0]]) if rels else None
                new_parent[j] = _self_parents(parent_rows[j], source[table], rng, groups, twin_correlation)
        below = [j for j, rel in enumerate(relationships) if rel["parent"] == table and rel["child"] != table]
        if below:
            degrees.update((j, _real_degrees(parent_rows[j], source[table])) for j in below)
            donors.update(zip(below, _degree_donors(source[table], [degrees[j] for j in below], twin_correlation, rng)))
    return source, new_parent  # type: ignore[return-value]


def _parents_first(tables: list[str], relationships: list[dict]) -> list[str]:
    done: list[str] = []
    waiting = list(tables)
    while waiting:
        ready = [t for t in waiting if all(r["parent"] in done for r in relationships
                                           if r["child"] == t and r["parent"] != t)]
        if not ready:
            raise DataError(f"structure generation: the foreign keys among {', '.join(waiting)} form a cycle")
        done += ready
        waiting = [t for t in waiting if t not in ready]
    return done


def _draw_rows(n_real: int, n_new: int, rng: np.random.Generator) -> np.ndarray:
    """``n_new`` real rows: each real row once per whole copy, the remainder without repeats."""
    if n_real == 0:
        return np.zeros(0, dtype=np.int64)
    whole, rest = divmod(n_new, n_real)
    parts = [rng.permutation(n_real) for _ in range(whole)] + [rng.choice(n_real, rest, replace=False)]
    return np.concatenate(parts).astype(np.int64)


def _degree_donors(parent_source: np.ndarray, degrees: list[np.ndarray], twin_correlation: float,
                   rng: np.random.Generator) -> list[np.ndarray]:
    """Per relationship below a table, for each new row the real row whose children (or stubs)
    it takes.

    Why: with its own source row's degrees (``twin_correlation`` 1) every new node carries a
    real node's exact degree tuple (words, citations in, citations out), and SyntheRela's DDA,
    which appends those counts to each parent, meets twins: trained on the other folds, its
    classifier learns to mislabel them (CORA paper DDA 0.447 with a new citation graph, 0.43
    with the real one). Here each relationship's donors are a permutation of the source rows,
    so its degree distribution stays exact, ordered by a Gaussian copula: a new row's score is
    its source's normal score (rank by degree, ties at random) times ``twin_correlation`` plus
    noise that has the real correlation between the relationships' scores. The scores then keep
    the real rank correlations between a row's degrees (words against citations: the joint
    shape) whatever ``twin_correlation`` is, while the tuple is a real row's only when it is 1.
    """
    n = len(parent_source)
    if twin_correlation >= 1.0 or n < 2:
        return [parent_source for _ in degrees]
    orders, scores = [], np.empty((n, len(degrees)))
    for k, counts in enumerate(degrees):
        order = np.lexsort((rng.random(n), counts[parent_source]))  # by degree, ties in random order
        scores[order, k] = norm.ppf((np.arange(n) + 0.5) / n)
        orders.append(order)
    correlation = np.corrcoef(scores, rowvar=False).reshape(len(degrees), len(degrees))
    noise = rng.multivariate_normal(np.zeros(len(degrees)), correlation, size=n, method="eigh")
    mixed = twin_correlation * scores + np.sqrt(1.0 - twin_correlation ** 2) * noise
    result = []
    for k, order in enumerate(orders):
        donors = np.empty(n, dtype=np.int64)
        donors[np.argsort(mixed[:, k], kind="stable")] = parent_source[order]
        result.append(donors)
    return result


def _real_degrees(parent_pos: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Children per real parent row, long enough to index by ``rows``."""
    size = max(int(parent_pos.max(initial=-1)), int(rows.max(initial=-1))) + 1
    return np.bincount(parent_pos[parent_pos >= 0], minlength=size)


def _children_of_new_parents(parent_pos: np.ndarray, counts: np.ndarray, donors: np.ndarray, scale: float,
                             rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Under each new parent, the real children of its degree donor (``counts``: children per
    real parent row); plus ``scale`` times the real rows whose key is null."""
    known = np.flatnonzero(parent_pos >= 0)
    order = known[np.argsort(parent_pos[known], kind="stable")]  # real children grouped by parent
    first = np.concatenate([[0], np.cumsum(counts)])
    degree = counts[donors]
    owner = np.repeat(np.arange(len(donors)), degree)
    offset = np.arange(int(degree.sum())) - np.repeat(np.concatenate([[0], np.cumsum(degree)[:-1]]), degree)
    rows = order[first[donors][owner] + offset]
    nulls = np.flatnonzero(parent_pos < 0)
    if len(nulls):
        extra = nulls[_draw_rows(len(nulls), int(round(scale * len(nulls))), rng)]
        rows = np.concatenate([rows, extra])
        owner = np.concatenate([owner, np.full(len(extra), -1)])
    return rows.astype(np.int64), owner.astype(np.int64)


def _self_parents(parent_pos: np.ndarray, source: np.ndarray, rng: np.random.Generator,
                  groups: tuple[np.ndarray, np.ndarray] | None = None, twin_correlation: float = 1.0) -> np.ndarray:
    """A new tree (or forest) inside one table for a self-referencing key (``manager_id``).

    Each new row keeps its source row's depth (roots stay roots) and heads as many rows as
    a row of its level does: its source, or with ``twin_correlation`` below 1 another row of
    the same level (and group) drawn by the copula of :func:`_levelled_counts`, so that no
    row carries its twin's exact (depth, reports) pair. The rows of depth d are dealt to the
    stubs of the rows of depth d - 1 at random. So the depth profile and the children-per-row
    distribution are the real ones (exactly at scale 1) while who reports to whom is new, and
    there is no cycle, because every key points one level up. Rows on a real cycle (or below
    one: depth -1) are dealt among themselves, so cycles appear only where the real data has
    them.

    ``groups`` (the table's first other foreign key: real and new parent per row) keeps what
    the key shares with it: a row whose source row has its parent in its own group (an
    employee whose manager works in the same department) gets a parent from its new group
    where one has a stub left.
    """
    depth = tree_depths(parent_pos)
    new_depth = depth[source]
    same = None
    if groups is not None:
        real_group, new_group = groups
        same = (parent_pos >= 0) & (real_group >= 0)
        same[same] = real_group[parent_pos[same]] == real_group[same]
    result = np.full(len(source), -1, dtype=np.int64)
    for d in [-1, *range(1, int(new_depth.max(initial=0)) + 1)]:
        takers = np.flatnonzero(new_depth == d)
        if not len(takers):
            continue
        above = new_depth[(new_depth >= 0) & (new_depth < d)]
        level = d if d < 0 else (int(above.max()) if len(above) else None)  # the nearest level up that has rows
        if level is None:  # a tiny sample without the levels above: these rows become roots
            continue
        heads = np.flatnonzero(new_depth == level)
        below = (depth == d) & (parent_pos >= 0)  # the real rows at this depth, by their parents
        counts = np.bincount(parent_pos[below], minlength=len(parent_pos))[source[heads]]
        if twin_correlation < 1.0:
            counts = _levelled_counts(counts, new_group[heads] if same is not None else None, twin_correlation, rng)
        stubs = rng.permutation(np.repeat(heads, counts))
        if same is not None and len(stubs):
            inside = takers[same[source[takers]]]
            matched, used = _match_in_groups(new_group[inside], new_group[stubs], rng)
            result[inside[matched]] = stubs[used]
            takers = np.setdiff1d(takers, inside[matched])
            stubs = np.delete(stubs, used)
        if len(takers):
            left = stubs if len(stubs) else np.repeat(heads, counts)
            result[takers] = _deal(left if len(left) else heads, len(takers), rng)
    return result


def _levelled_counts(counts: np.ndarray, blocks: np.ndarray | None, twin_correlation: float,
                     rng: np.random.Generator) -> np.ndarray:
    """``counts`` (one per row) permuted inside each block by a Gaussian copula: a row's
    score is its count's normal score in the block times ``twin_correlation`` plus noise, and
    the block's counts go out in the order of the scores (:func:`_degree_donors` for one
    relationship, vectorised over blocks)."""
    n = len(counts)
    blocks = np.zeros(n, dtype=np.int64) if blocks is None else blocks.astype(np.int64)
    by_count = np.lexsort((rng.random(n), counts, blocks))
    sorted_blocks = blocks[by_count]
    first = np.searchsorted(sorted_blocks, sorted_blocks)
    size = np.searchsorted(sorted_blocks, sorted_blocks, side="right") - first
    score = np.empty(n)
    score[by_count] = norm.ppf((np.arange(n) - first + 0.5) / size)
    mixed = twin_correlation * score + np.sqrt(1.0 - twin_correlation ** 2) * rng.standard_normal(n)
    result = np.empty_like(counts)
    result[np.lexsort((mixed, blocks))] = counts[by_count]
    return result


def _match_in_groups(taker_groups: np.ndarray, stub_groups: np.ndarray, rng: np.random.Generator
                     ) -> tuple[np.ndarray, np.ndarray]:
    """Pairs (taker, stub) with the same group, as many per group as both sides have, at
    random: positions into ``taker_groups`` and ``stub_groups``."""
    def ranked(groups: np.ndarray) -> np.ndarray:  # group * n + rank inside the group, in random order
        order = np.lexsort((rng.random(len(groups)), groups))
        rank = np.empty(len(groups), dtype=np.int64)
        sorted_groups = groups[order]
        first = np.searchsorted(sorted_groups, sorted_groups)
        rank[order] = np.arange(len(groups)) - first
        return groups.astype(np.int64) * (len(taker_groups) + len(stub_groups) + 1) + rank

    keep_t, keep_s = np.flatnonzero(taker_groups >= 0), np.flatnonzero(stub_groups >= 0)
    _, in_t, in_s = np.intersect1d(ranked(taker_groups[keep_t]), ranked(stub_groups[keep_s]), return_indices=True)
    return keep_t[in_t], keep_s[in_s]


def _deal(stubs: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` stubs at random: without repeats while they last, then in proportion to them."""
    if len(stubs) >= n:
        return rng.permutation(stubs)[:n]
    return rng.permutation(np.concatenate([stubs, rng.choice(stubs, n - len(stubs))]))


def _matched_parents(parent_pos: np.ndarray, counts: np.ndarray, donors: np.ndarray, child_source: np.ndarray,
                     rng: np.random.Generator) -> np.ndarray:
    """Configuration model for a second foreign key: stubs by the new parents' donors' real
    degrees (``counts``), shuffled and dealt to the rows whose counterpart has this key set."""
    known = parent_pos >= 0
    stubs = np.repeat(np.arange(len(donors)), counts[donors])
    takers = np.flatnonzero(known[child_source])
    if len(stubs) == 0 and len(takers):
        raise DataError("structure generation: a foreign key is set on rows whose parents have no children")
    result = np.full(len(child_source), -1, dtype=np.int64)
    result[takers] = _deal(stubs, len(takers), rng)  # more rows than stubs (another mix of nulls): extra stubs
    return result


def _remove_repeats(table: str, columns: list[np.ndarray], parents: list[str], parent_rows: list[np.ndarray],
                    rels: list[int], rng: np.random.Generator) -> None:
    """Swap the last foreign key's values between rows until no row repeats another's
    parents and no row links a parent to itself, where the real table has neither."""
    if len(columns) < 2:
        return
    real = np.stack([parent_rows[j] for j in rels], axis=1)
    allow_repeats = bool(_repeated(real).any())
    allow_self = any(parents[a] == parents[b] and bool(((real[:, a] == real[:, b]) & (real[:, a] >= 0)).any())
                     for a in range(len(parents)) for b in range(a + 1, len(parents)))
    last = columns[-1]
    fewest, stalled = None, 0
    for _ in range(SWAP_ROUNDS):
        pairs = np.stack(columns, axis=1)
        bad = np.zeros(len(last), dtype=bool)
        if not allow_repeats:
            bad |= _repeated(pairs)
        if not allow_self:
            for a in range(len(parents) - 1):
                if parents[a] == parents[-1]:
                    bad |= (pairs[:, a] == last) & (last >= 0)
        bad &= last >= 0
        if not bad.any():
            return
        if fewest is not None and bad.sum() >= fewest:
            stalled += 1
            if stalled == STALLED_ROUNDS:  # what is left is forced by the degrees (a hub's stubs)
                break
        else:
            fewest, stalled = int(bad.sum()), 0
        # every bad row swaps with a distinct good row at once (a swap keeps both degree sequences)
        rows, good = np.flatnonzero(bad), np.flatnonzero(~bad & (last >= 0))
        if len(good) == 0:
            break
        rows = rng.permutation(rows)[:len(good)]
        partners = rng.choice(good, len(rows), replace=False)
        last[rows], last[partners] = last[partners], last[rows]
    logger.warning("structure generation: %s keeps %d repeated or self-linked rows (%.2f%%) after swaps; "
                   "the real table has none", table, int(bad.sum()), 100 * bad.mean())


def _repeated(pairs: np.ndarray) -> np.ndarray:
    """Rows whose key combination appeared in an earlier row (rows with a null never repeat)."""
    complete = (pairs >= 0).all(axis=1)
    rows = pairs[complete]
    dims = rows.max(axis=0, initial=0) + 1 if len(rows) else np.ones(pairs.shape[1], dtype=np.int64)
    if float(np.prod(dims.astype(float))) < 2.0 ** 62:  # one integer per row: far faster than unique(axis=0)
        _, first = np.unique(np.ravel_multi_index(rows.T, dims), return_index=True)
    else:
        _, first = np.unique(rows, axis=0, return_index=True)
    repeated = np.ones(int(complete.sum()), dtype=bool)
    repeated[first] = False
    result = np.zeros(len(pairs), dtype=bool)
    result[np.flatnonzero(complete)] = repeated
    return result

