"""Conditional latent diffusion (EDM, Karras et al. 2022) over a table's VAE latents.

RGCD generates a table's rows as VAE latents with a diffusion model whose denoiser is
conditioned on each row's GNN embedding ``h``; the latents are then decoded by the VAE.
The parts follow EDM ("Elucidating the Design Space of Diffusion-Based Generative Models")
and TabSyn's MLP denoiser, which the RGCD paper builds on:

* :class:`MLPDenoiser` is the raw network F(x, c_noise, h);
* :class:`EDMPrecond` wraps it with EDM's input/output scalings into the denoiser D(x; sigma);
* :class:`EDMLoss` is EDM's weighted denoising loss with log-normal noise levels;
* :func:`heun_sample` is EDM's deterministic 2nd-order sampler (Algorithm 1);
* :class:`LatentDiffusion` ties them together with latent standardisation and the training
  loop shared by all RGCD components (:mod:`.training`).

Every random draw takes an explicit ``torch.Generator`` so that training and sampling are
reproducible per seed and do not disturb other components' random streams.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np
import torch
from torch import Tensor, nn

from ..errors import SyntheRelaError
from .siblings.context import SiblingContext
from .training import MinibatchTrainingConfig, TrainingLoop, make_generator, minibatches, resolve_device, seed_everything

#: EDM's assumed standard deviation of the data; latents are scaled to it before training.
SIGMA_DATA = 0.5
#: ReduceLROnPlateau's patience in epochs (factor 0.9, as in RGCD).
LR_PATIENCE = 20
#: Rows per forward pass when scoring held-out rows.
_EVAL_CHUNK = 4096
#: Fewest held-out rows worth scoring; smaller tables train on every row.
_MIN_HELD_OUT = 8


class PositionalTimeEmbedding(nn.Module):
    """Sinusoidal features of the noise label ``c_noise`` (EDM/TabSyn ``PositionalEmbedding``).

    Frequencies are geometric from 1 down to ``1 / max_positions`` so the network sees the
    noise level at several resolutions; the output is ``[cos(f * c), sin(f * c)]``.
    """

    def __init__(self, dim: int, max_positions: int = 10000):
        super().__init__()
        if dim % 2:
            raise ValueError(f"time embedding dim must be even, got {dim}")
        self.dim = dim
        self.max_positions = max_positions

    def forward(self, c_noise: Tensor) -> Tensor:
        half = self.dim // 2
        freqs = torch.arange(half, dtype=torch.float32, device=c_noise.device) / half
        freqs = (1.0 / self.max_positions) ** freqs
        angles = torch.outer(c_noise.reshape(-1).float(), freqs)
        return torch.cat([angles.cos(), angles.sin()], dim=1)


class MLPDenoiser(nn.Module):
    """TabSyn's MLP denoiser F(x, c_noise, h) with an added conditioning projection.

    The input projection of x, the time embedding and the projection of h are summed at
    width ``hidden[0]``; an MLP through the remaining widths (SiLU) maps back to ``d_in``.
    With the paper's ``[1024, 2048, 2048, 1024]`` this is exactly TabSyn's network. The
    conditioning projection goes through a SiLU as in the RGCD reference code.
    ``d_cond=0`` gives the unconditional model (tables whose rows have no graph context).
    ``sibling_keys`` > 0 adds the joint-denoising input: per foreign key, the mean of the
    siblings' current noisy latents and their number (see :mod:`.sibling_context`),
    projected like h and added at the same width.
    """

    def __init__(
        self,
        d_in: int,
        d_cond: int,
        hidden: Sequence[int] = (1024, 2048, 2048, 1024),
        d_time: int = 128,
        sibling_keys: int = 0,
    ):
        super().__init__()
        hidden = [int(w) for w in hidden]
        if len(hidden) < 2:
            # With a single width the network would be affine in x: a silent quality trap.
            raise SyntheRelaError(f"diffusion hidden needs at least two widths, got {hidden}")
        self.d_in = d_in
        self.d_cond = d_cond
        width = hidden[0]
        self.proj_x = nn.Linear(d_in, width)
        self.time_embed = nn.Sequential(
            PositionalTimeEmbedding(d_time),
            nn.Linear(d_time, width),
            nn.SiLU(),
            nn.Linear(width, width),
        )
        self.proj_cond = nn.Sequential(nn.Linear(d_cond, width), nn.SiLU()) if d_cond > 0 else None
        self.sibling_keys = sibling_keys
        self.proj_siblings = (
            nn.Sequential(nn.Linear(sibling_keys * (d_in + 1), width), nn.SiLU()) if sibling_keys > 0 else None
        )
        layers: list[nn.Module] = []
        for w_in, w_out in zip(hidden[:-1], hidden[1:]):
            layers += [nn.Linear(w_in, w_out), nn.SiLU()]
        layers.append(nn.Linear(hidden[-1], d_in))
        self.mlp = nn.Sequential(*layers)

    def forward(self, x: Tensor, c_noise: Tensor, h: Tensor | None = None, siblings: Tensor | None = None) -> Tensor:
        out = self.proj_x(x) + self.time_embed(c_noise)
        if self.proj_cond is not None:
            if h is None:
                raise ValueError("this denoiser is conditional: h is required")
            out = out + self.proj_cond(h)
        if self.proj_siblings is not None:
            if siblings is None:
                raise ValueError("this denoiser denoises siblings jointly: their context is required")
            out = out + self.proj_siblings(siblings)
        return self.mlp(out)


class EDMPrecond(nn.Module):
    """EDM preconditioning: D(x; sigma) = c_skip x + c_out F(c_in x, c_noise, h).

    The scalings keep the network's input and target at unit variance for every noise level
    (EDM, Table 1), which is what makes one network work from sigma = 0.002 to 80.
    ``sigma_min``/``sigma_max`` are the noise levels the model supports; the sampler clamps
    its schedule to them.
    """

    def __init__(
        self,
        denoiser: MLPDenoiser,
        sigma_data: float = SIGMA_DATA,
        sigma_min: float = 0.0,
        sigma_max: float = float("inf"),
    ):
        super().__init__()
        self.denoiser = denoiser
        self.sigma_data = sigma_data
        self.sigma_min = sigma_min
        self.sigma_max = sigma_max

    @property
    def d_in(self) -> int:
        return self.denoiser.d_in

    def forward(
        self, x: Tensor, sigma: Tensor | float, h: Tensor | None = None, siblings: tuple[Tensor, Tensor] | None = None
    ) -> Tensor:
        """``siblings``: (means (n, keys, d), others (n, keys)) from :class:`.SiblingContext`;
        the means are noisy latents at this sigma and get x's input scaling, the counts a log."""
        # A scalar sigma (the sampler's case) stays (1, 1): its time embedding is computed once
        # and broadcast over the rows.
        sigma = torch.as_tensor(sigma, dtype=x.dtype, device=x.device).reshape(-1, 1)
        sd2 = self.sigma_data**2
        c_skip = sd2 / (sigma**2 + sd2)
        c_out = sigma * self.sigma_data / (sigma**2 + sd2).sqrt()
        c_in = 1 / (sigma**2 + sd2).sqrt()
        c_noise = sigma.log() / 4
        context = None
        if siblings is not None:
            means, others = siblings
            context = torch.cat([(c_in.unsqueeze(-1) * means).flatten(1), others.log1p()], dim=1)
        return c_skip * x + c_out * self.denoiser(c_in * x, c_noise.reshape(-1), h, context)


