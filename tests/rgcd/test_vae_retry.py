"""A VAE that loses a column of few categories is trained again at a tenth of the rate."""

import numpy as np
import torch

from syntherela_rgcd.rgcd import fit_tasks
from syntherela_rgcd.rgcd.fit_tasks import VAEJob, few_category_accuracy, train_table_vae
from syntherela_rgcd.rgcd.vae import VAEConfig


def _job(lr: float = 0.01) -> VAEJob:
    rng = np.random.default_rng(0)
    x_cat = np.stack([rng.integers(0, 5, 300), rng.integers(0, 200, 300)], axis=1)
    config = VAEConfig.from_dict({"epochs": 3, "batch_size": 64, "hidden": 16, "lr": lr, "max_steps": 10})
    return VAEJob(table="t", x_num=rng.normal(size=(300, 1)).astype(np.float32), x_cat=x_cat, n_num=1,
                  cardinalities=[5, 200], config=config, seed=0, device=torch.device("cpu"), progress=False)


def test_accuracy_is_checked_on_columns_of_few_categories_only():
    job = _job()
    vae = job.config.build(job.n_num, job.cardinalities)
    accuracy = few_category_accuracy(vae, job.x_num, job.x_cat, job.cardinalities)
    assert 0.0 <= accuracy <= 1.0
    assert few_category_accuracy(vae, job.x_num, job.x_cat[:, 1:], [200]) == 1.0, "200 categories: not checked"


def test_a_collapsed_vae_is_retrained_at_a_tenth_of_the_rate(monkeypatch):
    scores = iter([0.45, 1.0])
    monkeypatch.setattr(fit_tasks, "few_category_accuracy", lambda *args: next(scores))
    monkeypatch.setattr(fit_tasks, "RETRY_MIN_STEPS", 10)  # the job's 10 steps stand for a real budget
    rates = []
    real_fit = fit_tasks._fit_vae
    monkeypatch.setattr(fit_tasks, "_fit_vae", lambda job, config: rates.append(config.lr) or real_fit(job, config))
    result = train_table_vae(_job(lr=0.01))
    assert rates == [0.01, 0.001]
    retried = result.history["retried"]
    assert retried["accuracy_before"] == 0.45 and retried["accuracy_after"] == 1.0 and retried["lr"] == 0.001
    assert result.history["steps"] == 10 and retried["steps_discarded"] == 10, \
        "only the kept fit counts against the budget: the tables after it keep their steps"


def test_a_healthy_vae_trains_once(monkeypatch):
    rates = []
    real_fit = fit_tasks._fit_vae
    monkeypatch.setattr(fit_tasks, "few_category_accuracy", lambda *args: 0.95)
    monkeypatch.setattr(fit_tasks, "_fit_vae", lambda job, config: rates.append(config.lr) or real_fit(job, config))
    assert "retried" not in train_table_vae(_job()).history and rates == [0.01]


def test_a_smoke_sized_vae_is_not_retried(monkeypatch):
    rates = []
    real_fit = fit_tasks._fit_vae
    monkeypatch.setattr(fit_tasks, "few_category_accuracy", lambda *args: 0.2)
    monkeypatch.setattr(fit_tasks, "_fit_vae", lambda job, config: rates.append(config.lr) or real_fit(job, config))
    assert "retried" not in train_table_vae(_job()).history and rates == [0.01], "10 steps: no second fit"
