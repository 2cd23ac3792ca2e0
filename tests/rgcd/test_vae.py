"""TabSyn-style VAE: shapes, column-type corner cases, training rules, determinism, and that
it actually reconstructs an encoded table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from syntherela_rgcd.rgcd.encoding import TableEncoder
from syntherela_rgcd.rgcd.training import seed_everything
from syntherela_rgcd.rgcd import vae as vae_module
from syntherela_rgcd.rgcd.vae import VAE, Tokenizer, VAEConfig, train_vae

from rgcd_helpers import single_torch_thread  # noqa: F401 (autouse fixture)

CPU = torch.device("cpu")
# Small enough to train in seconds; the architecture is the same as the paper's.
FAST = dict(d_token=4, n_layers=1, hidden=32, lr=3e-3)




def small_table(n: int = 500, seed: int = 0) -> pd.DataFrame:
    """Two numerical and three categorical columns, one categorical depending on a number."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    return pd.DataFrame(
        {
            "x": np.round(x, 3),
            "y": np.round(2 * x + rng.normal(scale=0.5, size=n), 3),
            "colour": pd.Categorical(rng.choice(["red", "green", "blue"], n)),
            "size": rng.choice(["S", "M", "L", "XL", "XXL"], n),
            "positive": x > 0,
        }
    )


META = {
    "x": {"sdtype": "numerical"},
    "y": {"sdtype": "numerical"},
    "colour": {"sdtype": "categorical"},
    "size": {"sdtype": "categorical"},
    "positive": {"sdtype": "boolean"},
}


def random_batch(n: int, n_num: int, cardinalities: list[int]) -> tuple[torch.Tensor, torch.Tensor]:
    x_num = torch.randn(n, n_num)
    x_cat = torch.stack([torch.randint(0, c, (n,)) for c in cardinalities], 1) if cardinalities else torch.zeros(n, 0)
    return x_num, x_cat.long()


@pytest.mark.parametrize("n_num, cardinalities", [(2, [3, 5]), (0, [4]), (3, [])])
def test_shapes(n_num: int, cardinalities: list[int]) -> None:
    n_tokens = n_num + len(cardinalities)
    x_num, x_cat = random_batch(7, n_num, cardinalities)
    assert Tokenizer(n_num, cardinalities, 4)(x_num, x_cat).shape == (7, 1 + n_tokens, 4)

    vae = VAE(n_num, cardinalities, d_token=4, n_layers=1, hidden=16)
    assert vae.latent_dim == n_tokens * 4
    recon_num, cat_logits, mu, logvar = vae(x_num, x_cat)
    assert recon_num.shape == (7, n_num)
    assert [logits.shape for logits in cat_logits] == [(7, c) for c in cardinalities]
    assert mu.shape == logvar.shape == (7, 1 + n_tokens, 4)

    z = vae.encode(x_num.numpy(), x_cat.numpy())
    assert z.shape == (7, vae.latent_dim)
    dec_num, dec_cat = vae.decode(z)
    assert dec_num.shape == (7, n_num) and dec_cat.shape == (7, len(cardinalities))
    assert dec_cat.dtype == torch.long
    assert ((dec_cat >= 0) & (dec_cat < torch.tensor(cardinalities or [1]))).all()


def test_encode_is_the_posterior_mean_without_cls() -> None:
    vae = VAE(2, [3], d_token=4, n_layers=1, hidden=16)
    x_num, x_cat = random_batch(5, 2, [3])
    _, _, mu, _ = vae(x_num, x_cat)
    torch.testing.assert_close(vae.encode(x_num, x_cat), mu[:, 1:].flatten(1).detach())


def test_needs_at_least_one_column() -> None:
    with pytest.raises(ValueError):
        VAE(0, [])


def test_config_from_dict_ignores_other_components_keys() -> None:
    config = VAEConfig.from_dict({"epochs": 5, "d_token": 8, "gnn_hidden": 64})
    assert (config.epochs, config.d_token, config.batch_size) == (5, 8, 4096)


