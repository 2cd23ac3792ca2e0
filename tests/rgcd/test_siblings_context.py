"""Joint denoising over siblings: the context's training draws are exact, and a joint model
learns what siblings share that the conditioning does not say."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from syntherela_rgcd.rgcd.diffusion import DiffusionConfig, LatentDiffusion
from syntherela_rgcd.rgcd.siblings.context import SiblingContext
from syntherela_rgcd.rgcd.training import make_generator

from rgcd_helpers import single_torch_thread  # noqa: F401 (autouse fixture)


def test_groups_from_keys_count_the_other_siblings_and_leave_missing_keys_alone():
    keys = pd.DataFrame({"store": [1, 1, 2, 1, None], "dept": [7, 8, 7, 7, 8]})
    context = SiblingContext.from_keys(keys, ["store", "dept"])
    assert context.n_keys == 2 and len(context) == 5
    x = torch.arange(10, dtype=torch.float32).reshape(5, 2)
    means, others = context.current(x)
    assert others.tolist() == [[2, 2], [2, 1], [0, 2], [2, 2], [0, 1]]
    assert torch.equal(means[0, 0], (x[1] + x[3]) / 2)  # store 1's other rows
    assert torch.equal(means[2, 0], torch.zeros(2))  # store 2 has no other row
    assert torch.equal(means[4, 1], x[1])  # dept 8's other row
    assert torch.equal(means[4, 0], torch.zeros(2))  # a missing key is a group of its own


def test_training_context_without_noise_is_the_sampling_context():
    groups = np.array([0, 0, 1, 1, 1, 2, 3, 3])
    z = torch.randn(8, 3)
    context = SiblingContext([groups]).fit(z)
    rows = torch.tensor([0, 2, 5, 7])
    means, others = context.noisy(rows, z[rows], torch.zeros(4, 1), make_generator(0))
    full_means, full_others = context.current(z)
    assert torch.allclose(means, full_means[rows]) and torch.equal(others, full_others[rows])


def test_training_context_noise_has_the_forward_process_variance():
    """The mean of k noisy siblings at level sigma is their clean mean plus N(0, sigma^2 / k)."""
    groups = np.repeat(np.arange(2), [5, 201])  # a row sees 4 others, or 200
    z = torch.zeros(206, 1)
    context = SiblingContext([groups]).fit(z)
    generator = make_generator(1)
    draws = {4: [], 200: []}
    for _ in range(400):
        rows = torch.tensor([0, 5])
        means, _ = context.noisy(rows, z[rows], torch.full((2, 1), 2.0), generator)
        draws[4].append(means[0, 0, 0].item())
        draws[200].append(means[1, 0, 0].item())
    assert np.std(draws[4]) == pytest.approx(2.0 / np.sqrt(4), rel=0.15)
    assert np.std(draws[200]) == pytest.approx(2.0 / np.sqrt(200), rel=0.15)


def _random_effects(n_groups: int, size: int, seed: int = 0):
    """Rows share their group's level (std 1) plus a little own noise; h says nothing about it."""
    rng = np.random.default_rng(seed)
    groups = np.repeat(np.arange(n_groups), size)
    z = rng.standard_normal(n_groups)[groups] + 0.15 * rng.standard_normal(len(groups))
    h = np.ones((len(groups), 2), dtype=np.float32)
    return z[:, None].astype(np.float32), h, groups


def _group_mean_spread(joint: bool) -> float:
    z, h, groups = _random_effects(300, 5)
    config = DiffusionConfig(hidden=[64, 64], d_time=16, num_steps=20, lr=3e-3, epochs=40, batch_size=256)
    model = LatentDiffusion(1, 2, config, sibling_keys=1 if joint else 0)
    siblings = SiblingContext([groups]) if joint else None
    model.fit(z, h, siblings=siblings, device="cpu", seed=0, progress=False)
    new_groups = np.repeat(np.arange(200), 5)
    sample = model.sample(h[: len(new_groups)], seed=0, siblings=SiblingContext([new_groups]) if joint else None)
    return float(pd.Series(sample[:, 0]).groupby(new_groups).mean().std())


def test_joint_denoising_keeps_what_siblings_share():
    """Real group means spread with std about 1. Drawn independently, five siblings average
    their own draws (std about 1/sqrt(5) = 0.45); denoised jointly they agree on a level."""
    assert _group_mean_spread(joint=False) < 0.6
    assert _group_mean_spread(joint=True) > 0.8


def test_a_joint_model_needs_its_groups_and_samples_deterministically():
    z, h, groups = _random_effects(20, 4)
    config = DiffusionConfig(hidden=[16, 16], d_time=8, num_steps=5, epochs=2, batch_size=32, held_out_fraction=0.2)
    model = LatentDiffusion(1, 2, config, sibling_keys=1)
    with pytest.raises(ValueError, match="SiblingContext"):
        model.fit(z, h, device="cpu", seed=0, progress=False)
    history = model.fit(z, h, siblings=SiblingContext([groups]), device="cpu", seed=0, progress=False)
    assert history["held_out_rows"] == 16
    first = model.sample(h, seed=3, siblings=SiblingContext([groups]))
    assert np.array_equal(first, model.sample(h, seed=3, siblings=SiblingContext([groups])))
    assert not np.array_equal(first, model.sample(h, seed=4, siblings=SiblingContext([groups])))