class EDMLoss:
    """EDM's training loss: noise levels ln(sigma) ~ N(P_mean, P_std^2), weighted by
    lambda(sigma) = (sigma^2 + sigma_data^2) / (sigma sigma_data)^2 so that every noise level
    contributes a unit-scale loss (EDM, Section 5)."""

    def __init__(self, P_mean: float = -1.2, P_std: float = 1.2, sigma_data: float = SIGMA_DATA):
        self.P_mean = P_mean
        self.P_std = P_std
        self.sigma_data = sigma_data

    def __call__(
        self, precond: EDMPrecond, z0: Tensor, h: Tensor | None, generator: torch.Generator | None = None
    ) -> Tensor:
        sigma, noise = self.draw(z0, generator)
        return self.weighted(precond, z0, h, sigma, noise)

    def draw(self, z0: Tensor, generator: torch.Generator | None = None) -> tuple[Tensor, Tensor]:
        """A noise level per row and the Gaussian noise, on ``z0``'s device."""
        device = generator.device if generator is not None else z0.device
        rnd = torch.randn((z0.shape[0], 1), generator=generator, device=device).to(z0.device)
        noise = torch.randn(z0.shape, generator=generator, device=device).to(z0.device)
        return (rnd * self.P_std + self.P_mean).exp(), noise

    def weighted(
        self,
        precond: EDMPrecond,
        z0: Tensor,
        h: Tensor | None,
        sigma: Tensor,
        noise: Tensor,
        siblings: tuple[Tensor, Tensor] | None = None,
    ) -> Tensor:
        """The loss for given noise levels and noise (fixed draws make a deterministic estimate);
        ``siblings`` is the rows' sibling context drawn at the same ``sigma``."""
        weight = (sigma**2 + self.sigma_data**2) / (sigma * self.sigma_data) ** 2
        denoised = precond(z0 + noise * sigma, sigma, h, siblings)
        return (weight * (denoised - z0) ** 2).mean()


