"""A VAE that cannot give back a categorical column is trained again at the other learning
rate (ten times a slow one, a tenth of a fast one), and the better fit is kept."""

import numpy as np
import torch

from syntherela_rgcd.rgcd import fit_tasks
from syntherela_rgcd.rgcd.fit_tasks import VAEJob, train_table_vae, weakest_column_accuracy
from syntherela_rgcd.rgcd.vae import VAEConfig


def _job(lr: float = 0.001) -> VAEJob:
    rng = np.random.default_rng(0)
    x_cat = np.stack([rng.integers(0, 5, 300), rng.integers(0, 200, 300)], axis=1)
    config = VAEConfig.from_dict({"epochs": 3, "batch_size": 64, "hidden": 16, "lr": lr, "max_steps": 10})
    return VAEJob(table="t", x_num=rng.normal(size=(300, 1)).astype(np.float32), x_cat=x_cat, n_num=1,
                  cardinalities=[5, 200], config=config, seed=0, device=torch.device("cpu"), progress=False)


def test_accuracy_is_the_weakest_columns():
    job = _job()
    vae = job.config.build(job.n_num, job.cardinalities)
    both = weakest_column_accuracy(vae, job.x_num, job.x_cat)
    assert 0.0 <= both <= weakest_column_accuracy(vae, job.x_num, job.x_cat[:, :1]), "the min over more columns"
    assert weakest_column_accuracy(vae, job.x_num, job.x_cat[:, :0]) == 1.0, "no categorical column"


def _rates(monkeypatch, scores):
    scores = iter(scores)
    monkeypatch.setattr(fit_tasks, "weakest_column_accuracy", lambda *args: next(scores))
    monkeypatch.setattr(fit_tasks, "RETRY_MIN_STEPS", 10)  # the job's 10 steps stand for a real budget
    rates = []
    real_fit = fit_tasks._fit_vae
    monkeypatch.setattr(fit_tasks, "_fit_vae", lambda job, config: rates.append(config.lr) or real_fit(job, config))
    return rates


def test_a_slow_vae_that_loses_a_column_is_retrained_ten_times_faster(monkeypatch):
    rates = _rates(monkeypatch, [0.815, 0.998])
    result = train_table_vae(_job(lr=0.001))
    assert rates == [0.001, 0.01]
    retried = result.history["retried"]
    assert retried["kept"] and retried["accuracy_before"] == 0.815 and retried["lr"] == 0.01
    assert result.history["steps"] == 10 and retried["steps_discarded"] == 10, \
        "only the kept fit counts against the budget: the tables after it keep their steps"


def test_a_collapsed_fast_vae_is_retrained_at_a_tenth_of_the_rate(monkeypatch):
    rates = _rates(monkeypatch, [0.45, 1.0])
    assert train_table_vae(_job(lr=0.01)).history["retried"]["kept"] and rates == [0.01, 0.001]


def test_the_first_fit_is_kept_when_the_retry_is_no_better(monkeypatch):
    rates = _rates(monkeypatch, [0.85, 0.45])
    result = train_table_vae(_job(lr=0.001))
    assert rates == [0.001, 0.01] and not result.history["retried"]["kept"]


def test_a_healthy_vae_trains_once(monkeypatch):
    rates = _rates(monkeypatch, [0.95])
    assert "retried" not in train_table_vae(_job()).history and rates == [0.001]


def test_a_smoke_sized_vae_is_not_retried(monkeypatch):
    rates = _rates(monkeypatch, [0.2])
    monkeypatch.setattr(fit_tasks, "RETRY_MIN_STEPS", 1000)
    assert "retried" not in train_table_vae(_job()).history and rates == [0.001], "10 steps: no second fit"
