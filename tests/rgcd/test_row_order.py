"""Row order and positions: real rows ranked by their position column (ties at random),
sampled rows at random, and positions that come from ranks, never from a real row's date."""

import numpy as np
import pandas as pd

from syntherela_rgcd.rgcd.positions import PositionModel
from syntherela_rgcd.rgcd.row_order import group_ranks, random_order, real_order


def test_group_ranks_follow_the_order_within_each_parent():
    fk = pd.Series(["a", "a", "b", "a", None, "b"])
    ranks = group_ranks(fk, np.array([2, 0, 5, 1, 3, 4]))
    np.testing.assert_allclose(ranks, [2.5 / 3, 0.5 / 3, 0.75, 1.5 / 3, 0.0, 0.25])


def test_real_order_sorts_by_the_column_and_breaks_ties_at_random():
    frame = pd.DataFrame({"day": pd.to_datetime(["2020-01-03", "2020-01-01", "2020-01-03", None, "2020-01-02"])})
    orders = [real_order(frame, "day", np.random.default_rng(seed)) for seed in range(20)]
    for order in orders:
        assert sorted(order) == list(range(5))
        assert order[3] == 0 and order[1] == 1 and order[4] == 2  # missing first, then by date
    assert {tuple(o[[0, 2]]) for o in orders} == {(3, 4), (4, 3)}  # the tie goes either way


def test_without_a_column_the_order_is_a_permutation_unrelated_to_the_file():
    frame = pd.DataFrame({"x": np.arange(2000)})
    order = real_order(frame, None, np.random.default_rng(0))
    assert sorted(order) == list(range(2000))
    assert abs(np.corrcoef(order, frame["x"])[0, 1]) < 0.1
    assert sorted(random_order(7, np.random.default_rng(0))) == list(range(7))


def test_sampled_positions_carry_no_real_rows_date():
    """Walmart-like: each store has weekly rows. Real positions follow each row's date;
    positions for a copy of the same structure, ranked at random, do not follow the date of
    the real row each sampled row was copied from (the leak issue 27 describes)."""
    rng = np.random.default_rng(0)
    stores, weeks = 40, 50
    dates = pd.Series(pd.Timestamp("2010-02-05") + pd.to_timedelta(7 * rng.permuted(np.tile(np.arange(weeks), stores)
                                                                                     .reshape(stores, weeks), axis=1)
                                                                  .ravel(), unit="D"))
    keys = pd.DataFrame({"store": np.repeat(np.arange(stores), weeks)})
    real_days = ((dates - dates.min()) / pd.Timedelta(days=1)).to_numpy()
    model = PositionModel.fit(dates, "store")
    fitted = model.positions(keys, real_order(pd.DataFrame({"d": dates}), "d", rng), rng)
    sampled = model.positions(keys, random_order(len(keys), rng), rng)
    assert np.corrcoef(fitted, real_days)[0, 1] > 0.99
    assert abs(np.corrcoef(sampled, real_days)[0, 1]) < 0.1
    assert np.mean(np.abs(sampled - real_days) < 1) < 0.06  # the source row's week: chance is 1 in 50
    # and they span the same range: every store's rows are spread over the weeks
    assert sampled.min() < 7 and sampled.max() > real_days.max() - 7
    assert model.quantiles.shape == (1001,)
