"""The VAE's learning rate is chosen by its reconstruction: unless the first fit gives its rows
back almost exactly it is trained at the other rate too (ten times a slow one, a tenth of a
fast one), and the fit that keeps every categorical column, then the smaller error, is kept."""

import numpy as np
import torch

from syntherela_rgcd.rgcd import fit_tasks
from syntherela_rgcd.rgcd.fit_tasks import ReconstructionCheck, VAEJob, reconstruction_check, train_table_vae
from syntherela_rgcd.rgcd.vae import VAEConfig


def _job(lr: float = 0.001) -> VAEJob:
    rng = np.random.default_rng(0)
    x_cat = np.stack([rng.integers(0, 5, 300), rng.integers(0, 200, 300)], axis=1)
    config = VAEConfig.from_dict({"epochs": 3, "batch_size": 64, "hidden": 16, "lr": lr, "max_steps": 10})
    return VAEJob(table="t", x_num=rng.normal(size=(300, 1)).astype(np.float32), x_cat=x_cat, n_num=1,
                  cardinalities=[5, 200], config=config, seed=0, device=torch.device("cpu"), progress=False)


def test_the_check_covers_every_column():
    job = _job()
    vae = job.config.build(job.n_num, job.cardinalities).eval()
    check = reconstruction_check(vae, job.x_num, job.x_cat)
    with torch.no_grad():
        num, cat = vae.decode(vae.encode(job.x_num, job.x_cat))
    accuracy = (cat.numpy() == job.x_cat).mean(axis=0)
    squared = min(float(((num.numpy().astype(np.float64) - job.x_num) ** 2).mean()), 1.0)
    assert check.weakest_accuracy == accuracy.min()
    assert abs(check.mean_error - np.mean([*(1 - accuracy), squared])) < 1e-6
    assert reconstruction_check(vae, job.x_num[:0], job.x_cat[:0]) == ReconstructionCheck(1.0, 0.0)


def test_keeping_every_category_comes_before_a_smaller_error():
    collapsed, lossy, good = ReconstructionCheck(0.45, 0.05), ReconstructionCheck(0.95, 0.2), ReconstructionCheck(0.99, 0.1)
    assert lossy.better_than(collapsed) and not collapsed.better_than(lossy)
    assert good.better_than(lossy) and not lossy.better_than(good)


def _rates(monkeypatch, checks):
    checks = iter(checks)
    monkeypatch.setattr(fit_tasks, "reconstruction_check", lambda *args: next(checks))
    monkeypatch.setattr(fit_tasks, "RETRY_MIN_STEPS", 10)  # the job's 10 steps stand for a real budget
    rates = []
    real_fit = fit_tasks._fit_vae
    monkeypatch.setattr(fit_tasks, "_fit_vae", lambda job, config: rates.append(config.lr) or real_fit(job, config))
    return rates


def test_a_slow_vae_is_tried_ten_times_faster_and_the_better_kept(monkeypatch):
    rates = _rates(monkeypatch, [ReconstructionCheck(0.815, 0.05), ReconstructionCheck(0.998, 0.01)])
    result = train_table_vae(_job(lr=0.001))
    assert rates == [0.001, 0.01]
    retried = result.history["retried"]
    assert retried["kept"] and retried["accuracy_before"] == 0.815 and retried["lr"] == 0.01
    assert result.history["steps"] == 10 and retried["steps_discarded"] == 10, \
        "only the kept fit counts against the budget: the tables after it keep their steps"


def test_a_collapsed_fast_vae_is_retrained_at_a_tenth_of_the_rate(monkeypatch):
    rates = _rates(monkeypatch, [ReconstructionCheck(0.45, 0.1), ReconstructionCheck(1.0, 0.2)])
    assert train_table_vae(_job(lr=0.01)).history["retried"]["kept"] and rates == [0.01, 0.001]


def test_the_first_fit_is_kept_when_the_other_is_no_better(monkeypatch):
    rates = _rates(monkeypatch, [ReconstructionCheck(0.95, 0.02), ReconstructionCheck(0.95, 0.03)])
    result = train_table_vae(_job(lr=0.001))
    assert rates == [0.001, 0.01] and not result.history["retried"]["kept"]


def test_a_near_perfect_vae_trains_once(monkeypatch):
    rates = _rates(monkeypatch, [ReconstructionCheck(1.0, 0.0005)])
    assert "retried" not in train_table_vae(_job()).history and rates == [0.001]


def test_a_smoke_sized_vae_is_not_retried(monkeypatch):
    rates = _rates(monkeypatch, [ReconstructionCheck(0.2, 0.5)])
    monkeypatch.setattr(fit_tasks, "RETRY_MIN_STEPS", 1000)
    assert "retried" not in train_table_vae(_job()).history and rates == [0.001], "10 steps: no second fit"
