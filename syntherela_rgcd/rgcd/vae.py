"""TabSyn-style transformer VAE: one table row <-> a flat latent vector (TabSyn's, as the RGCD paper uses it).

Each model column of a row (see ``encoding.TableEncoder``) becomes a token of ``d_token``
values; a transformer encoder gives every token a Gaussian posterior and a transformer
decoder reconstructs each column from its own token. A row's latent is the posterior mean
of its column tokens, flattened, which gives the diffusion model one fixed-size continuous
vector per row whatever mix of numerical and categorical columns the table has.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor, nn
from torch.nn import functional as F

from .training import MinibatchTrainingConfig, TrainingLoop, make_generator, minibatches, seed_everything

# Rows per forward pass in the inference helpers, to bound memory on big tables.
_CHUNK = 16384
# Categorical logits one decoding pass may hold (32 MB of floats): with wide columns (F1's
# pit_stops: 1,849 + 2,049 categories) a 16,384-row pass held 256 MB of them at the smoke
# run's memory peak, so the rows per pass shrink as the columns widen.
_LOGIT_CELLS = 8 * 2**20
#: The KL weight's schedule (the paper's Table 4): from BETA_MAX, times BETA_DECAY after every
#: BETA_PATIENCE epochs without improvement, never below BETA_MIN.
BETA_MAX, BETA_MIN, BETA_DECAY, BETA_PATIENCE = 1e-2, 1e-5, 0.7, 10


class Tokenizer(nn.Module):
    """Row -> tokens: [CLS], one per numerical column (a learned vector scaled by the value,
    plus a bias) and one per categorical column (an embedding plus a bias).
    Output shape (n, 1 + n_num + n_cat, d_token)."""

    def __init__(self, n_num: int, cardinalities: list[int], d_token: int):
        super().__init__()
        self.d_token = d_token
        # Row 0 is the [CLS] token: a numerical token whose "value" is always 1.
        self.weight = nn.Parameter(torch.empty(n_num + 1, d_token))
        self.bias = nn.Parameter(torch.empty(n_num + len(cardinalities), d_token))
        nn.init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        nn.init.kaiming_uniform_(self.bias, a=math.sqrt(5))
        self.embedding = nn.Embedding(sum(cardinalities), d_token) if cardinalities else None
        if self.embedding is not None:
            nn.init.kaiming_uniform_(self.embedding.weight, a=math.sqrt(5))
        # All categorical columns share one embedding table; each column's codes are shifted.
        offsets = torch.tensor([0] + list(cardinalities[:-1]), dtype=torch.long).cumsum(0)
        self.register_buffer("offsets", offsets[: len(cardinalities)])

    def forward(self, x_num: Tensor, x_cat: Tensor) -> Tensor:
        ones = torch.ones(len(x_num), 1, dtype=self.weight.dtype, device=self.weight.device)
        tokens = self.weight[None] * torch.cat([ones, x_num], dim=1)[:, :, None]
        if self.embedding is not None:
            tokens = torch.cat([tokens, self.embedding(x_cat + self.offsets[None])], dim=1)
        bias = torch.cat([self.bias.new_zeros(1, self.d_token), self.bias])
        return tokens + bias[None]


def _transformer(d_token: int, n_layers: int, hidden: int, n_heads: int) -> nn.TransformerEncoder:
    layer = nn.TransformerEncoderLayer(d_token, n_heads, dim_feedforward=hidden, dropout=0.0, batch_first=True)
    return nn.TransformerEncoder(layer, n_layers, enable_nested_tensor=False)


class VAE(nn.Module):
    """Tokenizer + transformer encoder (separate mean and log-variance stacks, as in TabSyn)
    + transformer decoder with one linear head per column (softmax logits for categoricals)."""

    def __init__(
        self,
        n_num: int,
        cardinalities: list[int],
        d_token: int = 4,
        n_layers: int = 2,
        hidden: int = 128,
        n_heads: int = 1,
    ):
        super().__init__()
        if n_num + len(cardinalities) == 0:
            raise ValueError("a VAE needs at least one numerical or categorical column")
        self.n_num = n_num
        self.cardinalities = list(cardinalities)
        self.d_token = d_token
        self.tokenizer = Tokenizer(n_num, self.cardinalities, d_token)
        # Each stack ends in a linear layer so that mean and log-variance are not confined to
        # the output of a layer norm.
        self.encoder_mu = nn.Sequential(_transformer(d_token, n_layers, hidden, n_heads), nn.Linear(d_token, d_token))
        self.encoder_logvar = nn.Sequential(
            _transformer(d_token, n_layers, hidden, n_heads), nn.Linear(d_token, d_token)
        )
        self.decoder = _transformer(d_token, n_layers, hidden, n_heads)
        self.num_weight = nn.Parameter(torch.empty(n_num, d_token))
        self.num_bias = nn.Parameter(torch.zeros(n_num))
        if n_num:
            nn.init.xavier_uniform_(self.num_weight)
        self.cat_heads = nn.ModuleList(nn.Linear(d_token, card) for card in self.cardinalities)

    @property
    def latent_dim(self) -> int:
        return (self.n_num + len(self.cardinalities)) * self.d_token

    def forward(self, x_num: Tensor, x_cat: Tensor) -> tuple[Tensor, list[Tensor], Tensor, Tensor]:
        """Reconstruction of a batch through a sampled latent.

        Returns (recon_num (n, n_num), one logits tensor per categorical column, mu, logvar);
        mu and logvar have shape (n, 1 + n_num + n_cat, d_token), the [CLS] token first.
        """
        tokens = self.tokenizer(x_num, x_cat)
        mu, logvar = self.encoder_mu(tokens), self.encoder_logvar(tokens)
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
        recon_num, cat_logits = self._reconstruct(z[:, 1:])
        return recon_num, cat_logits, mu, logvar

    @torch.no_grad()
    def encode(self, x_num: Tensor | np.ndarray, x_cat: Tensor | np.ndarray) -> Tensor:
        """Latents (n, latent_dim): the posterior mean of the column tokens, [CLS] left out."""
        device = self.num_bias.device
        x_num = torch.as_tensor(x_num, dtype=torch.float32, device=device)
        x_cat = torch.as_tensor(x_cat, dtype=torch.long, device=device)
        chunks = [
            self.encoder_mu(self.tokenizer(num, cat))[:, 1:].flatten(1)
            for num, cat in zip(x_num.split(_CHUNK), x_cat.split(_CHUNK))
        ]
        return torch.cat(chunks)

    @torch.no_grad()
    def decode(self, z: Tensor | np.ndarray) -> tuple[Tensor, Tensor]:
        """Latents (n, latent_dim) -> (x_num (n, n_num), x_cat (n, n_cat) most likely codes)."""
        x_num, codes, _ = self.decode_codes(z)
        return x_num, codes

    @torch.no_grad()
    def decode_codes(self, z: Tensor | np.ndarray, keep_logits: Sequence[int] = ()
                     ) -> tuple[Tensor, Tensor, dict[int, Tensor]]:
        """Latents -> (x_num, most likely codes, {column: (n, cardinality) logits} for the
        categorical columns in ``keep_logits``), chunk by chunk: the full logits of every
        column (two 2,000-category columns of 10,000 rows: 150 MB, and copies) exist only for
        the columns a decoder choosing codes under constraints needs (see ``siblings.values``)."""
        z = torch.as_tensor(z, dtype=torch.float32, device=self.num_bias.device)
        tokens = z.reshape(len(z), self.n_num + len(self.cardinalities), self.d_token)
        nums, codes, kept = [], [], {j: [] for j in keep_logits}
        rows = min(_CHUNK, max(256, _LOGIT_CELLS // max(sum(self.cardinalities), 1)))
        for chunk in tokens.split(rows):
            recon_num, cat_logits = self._reconstruct(chunk)
            nums.append(recon_num)
            codes.append(most_likely_codes(cat_logits, len(chunk)))
            for j in kept:
                kept[j].append(cat_logits[j])
        return torch.cat(nums), torch.cat(codes), {j: torch.cat(parts) for j, parts in kept.items()}

    def _reconstruct(self, tokens: Tensor) -> tuple[Tensor, list[Tensor]]:
        """Column tokens (no [CLS]) -> numerical values and categorical logits."""
        h = self.decoder(tokens)
        recon_num = (h[:, : self.n_num] * self.num_weight[None]).sum(-1) + self.num_bias
        cat_logits = [head(h[:, self.n_num + j]) for j, head in enumerate(self.cat_heads)]
        return recon_num, cat_logits


def most_likely_codes(logits: list[Tensor], n: int) -> Tensor:
    """(n, n_cat) argmax codes from one logits tensor per categorical column."""
    if not logits:
        return torch.zeros(n, 0, dtype=torch.long)
    return torch.stack([column.argmax(dim=1) for column in logits], dim=1)


@dataclass
class VAEConfig(MinibatchTrainingConfig):
    """VAE hyper-parameters; the defaults are the paper's (Table 4)."""

    d_token: int = 4
    n_layers: int = 2
    hidden: int = 128

    def build(self, n_num: int, cardinalities: list[int]) -> VAE:
        return VAE(n_num, cardinalities, self.d_token, self.n_layers, self.hidden)


