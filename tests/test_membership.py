"""The membership-inference attack: copies of the members give them away, fresh rows do not."""

import numpy as np
import pandas as pd

from syntherela_rgcd.evaluation.membership import membership_attack

COLUMNS = {"x": "numerical", "kind": "categorical"}


def _rows(rng, n):
    return pd.DataFrame({"x": rng.normal(size=n), "kind": rng.choice(list("abc"), n)})


def test_copied_members_are_found_and_fresh_rows_leak_nothing():
    rng = np.random.default_rng(0)
    members, non_members = _rows(rng, 300), _rows(rng, 300)
    copied = membership_attack(members, non_members, members.copy(), COLUMNS)
    assert copied["accuracy"] > 0.9 and copied["auc"] > 0.9 and copied["rows_per_side"] == 300
    fresh = membership_attack(members, non_members, _rows(rng, 300), COLUMNS)
    assert abs(fresh["accuracy"] - 0.5) < 0.08 and abs(fresh["auc"] - 0.5) < 0.08


def test_sides_are_balanced_and_empty_input_has_no_figure():
    rng = np.random.default_rng(1)
    result = membership_attack(_rows(rng, 50), _rows(rng, 20), _rows(rng, 40), COLUMNS)
    assert result["rows_per_side"] == 20
    assert membership_attack(_rows(rng, 5), _rows(rng, 0), _rows(rng, 5), COLUMNS)["accuracy"] is None