class HeldOutLoss:
    """EDM's loss on rows the model never trains on, with noise drawn once, so that successive
    epochs are compared on identical draws.

    A diffusion model that trains long on a small table (Walmart's 225 ``features`` rows
    see each row thousands of times in the ``cpu`` budget) learns to reproduce its training
    rows: the training loss keeps falling while the loss on unseen rows rises. Keeping the
    weights with the best held-out loss stops at the point where the model still generalises.
    Each held-out row is scored under ``repeats`` noise draws (up to ``max_draws`` in all) to
    make the estimate steady on tables with a few dozen held-out rows. With ``siblings`` (the
    table's :class:`.SiblingContext`, its sums fitted) and the held-out ``rows`` of the table,
    each draw's sibling context is drawn once too.
    """

    def __init__(
        self,
        loss: EDMLoss,
        z: Tensor,
        h: Tensor | None,
        generator: torch.Generator,
        repeats: int = 16,
        max_draws: int = 8192,
        siblings: SiblingContext | None = None,
        rows: Tensor | None = None,
    ):
        repeats = max(1, min(repeats, max_draws // max(len(z), 1)))
        self.loss = loss
        self.z = z.repeat(repeats, 1)
        self.h = h.repeat(repeats, 1) if h is not None else None
        self.sigma, self.noise = loss.draw(self.z, generator)
        self.siblings = None
        if siblings is not None:
            if rows is None:
                raise ValueError("held-out rows are needed to draw their sibling context")
            self.siblings = siblings.noisy(rows.repeat(repeats), self.z, self.sigma, generator)

    @torch.no_grad()
    def __call__(self, precond: EDMPrecond) -> float:
        total = 0.0
        for start in range(0, len(self.z), _EVAL_CHUNK):
            part = slice(start, start + _EVAL_CHUNK)
            h = self.h[part] if self.h is not None else None
            siblings = tuple(c[part] for c in self.siblings) if self.siblings is not None else None
            total += self.loss.weighted(
                precond, self.z[part], h, self.sigma[part], self.noise[part], siblings
            ).item() * len(self.z[part])
        return total / len(self.z)


def held_out_split(n: int, fraction: float, generator: torch.Generator) -> tuple[Tensor, Tensor | None]:
    """(train rows, held-out rows or None): ``fraction`` of ``n`` rows, at least 8 and at most
    half of them; None when the fraction is 0 or the table is too small to spare 8 rows."""
    n_held = int(round(fraction * n))
    if fraction <= 0 or n < 2 * _MIN_HELD_OUT:
        return torch.arange(n), None
    n_held = min(max(n_held, _MIN_HELD_OUT), n // 2)
    order = torch.randperm(n, generator=generator)
    return order[n_held:].sort().values, order[:n_held].sort().values


def _device_of(module: nn.Module) -> torch.device:
    param = next(module.parameters(), None)
    return param.device if param is not None else torch.device("cpu")


@torch.no_grad()
def heun_sample(
    precond: EDMPrecond,
    h: Tensor | None,
    num_steps: int = 50,
    sigma_min: float = 0.002,
    sigma_max: float = 80.0,
    rho: float = 7.0,
    generator: torch.Generator | None = None,
    batch_size: int = 4096,
    num_samples: int | None = None,
    noise: Tensor | None = None,
    siblings: SiblingContext | None = None,
    s_churn: float = 0.0,
) -> Tensor:
    """EDM's Heun sampler (Algorithm 2; with ``s_churn = 0``, Algorithm 1's deterministic one);
    one sample per row of h.

    The whole table moves one noise level at a time (rows in chunks of ``batch_size``, which
    only bounds memory), so that with ``siblings`` every row's denoiser sees its siblings'
    state at the same level (joint denoising, :mod:`.sibling_context`). ``s_churn`` > 0 adds
    fresh noise before each step (raising sigma by ``min(s_churn / num_steps, sqrt(2) - 1)``),
    the stochastic sampler of EDM that the RGCD research code uses with ``s_churn = 1``.
    All noise is drawn on the CPU from ``generator``, so the output depends only on the seed,
    not on ``batch_size`` or the device. ``num_samples`` is needed only when ``h`` is None
    (unconditional model). ``noise`` (n, d_in), standard normal per entry, replaces the drawn
    starting noise (sibling-correlated noise, see :mod:`.sibling_noise`). Returns a float32
    CPU tensor ``(n, precond.d_in)``.
    """
    if num_steps < 2:
        raise ValueError(f"num_steps must be at least 2, got {num_steps}")
    n = h.shape[0] if h is not None else num_samples
    if n is None:
        raise ValueError("num_samples is required when h is None")
    if siblings is not None and len(siblings) != n:
        raise ValueError(f"sibling groups cover {len(siblings)} rows, expected {n}")
    device = _device_of(precond)
    sigma_min = max(sigma_min, precond.sigma_min)
    sigma_max = min(sigma_max, precond.sigma_max)
    steps = torch.arange(num_steps, dtype=torch.float64) / (num_steps - 1)
    t_steps = (sigma_max ** (1 / rho) + steps * (sigma_min ** (1 / rho) - sigma_max ** (1 / rho))) ** rho
    t_steps = torch.cat([t_steps, torch.zeros(1, dtype=torch.float64)]).tolist()
    gamma = min(s_churn / num_steps, math.sqrt(2) - 1) if s_churn > 0 else 0.0

    if noise is None:
        noise = torch.randn((n, precond.d_in), generator=generator)
    elif tuple(noise.shape) != (n, precond.d_in):
        raise ValueError(f"noise has shape {tuple(noise.shape)}, expected {(n, precond.d_in)}")
    h = h.to(device, torch.float32) if h is not None else None
    x = noise.to(device) * t_steps[0]

    def denoised(state: Tensor, sigma: float) -> Tensor:
        context = siblings.current(state) if siblings is not None else None
        out = torch.empty_like(state)
        for start in range(0, n, batch_size):
            part = slice(start, start + batch_size)
            out[part] = precond(
                state[part], sigma, h[part] if h is not None else None,
                tuple(c[part] for c in context) if context is not None else None,
            )
        return out

    for i, (t_cur, t_next) in enumerate(zip(t_steps[:-1], t_steps[1:])):
        if gamma > 0:
            t_hat = t_cur * (1 + gamma)
            x = x + math.sqrt(t_hat**2 - t_cur**2) * torch.randn(x.shape, generator=generator).to(device)
            t_cur = t_hat
        d_cur = (x - denoised(x, t_cur)) / t_cur
        x_next = x + (t_next - t_cur) * d_cur
        if i < num_steps - 1:  # 2nd-order correction, skipped on the final step to sigma = 0
            d_prime = (x_next - denoised(x_next, t_next)) / t_next
            x_next = x + (t_next - t_cur) * (0.5 * d_cur + 0.5 * d_prime)
        x = x_next
    return x.float().cpu()


@dataclass
class DiffusionConfig(MinibatchTrainingConfig):
    """Settings of one table's latent diffusion model; defaults are the paper's (Table 4).

    ``d_time`` is the number of sinusoidal channels of the noise label, which a 2-layer MLP
    lifts to ``hidden[0]``. TabSyn ties it to ``hidden[0]`` (1024), but ``c_noise`` only spans
    about [-3, 3], where channels beyond ~128 are nearly constant, so 128 loses nothing and
    keeps the time MLP small for narrow CPU models.
    ``batch_size`` 4096 is TabSyn's/RGCD's; it is also the sampler's batch (memory only).
    ``held_out_fraction`` of the rows (0 in the paper, which trains on all of them) are kept
    out of training; the weights with the best loss on them are kept and early stopping
    watches it (see :class:`HeldOutLoss`).
    ``grad_clip`` caps the gradient norm of each step (None: no cap, as in the paper). At the
    cpu profile's lr 0.003 AirBnB's sessions model diverged after 66 epochs without it: the
    loss jumped from 0.27 to 1.0 (the denoiser's output collapsed) and every later epoch ran
    six times slower (1.2 s -> 7-8 s per epoch), a third of the whole fit wasted.
    ``standardize_condition`` scales each dimension of h to mean 0 and std 1 on the training
    rows (the research code's ``StandardScaler`` on its embeddings); the raw GNN embeddings
    differ in scale by orders of magnitude between tables (std about 20 per dimension on
    Walmart ``stores``, 0.1 on AirBnB ``sessions``). The statistics are buffers, saved with
    the model and applied at sampling.
    ``ema_decay`` keeps an exponential moving average of the weights (with the usual warm-up,
    ``min(decay, (1 + step) / (10 + step))``); it is the average, not the last iterate, that
    is scored every epoch and kept at its best. None: no averaging, as in the paper.
    ``s_churn`` makes the sampler stochastic (EDM's Algorithm 2; the research code's sampler
    uses 1); 0 is the deterministic Heun sampler.
    """

    hidden: list[int] = field(default_factory=lambda: [1024, 2048, 2048, 1024])
    d_time: int = 128
    weight_decay: float = 1e-6
    num_steps: int = 50
    held_out_fraction: float = 0.0
    grad_clip: float | None = None
    standardize_condition: bool = False
    ema_decay: float | None = None
    s_churn: float = 0.0

    def __post_init__(self) -> None:
        self.hidden = [int(width) for width in self.hidden]


def _as_float_tensor(x: np.ndarray | Tensor) -> Tensor:
    return torch.as_tensor(np.asarray(x) if not isinstance(x, Tensor) else x.detach()).float().cpu()


#: Rows x sampler steps one table's draw may take: drawing cost grows with both, and at the cpu
#: width 50 steps for IMDB's million ratings took about 25 minutes on one core.
SAMPLER_ROW_STEPS = 10_000_000
MIN_SAMPLER_STEPS = 10


def sampler_steps(configured: int, rows: int) -> int:
    """The configured sampler steps, fewer for a table so big that drawing it would cost more
    than :data:`SAMPLER_ROW_STEPS` (at least :data:`MIN_SAMPLER_STEPS`): cost follows rows."""
    if rows * configured <= SAMPLER_ROW_STEPS:
        return configured
    return max(min(configured, SAMPLER_ROW_STEPS // max(rows, 1)), min(MIN_SAMPLER_STEPS, configured))


class LatentDiffusion(nn.Module):
    """One table's conditional latent diffusion model: standardisation + EDM denoiser.

    The latent and conditioning means and stds are buffers, so ``state_dict`` holds everything
    sampling needs: ``LatentDiffusion(d_in, d_cond, config, sibling_keys).load_state_dict(sd)``
    restores the model exactly. ``sibling_keys`` > 0 makes the denoiser joint over siblings
    (one grouping per foreign key, :mod:`.sibling_context`); ``fit`` and ``sample`` then take
    the table's :class:`.SiblingContext`.
    """

    def __init__(self, d_in: int, d_cond: int, config: DiffusionConfig | None = None, sibling_keys: int = 0):
        super().__init__()
        self.config = config or DiffusionConfig()
        self.d_in = d_in
        self.d_cond = d_cond
        self.sibling_keys = sibling_keys
        denoiser = MLPDenoiser(d_in, d_cond, self.config.hidden, self.config.d_time, sibling_keys)
        self.precond = EDMPrecond(denoiser, sigma_data=SIGMA_DATA)
        self.register_buffer("z_mean", torch.zeros(d_in))
        self.register_buffer("z_std", torch.ones(d_in))
        self.register_buffer("h_mean", torch.zeros(d_cond))
        self.register_buffer("h_std", torch.ones(d_cond))

    def _check_siblings(self, n: int, siblings: SiblingContext | None) -> SiblingContext | None:
        if self.sibling_keys == 0:
            return None  # a model without the joint input ignores any grouping it is given
        if siblings is None or siblings.n_keys != self.sibling_keys or len(siblings) != n:
            raise ValueError(f"this model denoises siblings jointly over {self.sibling_keys} foreign key(s): "
                             f"a SiblingContext with {n} rows is required")
        return siblings

    def _check_inputs(self, n: int, h: np.ndarray | Tensor | None) -> Tensor | None:
        if self.d_cond == 0:
            if h is not None:
                raise ValueError("unconditional model (d_cond=0) got a conditioning h")
            return None
        if h is None:
            raise ValueError(f"conditional model needs h of shape (n, {self.d_cond})")
        h = _as_float_tensor(h)
        if h.shape != (n, self.d_cond):
            raise ValueError(f"h has shape {tuple(h.shape)}, expected ({n}, {self.d_cond})")
        return (h - self.h_mean.cpu()) / self.h_std.cpu()

    def fit(
        self,
        z: np.ndarray | Tensor,
        h: np.ndarray | Tensor | None = None,
        *,
        siblings: SiblingContext | None = None,
        device: str | torch.device | None = "auto",
        seed: int = 0,
        progress: bool = True,
    ) -> dict[str, Any]:
        """Train from a fresh, seed-determined initialisation on latents ``z`` (n, d_in)
        conditioned on ``h`` (n, d_cond; None when d_cond = 0), with the rows' sibling groups
        ``siblings`` when the model denoises them jointly.

        Latents are scaled per dimension to mean 0 and std ``sigma_data``, the data scale EDM's
        preconditioning assumes (RGCD/TabSyn divide by 2 for the same reason). The weights with
        the lowest epoch loss are kept - the loss on held-out rows when the config holds some
        out, of the moving average when there is one. Returns the history: per-epoch ``loss``
        (and ``held_out_loss``, with ``held_out_rows``), ``best_epoch``, ``best_loss`` (of the
        monitored loss), ``epochs`` run, ``steps``, ``stopped`` (why) and ``seconds``.
        """
        cfg = self.config
        z = _as_float_tensor(z)
        if z.ndim != 2 or z.shape[1] != self.d_in:
            raise ValueError(f"z has shape {tuple(z.shape)}, expected (n, {self.d_in})")
        siblings = self._check_siblings(z.shape[0], siblings)
        if h is not None and cfg.standardize_condition:
            h_raw = _as_float_tensor(h)
            std = h_raw.std(0, correction=0)
            self.h_mean.copy_(h_raw.mean(0))
            self.h_std.copy_(torch.where(std > 1e-8, std, torch.ones_like(std)))
        h = self._check_inputs(z.shape[0], h)
        device = resolve_device(device)

        seed_everything(seed)
        for module in self.precond.modules():
            if isinstance(module, nn.Linear):
                module.reset_parameters()
        std = z.std(0, correction=0)
        self.z_mean.copy_(z.mean(0))
        self.z_std.copy_(torch.where(std > 1e-8, std, torch.ones_like(std)))
        self.to(device)
        z_train = ((z.to(device) - self.z_mean) / self.z_std * SIGMA_DATA).contiguous()
        if siblings is not None:
            siblings.fit(z_train.cpu())  # every row's latent counts as a sibling, held out or not
        h_train = h.to(device) if h is not None else None
        train_rows, held_rows = held_out_split(len(z_train), cfg.held_out_fraction, make_generator(seed + 2))
        loss_fn = EDMLoss(sigma_data=SIGMA_DATA)
        held_out = None
        if held_rows is not None:
            held_out = HeldOutLoss(loss_fn, z_train[held_rows.to(device)],
                                   h_train[held_rows.to(device)] if h_train is not None else None,
                                   make_generator(seed + 3, device), siblings=siblings, rows=held_rows)
            z_train = z_train[train_rows.to(device)]
            h_train = h_train[train_rows.to(device)] if h_train is not None else None

        optimizer = torch.optim.AdamW(self.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
        scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(
            optimizer, factor=0.9, patience=LR_PATIENCE
        )
        average = _MovingAverage(self, cfg.ema_decay) if cfg.ema_decay else None
        batch_generator = make_generator(seed)
        noise_generator = make_generator(seed + 1, device)
        n = z_train.shape[0]
        loop = TrainingLoop(self, cfg.epochs, "diffusion", progress=progress, patience=cfg.early_stop_patience,
                            max_steps=cfg.max_steps, time_budget=cfg.time_budget, stop_on_divergence=True,
                            planned_epochs=cfg.planned_epochs(n))
        self.train()
        for _ in loop:
            total, seen, steps = 0.0, 0, 0
            for idx in minibatches(n, cfg.batch_size, batch_generator, cfg.min_steps_per_epoch, cfg.max_steps_per_epoch):
                idx = idx.to(device)
                h_batch = h_train[idx] if h_train is not None else None
                z_batch = z_train[idx]
                sigma, noise = loss_fn.draw(z_batch, noise_generator)
                context = siblings.noisy(train_rows[idx.cpu()], z_batch, sigma, noise_generator) if siblings else None
                loss = loss_fn.weighted(self.precond, z_batch, h_batch, sigma, noise, context)
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                if cfg.grad_clip is not None:
                    nn.utils.clip_grad_norm_(self.parameters(), cfg.grad_clip)
                optimizer.step()
                if average is not None:
                    average.update(self, loop.steps + steps)
                total += loss.item() * len(idx)
                seen += len(idx)
                steps += 1
            epoch_loss = total / max(seen, 1)
            scheduler.step(epoch_loss)
            scored = average.model if average is not None else self
            if held_out is not None:
                monitored = held_out(scored.precond)
                loop.record(monitored, steps=steps, scored=scored, loss=epoch_loss, held_out_loss=monitored)
            else:
                loop.record(epoch_loss, steps=steps, scored=scored, loss=epoch_loss)
        history = loop.finish()
        if held_rows is not None:
            history["held_out_rows"] = len(held_rows)
        return history

    def sample(
        self,
        h: np.ndarray | Tensor | None = None,
        seed: int = 0,
        num_steps: int | None = None,
        num_samples: int | None = None,
        noise: Tensor | None = None,
        siblings: SiblingContext | None = None,
    ) -> np.ndarray:
        """Draw one latent per row of ``h`` (or ``num_samples`` latents when unconditional),
        in the original latent scale, ready for the VAE decoder. Same seed, same output;
        ``noise`` overrides the starting noise (see :func:`heun_sample`); ``siblings`` groups
        the new rows when the model denoises them jointly."""
        n = len(h) if h is not None else (num_samples or 0)
        num_steps = num_steps or sampler_steps(self.config.num_steps, n)
        h = self._check_inputs(len(h) if h is not None else 0, h)
        siblings = self._check_siblings(n, siblings)
        self.eval()
        z = heun_sample(
            self.precond,
            h,
            num_steps=num_steps,
            generator=make_generator(seed),
            batch_size=self.config.batch_size,
            num_samples=num_samples,
            noise=noise,
            siblings=siblings,
            s_churn=self.config.s_churn,
        )
        return (z / SIGMA_DATA * self.z_std.cpu() + self.z_mean.cpu()).numpy()


class _MovingAverage:
    """An exponential moving average of a module's weights, kept in a copy of the module (whose
    state dict the caller can score and keep) - the averaging of EDM/TabSyn's training."""

    def __init__(self, module: nn.Module, decay: float):
        self.decay = float(decay)
        self.model = copy.deepcopy(module)
        self.model.eval()
        for param in self.model.parameters():
            param.requires_grad_(False)

    @torch.no_grad()
    def update(self, module: nn.Module, step: int) -> None:
        decay = min(self.decay, (1 + step) / (10 + step))
        for average, current in zip(self.model.parameters(), module.parameters()):
            average.lerp_(current, 1.0 - decay)
