"""Sharing one step budget between tables and components."""

import time

import pytest

from syntherela_rgcd.rgcd.budget import CEILING_ROWS, FLOOR_ROWS, VAE_SHARE, FitBudget, tighter


def test_unbounded_fit_gives_unbounded_components():
    budget = FitBudget(None, {"a": 10, "b": 1000})
    assert budget.vae("a") is None and budget.vae("b") is None
    budget.start_conditional_phase()
    assert budget.diffusion("a") is None


def test_steps_are_split_by_square_root_of_rows_and_phases():
    budget = FitBudget(1000, {"small": 2500, "large": 10_000})
    small = budget.vae("small")
    assert small == pytest.approx(VAE_SHARE * 1000 * 50 / 150)
    budget.spend(small)  # "small" used all of its share
    assert budget.vae("large") == pytest.approx(VAE_SHARE * 1000 - small), "the last table gets all that is left"


def test_tighter():
    assert tighter(None, 5) == 5 and tighter(3, None) == 3 and tighter(3, 5) == 3 and tighter(None, None) is None


def test_small_tables_are_weighted_like_floor_rows():
    budget = FitBudget(1000, {"tiny": 45, "floor": FLOOR_ROWS})
    assert budget.vae("tiny") == pytest.approx(VAE_SHARE * 1000 / 2)


def test_huge_tables_are_weighted_like_ceiling_rows():
    budget = FitBudget(1000, {"ratings": 10 * CEILING_ROWS, "ceiling": CEILING_ROWS})
    assert budget.vae("ratings") == pytest.approx(VAE_SHARE * 1000 / 2)


def test_step_budget_counts_reported_steps_not_time():
    budget = FitBudget(1000, {"a": 10_000, "b": 10_000})
    assert budget.vae("a") == pytest.approx(150)
    time.sleep(0.01)  # time does not count
    budget.spend(50)  # "a" stopped early: 100 steps flow to "b"
    assert budget.vae("b") == pytest.approx(250)
    budget.start_conditional_phase()
    assert budget.diffusion("a") == pytest.approx((1000 - 50) / 2), "all that the VAEs left"


def test_vae_share_and_parent_weight_move_steps():
    budget = FitBudget(1000, {"parent": 10_000, "child": 10_000}, vae_share=0.1,
                       parents=["parent"], parent_weight=3.0)
    assert budget.vae("parent") == pytest.approx(50), "the VAE phase ignores the parent weight"
    budget.vae("child")
    budget.spend(100)
    budget.start_conditional_phase()
    assert budget.diffusion("parent") == pytest.approx(900 * 3 / 4)
    with pytest.raises(ValueError):
        FitBudget(10, {"a": 1}, vae_share=1.5)


def test_without_flow_every_share_is_fixed_up_front():
    """budget_flow: false (parallel training): a table's share does not depend on what the
    tables before it used or on the order it is asked for."""
    rows = {"a": 10_000, "b": 10_000, "c": 40_000}
    budget = FitBudget(1000, rows, flow=False)
    c_first = budget.vae("c")
    budget.spend(1)  # "c" stopped at once: nothing flows
    assert budget.vae("a") == budget.vae("b") == pytest.approx(VAE_SHARE * 1000 / 4)
    assert c_first == pytest.approx(VAE_SHARE * 1000 / 2)
    budget.start_conditional_phase()
    assert budget.diffusion("b") == pytest.approx((1 - VAE_SHARE) * 1000 / 4)


def test_the_fit_budget_follows_rows_for_small_databases():
    from syntherela_rgcd.rgcd.budget import MIN_FIT_STEPS, STEPS_PER_ROW, steps_for_rows

    assert steps_for_rows(20_000, 15_000) == 20_000, "a Walmart-sized database keeps the profile's budget"
    assert steps_for_rows(20_000, 3_000) == STEPS_PER_ROW * 3_000
    assert steps_for_rows(20_000, 100) == MIN_FIT_STEPS
    assert steps_for_rows(600, 3_000) == 600, "smoke's budget is never raised"
    assert steps_for_rows(None, 3_000) is None