def reconstruction_loss(recon_num: Tensor, cat_logits: list[Tensor], x_num: Tensor, x_cat: Tensor) -> Tensor:
    """MSE over numerical columns plus the mean cross-entropy over categorical columns."""
    loss = F.mse_loss(recon_num, x_num) if x_num.shape[1] else recon_num.new_zeros(())
    if cat_logits:
        loss = loss + sum(F.cross_entropy(logits, x_cat[:, j]) for j, logits in enumerate(cat_logits)) / len(cat_logits)
    return loss


def kl_divergence(mu: Tensor, logvar: Tensor) -> Tensor:
    """KL(q(z|x) || N(0, I)), averaged over rows, tokens and token dimensions."""
    return -0.5 * torch.mean(1 + logvar - mu.pow(2) - logvar.exp())


def train_vae(
    vae: VAE,
    x_num: np.ndarray,
    x_cat: np.ndarray,
    config: VAEConfig,
    device: torch.device,
    seed: int,
    progress: bool = True,
) -> dict:
    """Fit ``vae`` on a table in model space; keeps the weights with the best reconstruction.

    Beta (the KL weight) starts at ``BETA_MAX`` and shrinks by ``BETA_DECAY`` after every
    ``BETA_PATIENCE`` epochs without improvement, down to ``BETA_MIN``: a strong prior early
    keeps the latent space smooth, a weak one late lets reconstruction become sharp.
    Returns a history dict (epochs, best_loss, best_epoch, final beta, seconds, stop reason).
    """
    seed_everything(seed)
    vae.to(device)
    num = torch.as_tensor(x_num, dtype=torch.float32, device=device)
    cat = torch.as_tensor(x_cat, dtype=torch.long, device=device)
    optimizer = torch.optim.Adam(vae.parameters(), lr=config.lr)
    scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, factor=0.95, patience=10)
    loop = TrainingLoop(vae, config.epochs, "VAE", progress=progress, patience=config.early_stop_patience,
                        max_steps=config.max_steps, time_budget=config.time_budget,
                        planned_epochs=config.planned_epochs(len(num)))
    generator = make_generator(seed)
    beta = BETA_MAX
    for _ in loop:
        vae.train()
        recon_sum, seen, steps = 0.0, 0, 0
        for idx in minibatches(len(num), config.batch_size, generator, config.min_steps_per_epoch, config.max_steps_per_epoch):
            recon_num, cat_logits, mu, logvar = vae(num[idx], cat[idx])
            recon = reconstruction_loss(recon_num, cat_logits, num[idx], cat[idx])
            loss = recon + beta * kl_divergence(mu, logvar)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            recon_sum += recon.item() * len(idx)
            seen += len(idx)
            steps += 1
        recon_epoch = recon_sum / max(seen, 1)
        scheduler.step(recon_epoch)
        loop.record(recon_epoch, steps=steps, shown={"recon": recon_epoch, "beta": beta})
        if loop.stopping.bad_epochs and loop.stopping.bad_epochs % BETA_PATIENCE == 0:
            beta = max(beta * BETA_DECAY, BETA_MIN)
    return {**loop.finish(), "beta": beta}
