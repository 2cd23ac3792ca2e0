"""Membership inference: can an attacker tell the rows a generator was trained on?

Why: DCR and the copy figures say whether synthetic rows sit close to real ones; they do not
say whether that closeness gives a training row away. The attack here is the usual
distance-to-closest-record one (as in SyntheRela's and Synthcity's privacy checks): the generator
is fitted on a random half of a table's real rows (members), the attacker holds those and the
other half (non-members) and calls a row a member when its closest synthetic row is nearer than
for the median row. Accuracy and AUC near 0.5 mean nothing leaks; a model that memorises its
training rows puts members at distance 0 and scores near 1.

Rows are encoded as for DCR (:class:`.privacy.RowEncoder`, fitted on all the attacker's rows).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .privacy import RowEncoder, closest_distances, dcr_score


def membership_attack(members: pd.DataFrame, non_members: pd.DataFrame, synthetic: pd.DataFrame,
                      columns: dict[str, str], seed: int = 0) -> dict:
    """The attack on one table: ``accuracy`` of the median-threshold guess on a balanced set
    (the larger side subsampled), ``auc`` = P(a member is nearer than a non-member; ties half),
    and the number of rows per side."""
    rng = np.random.default_rng(seed)
    n = min(len(members), len(non_members))
    if n == 0 or len(synthetic) == 0:
        return {"accuracy": None, "auc": None, "rows_per_side": n}
    members = members.iloc[np.sort(rng.choice(len(members), n, replace=False))]
    non_members = non_members.iloc[np.sort(rng.choice(len(non_members), n, replace=False))]
    encoder = RowEncoder(columns, seed).fit(pd.concat([members, non_members], ignore_index=True))
    distances = closest_distances(encoder.transform(synthetic),
                                  {"members": encoder.transform(members), "non_members": encoder.transform(non_members)})
    d_in, d_out = distances["members"], distances["non_members"]
    both = np.concatenate([d_in, d_out])
    threshold = np.median(both)
    # at the threshold itself a coin decides, so ties (copies at distance 0) are not counted as skill
    coin = rng.random(len(both)) < 0.5
    guess = (both < threshold) | ((both == threshold) & coin)
    truth = np.concatenate([np.ones(n, dtype=bool), np.zeros(n, dtype=bool)])
    return {"accuracy": float((guess == truth).mean()), "auc": dcr_score(d_in, d_out), "rows_per_side": n}
