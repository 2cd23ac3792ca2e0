"""Sibling-correlated noise: the correlation estimate and the noise it shapes."""

import numpy as np
import pytest

from syntherela_rgcd.rgcd.siblings.noise import (MAX_CORRELATION, between_group_variance, calibrate_strength,
                                                 calibration_rows, correlated_noise, intra_group_correlation)


def grouped(n_groups: int, size: int, rho: float, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    groups = np.repeat(np.arange(n_groups), size)
    values = np.sqrt(rho) * rng.normal(size=n_groups)[groups] + np.sqrt(1 - rho) * rng.normal(size=len(groups))
    return values, groups


@pytest.mark.parametrize("rho", [0.0, 0.3, 0.8])
def test_intra_group_correlation_recovers_the_true_correlation(rho):
    values, groups = grouped(2000, 5, rho)
    estimate = intra_group_correlation(values[:, None], groups)
    assert estimate[0] == pytest.approx(rho, abs=0.04)


def test_correlation_is_clipped_and_zero_without_siblings():
    copies = np.repeat(np.arange(50.0), 3)[:, None]
    assert intra_group_correlation(copies, np.repeat(np.arange(50), 3))[0] == MAX_CORRELATION
    assert intra_group_correlation(np.arange(10.0)[:, None], np.arange(10))[0] == 0.0


def test_correlated_noise_is_standard_normal_per_row_and_correlated_within_groups():
    groups = np.repeat(np.arange(3000), 4)
    noise = correlated_noise(groups, np.array([0.0, 0.7]), seed=3).numpy()
    assert noise.std(axis=0) == pytest.approx([1.0, 1.0], abs=0.03)
    assert intra_group_correlation(noise, groups) == pytest.approx([0.0, 0.7], abs=0.04)
    assert np.array_equal(noise, correlated_noise(groups, np.array([0.0, 0.7]), seed=3).numpy())


def test_between_group_variance_is_the_spread_of_group_means_and_ignores_single_rows():
    groups = np.array([0, 0, 1, 1, 2])
    z = np.array([[1.0], [3.0], [5.0], [7.0], [100.0]])
    assert between_group_variance(z, groups)[0] == pytest.approx(np.var([2.0, 6.0]))


def test_calibration_rows_are_whole_groups():
    groups = np.repeat(np.arange(100), 7)
    rows = calibration_rows(groups, 50, seed=0)
    assert 50 <= len(rows) <= 56 and np.all(np.bincount(groups[rows])[np.unique(groups[rows])] == 7)
    assert len(calibration_rows(groups, 10_000, seed=0)) == len(groups)


def test_calibrate_strength_picks_the_strength_that_matches_the_real_spread():
    values, groups = grouped(500, 6, 0.4, seed=1)

    def sample(strength):  # a stand-in generator whose groups agree more as the strength grows
        return grouped(500, 6, 0.8 * strength, seed=2)[0][:, None]

    strength, mismatch = calibrate_strength(sample, values[:, None], groups)
    assert strength in (0.375, 0.5) and mismatch[strength] < min(mismatch[0.0], mismatch[0.25], mismatch[0.75], mismatch[1.0])