def test_reconstructs_a_small_table() -> None:
    df = small_table()
    encoder = TableEncoder().fit(df, META)
    x_num, x_cat = encoder.transform(df)
    config = VAEConfig(epochs=80, batch_size=128, **FAST)
    seed_everything(0)
    vae = config.build(encoder.n_num, encoder.cardinalities)
    history = train_vae(vae, x_num, x_cat, config, CPU, seed=0, progress=False)
    assert history["epochs"] == 80 and history["best_loss"] < 0.2

    dec_num, dec_cat = vae.decode(vae.encode(x_num, x_cat))
    accuracy = (dec_cat.numpy() == x_cat).mean(axis=0)
    assert (accuracy > 0.9).all(), accuracy
    assert ((dec_num.numpy() - x_num) ** 2).mean() < 0.1

    decoded = encoder.inverse_transform(dec_num.numpy(), dec_cat.numpy())
    assert (decoded["positive"] == df["positive"]).mean() > 0.9
    assert np.corrcoef(decoded["x"], df["x"])[0, 1] > 0.9


def _train(seed: int, **overrides) -> tuple[VAE, dict]:
    df = small_table(n=200)
    encoder = TableEncoder().fit(df, META)
    config = VAEConfig(**{**FAST, "epochs": 8, "batch_size": 64, **overrides})
    seed_everything(seed)
    vae = config.build(encoder.n_num, encoder.cardinalities)
    history = train_vae(vae, *encoder.transform(df), config, CPU, seed=seed, progress=False)
    return vae, history


def test_same_seed_same_weights() -> None:
    first, _ = _train(seed=1)
    second, _ = _train(seed=1)
    other, _ = _train(seed=2)
    for name, tensor in first.state_dict().items():
        torch.testing.assert_close(second.state_dict()[name], tensor, rtol=0, atol=0)
    assert any(not torch.equal(tensor, other.state_dict()[name]) for name, tensor in first.state_dict().items())


def test_beta_decays_but_not_below_its_minimum(monkeypatch) -> None:
    # lr=0: the loss cannot improve beyond sampling noise, so beta keeps decaying.
    monkeypatch.setattr(vae_module, "BETA_PATIENCE", 1)
    monkeypatch.setattr(vae_module, "BETA_MIN", 1e-3)
    _, history = _train(seed=0, lr=0.0, epochs=30, batch_size=256)
    assert history["beta"] == pytest.approx(1e-3)


def test_stops_on_patience_and_time_budget() -> None:
    _, history = _train(seed=0, lr=0.0, epochs=100, early_stop_patience=3)
    assert history["stopped"] == "early stopping" and history["epochs"] < 100
    _, history = _train(seed=0, epochs=100, time_budget=0.0)
    assert history["stopped"] == "time budget spent" and history["epochs"] == 1


def test_decode_codes_keeps_only_the_logits_asked_for(monkeypatch) -> None:
    """Codes are chosen chunk by chunk (the argmax of each column's logits); full logits come
    back only for the columns a sibling rule decodes."""
    monkeypatch.setattr(vae_module, "_CHUNK", 8)
    seed_everything(0)
    vae = VAE(1, [5, 300], d_token=4, n_layers=1, hidden=16)
    z = torch.randn(8 * 3 + 5, vae.latent_dim)
    x_num, codes, logits = vae.decode_codes(z, keep_logits=[1])
    tokens = z.reshape(len(z), 3, 4)
    expected_num, expected_logits = vae._reconstruct(tokens)
    assert torch.allclose(x_num, expected_num, atol=1e-5)
    assert torch.equal(codes, torch.stack([column.argmax(1) for column in expected_logits], dim=1))
    assert list(logits) == [1] and torch.allclose(logits[1], expected_logits[1], atol=1e-5)
    assert torch.equal(vae.decode(z)[1], codes)
