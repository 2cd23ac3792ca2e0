"""EDM conditional latent diffusion: formulas, sampler determinism and small end-to-end fits."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch import nn

from syntherela_rgcd.rgcd.diffusion import (
    DiffusionConfig,
    EDMLoss,
    EDMPrecond,
    HeldOutLoss,
    LatentDiffusion,
    MLPDenoiser,
    PositionalTimeEmbedding,
    held_out_split,
    heun_sample,
)
from syntherela_rgcd.rgcd.training import diverged, make_generator

from rgcd_helpers import single_torch_thread  # noqa: F401 (autouse fixture)

SMALL = dict(hidden=[128, 128], d_time=32, num_steps=30, lr=3e-3)




class _RecordingDenoiser(nn.Module):
    """F that returns ones and remembers its inputs, to read off EDM's scalings."""

    d_in = 3

    def forward(self, x, c_noise, h=None, siblings=None):
        self.x_in, self.c_noise = x, c_noise
        return torch.ones_like(x)


class _GaussianPrecond(nn.Module):
    """The exact denoiser of N(0, s^2) data: D(x; sigma) = x s^2 / (s^2 + sigma^2)."""

    d_in = 2
    sigma_min, sigma_max = 0.0, float("inf")

    def __init__(self, s: float):
        super().__init__()
        self.s = s

    def forward(self, x, sigma, h=None, siblings=None):
        return x * self.s**2 / (self.s**2 + sigma**2)


def test_time_embedding_shape_and_range():
    emb = PositionalTimeEmbedding(16)(torch.linspace(-3, 3, 5))
    assert emb.shape == (5, 16)
    assert emb.abs().max() <= 1.0
    assert torch.allclose(emb[:, :8] ** 2 + emb[:, 8:] ** 2, torch.ones(5, 8))


def test_edm_preconditioning_at_sigma_data():
    precond = EDMPrecond(_RecordingDenoiser(), sigma_data=0.5)
    x = torch.randn(4, 3)
    out = precond(x, torch.full((4,), 0.5))
    # sigma = sigma_data: c_skip = 1/2, c_out = sigma_data / sqrt(2), c_in = 1 / (sigma_data sqrt(2))
    assert torch.allclose(out, 0.5 * x + 0.5 / math.sqrt(2), atol=1e-6)
    assert torch.allclose(precond.denoiser.x_in, x / (0.5 * math.sqrt(2)), atol=1e-6)
    assert torch.allclose(precond.denoiser.c_noise, torch.full((4,), math.log(0.5) / 4))
    # A scalar sigma (the sampler's case) is broadcast over the rows.
    assert torch.allclose(precond(x, 0.5), out)
    # Large sigma: the skip connection vanishes and D is sigma_data * F.
    assert torch.allclose(precond(x, 1e4), torch.full((4, 3), 0.5), atol=1e-4)


def test_denoiser_shapes_and_conditioning_required():
    net = MLPDenoiser(5, 3, hidden=[16, 32, 16], d_time=8)
    assert net(torch.randn(7, 5), torch.randn(7), torch.randn(7, 3)).shape == (7, 5)
    with pytest.raises(ValueError):
        net(torch.randn(7, 5), torch.randn(7))
    unconditional = MLPDenoiser(5, 0, hidden=[16, 16], d_time=8)
    assert unconditional(torch.randn(7, 5), torch.randn(7)).shape == (7, 5)


def test_edm_loss_deterministic_per_generator():
    precond = EDMPrecond(MLPDenoiser(2, 0, hidden=[8, 8], d_time=8))
    z0 = torch.randn(32, 2)
    a = EDMLoss()(precond, z0, None, make_generator(1))
    b = EDMLoss()(precond, z0, None, make_generator(1))
    c = EDMLoss()(precond, z0, None, make_generator(2))
    assert a.ndim == 0 and a == b and a != c


def test_heun_sampler_recovers_gaussian_with_exact_denoiser():
    precond = _GaussianPrecond(0.7)
    samples = heun_sample(precond, None, num_steps=50, generator=make_generator(0), num_samples=20000)
    assert samples.shape == (20000, 2)
    assert samples.std(0).sub(0.7).abs().max() < 0.02
    assert samples.mean(0).abs().max() < 0.02


def test_sampler_deterministic_per_seed_and_batch_independent():
    precond = EDMPrecond(MLPDenoiser(3, 4, hidden=[16, 16], d_time=8))
    h = torch.randn(50, 4)
    a = heun_sample(precond, h, num_steps=5, generator=make_generator(3), batch_size=64)
    b = heun_sample(precond, h, num_steps=5, generator=make_generator(3), batch_size=7)
    c = heun_sample(precond, h, num_steps=5, generator=make_generator(4))
    assert a.shape == (50, 3)
    assert torch.allclose(a, b, atol=1e-6)
    assert not torch.allclose(a, c)


def test_config_from_dict_ignores_unknown_keys():
    cfg = DiffusionConfig.from_dict({"hidden": (256, 512), "epochs": 10, "vae_lr": 1.0})
    assert cfg.hidden == [256, 512] and cfg.epochs == 10 and cfg.lr == 1e-3


def _two_clusters(n: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    cluster = rng.integers(0, 2, n)
    centres_h = np.array([[1.0, 0.0, 0.0, 0.0], [-1.0, 0.0, 0.0, 0.0]])
    centres_z = np.array([[3.0, -2.0], [-3.0, 2.0]])
    h = centres_h[cluster] + 0.1 * rng.standard_normal((n, 4))
    z = centres_z[cluster] + 0.3 * rng.standard_normal((n, 2))
    return z.astype(np.float32), h.astype(np.float32), cluster, centres_z


@pytest.fixture(scope="module")
def conditional_model():
    z, h, cluster, centres = _two_clusters(1024)
    model = LatentDiffusion(2, 4, DiffusionConfig(**SMALL, epochs=60, batch_size=256))
    history = model.fit(z, h, device="cpu", seed=0, progress=False)
    return model, history, h, cluster, centres


def test_conditional_fit_learns_the_conditioning(conditional_model):
    model, history, h, cluster, centres = conditional_model
    assert history["epochs"] == 60 and history["loss"][-1] < history["loss"][0]
    samples = model.sample(h, seed=0)
    assert samples.shape == (len(h), 2)
    for k in (0, 1):
        mean = samples[cluster == k].mean(0)
        assert np.abs(mean - centres[k]).max() < 0.5
        assert np.abs(mean - centres[1 - k]).min() > 3.0


def test_state_dict_round_trip_and_seeded_sampling(conditional_model):
    model, _, h, _, _ = conditional_model
    clone = LatentDiffusion(2, 4, model.config)
    clone.load_state_dict(model.state_dict())
    np.testing.assert_array_equal(clone.sample(h[:100], seed=5), model.sample(h[:100], seed=5))
    assert not np.allclose(model.sample(h[:100], seed=6), model.sample(h[:100], seed=5))


def test_unconditional_fit_recovers_both_modes():
    rng = np.random.default_rng(1)
    z = np.where(rng.random(2000) < 0.5, -2.0, 2.0) + 0.2 * rng.standard_normal(2000)
    model = LatentDiffusion(1, 0, DiffusionConfig(**SMALL, epochs=60, batch_size=256))
    model.fit(z[:, None], None, device="cpu", seed=0, progress=False)
    samples = model.sample(None, seed=0, num_samples=2000)[:, 0]
    assert 0.35 < (samples > 0).mean() < 0.65
    assert np.abs(np.abs(samples) - 2.0).mean() < 0.3  # mass sits at the modes, not between them


def test_fit_is_deterministic_and_respects_early_stopping():
    z, h, _, _ = _two_clusters(200)
    cfg = DiffusionConfig(**SMALL, epochs=50, batch_size=64, early_stop_patience=1)
    runs = [LatentDiffusion(2, 4, cfg) for _ in range(2)]
    histories = [m.fit(z, h, device="cpu", seed=3, progress=False) for m in runs]
    assert histories[0]["loss"] == histories[1]["loss"]
    assert histories[0]["stopped"] == "early stopping" and histories[0]["epochs"] < 50
    np.testing.assert_array_equal(runs[0].sample(h, seed=0), runs[1].sample(h, seed=0))


def test_held_out_split_sizes_and_disjointness():
    train, held = held_out_split(1000, 0.1, make_generator(0))
    assert len(held) == 100 and len(train) == 900
    assert set(train.tolist()).isdisjoint(held.tolist()) and len(set(train.tolist()) | set(held.tolist())) == 1000
    assert torch.equal(held, held_out_split(1000, 0.1, make_generator(0))[1])
    assert len(held_out_split(40, 0.1, make_generator(0))[1]) == 8  # at least 8 rows held out
    assert held_out_split(15, 0.1, make_generator(0))[1] is None  # too small to spare them
    assert held_out_split(1000, 0.0, make_generator(0))[1] is None


def test_held_out_loss_is_fixed_across_calls_and_seeded():
    z, h, _, _ = _two_clusters(50)
    precond = EDMPrecond(MLPDenoiser(2, 4, [16, 16], d_time=8))
    z, h = torch.as_tensor(z), torch.as_tensor(h)
    loss = HeldOutLoss(EDMLoss(), z, h, make_generator(1), repeats=4)
    assert len(loss.z) == 200 and loss(precond) == loss(precond)
    assert HeldOutLoss(EDMLoss(), z, h, make_generator(1), repeats=4)(precond) == loss(precond)
    assert HeldOutLoss(EDMLoss(), z, h, make_generator(2), repeats=4)(precond) != loss(precond)


def test_fit_keeps_the_weights_with_the_best_held_out_loss():
    z, h, _, _ = _two_clusters(200)
    cfg = DiffusionConfig(**SMALL, epochs=15, batch_size=64, held_out_fraction=0.2)
    model = LatentDiffusion(2, 4, cfg)
    history = model.fit(z, h, device="cpu", seed=0, progress=False)
    assert history["held_out_rows"] == 40 and len(history["held_out_loss"]) == history["epochs"] == 15
    assert history["best_epoch"] == int(np.argmin(history["held_out_loss"]))
    assert history["best_loss"] == min(history["held_out_loss"])
    # The restored weights are the best epoch's: scoring the held-out rows again gives its loss.
    train, held = held_out_split(200, 0.2, make_generator(2))
    z_scaled = (torch.as_tensor(z) - model.z_mean) / model.z_std * 0.5
    rescored = HeldOutLoss(EDMLoss(), z_scaled[held], torch.as_tensor(h)[held], make_generator(3))(model.precond)
    assert rescored == pytest.approx(history["best_loss"], rel=1e-5)


def test_divergence_is_detected():
    assert diverged(float("nan"), 0.3) and diverged(float("inf"), 0.3)
    assert diverged(0.7, 0.3) and not diverged(0.5, 0.3)
    assert not diverged(0.9, float("inf")), "no best loss yet: nothing to compare with"


def test_a_diverging_fit_stops_and_keeps_its_best_weights():
    """An absurd lr blows the loss up; training stops as soon as it does instead of spending
    the rest of its steps, and the weights come from the best epoch before it."""
    z, h, _, _ = _two_clusters(200)
    cfg = DiffusionConfig(**{**SMALL, "lr": 5.0}, epochs=200, batch_size=64)
    history = LatentDiffusion(2, 4, cfg).fit(z, h, device="cpu", seed=0, progress=False)
    assert history["stopped"] == "diverged" and history["epochs"] < 200
    assert history["best_loss"] == min(history["loss"]) and diverged(history["loss"][-1], history["best_loss"])


def test_gradient_clipping_changes_training_and_stays_deterministic():
    z, h, _, _ = _two_clusters(200)
    clipped = DiffusionConfig(**SMALL, epochs=5, batch_size=64, grad_clip=0.01)
    free = DiffusionConfig(**SMALL, epochs=5, batch_size=64)
    first, second = (LatentDiffusion(2, 4, clipped).fit(z, h, device="cpu", seed=0, progress=False) for _ in range(2))
    unclipped = LatentDiffusion(2, 4, free).fit(z, h, device="cpu", seed=0, progress=False)
    assert first["loss"] == second["loss"] and first["loss"] != unclipped["loss"]


def test_sampler_steps_follow_rows_for_very_big_tables():
    from syntherela_rgcd.rgcd.diffusion import MIN_SAMPLER_STEPS, SAMPLER_ROW_STEPS, sampler_steps

    assert sampler_steps(50, 1_000) == 50 and sampler_steps(50, SAMPLER_ROW_STEPS // 50) == 50
    assert sampler_steps(50, 400_000) == SAMPLER_ROW_STEPS // 400_000 < 50
    assert sampler_steps(50, 10**8) == MIN_SAMPLER_STEPS
    assert sampler_steps(8, 10**8) == 8, "a smoke run's few steps are never raised"
