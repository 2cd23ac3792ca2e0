"""The shared training-loop rules: batching, early stopping, time budgets."""

import time

import torch

from syntherela_rgcd.rgcd.training import (EarlyStopping, MinibatchTrainingConfig, StopReason, TimeBudget, TrainingLoop,
                                         make_generator, minibatches)


def test_one_epoch_is_one_pass_when_the_table_is_large_enough():
    batches = list(minibatches(10, 4, make_generator(0), min_batches=2))
    assert [len(b) for b in batches] == [4, 4, 2]
    assert sorted(torch.cat(batches).tolist()) == list(range(10))


def test_small_tables_make_at_least_min_batches_steps_over_fresh_permutations():
    batches = list(minibatches(5, 8, make_generator(0), min_batches=4))
    assert len(batches) == 4 and all(sorted(b.tolist()) == list(range(5)) for b in batches)
    assert len({tuple(b.tolist()) for b in batches}) > 1, "each pass is reshuffled"


def test_minibatches_are_deterministic_per_seed():
    first = [b.tolist() for b in minibatches(50, 7, make_generator(3), min_batches=20)]
    second = [b.tolist() for b in minibatches(50, 7, make_generator(3), min_batches=20)]
    assert first == second


def test_an_epoch_can_be_capped_to_a_few_batches_of_a_big_table():
    """The smoke profile's epochs: at most ``max_batches`` batches, a random part of the rows."""
    batches = list(minibatches(100_000, 256, make_generator(0), max_batches=10))
    assert len(batches) == 10 and all(len(b) == 256 for b in batches)
    assert len(list(minibatches(1000, 256, make_generator(0), max_batches=10))) == 4, "a small table: one pass"
    config = MinibatchTrainingConfig(batch_size=256, max_steps=600, max_steps_per_epoch=10)
    assert config.planned_epochs(100_000) == 60


def test_early_stopping_keeps_and_restores_the_best_weights():
    module = torch.nn.Linear(1, 1)
    stopping = EarlyStopping(patience=2)
    with torch.no_grad():
        module.weight.fill_(1.0)
    assert not stopping.step(1.0, module, 0)
    with torch.no_grad():
        module.weight.fill_(5.0)
    assert not stopping.step(2.0, module, 1)
    assert stopping.step(3.0, module, 2), "two epochs without improvement"
    stopping.restore(module)
    assert module.weight.item() == 1.0 and stopping.best_epoch == 0


def test_time_budget():
    assert not TimeBudget(None).exhausted()
    budget = TimeBudget(0.01)
    time.sleep(0.02)
    assert budget.exhausted()


def test_planned_epochs_follow_the_step_budget():
    """The progress bar's length: the epochs the step budget allows, not the configured 4000."""
    config = MinibatchTrainingConfig(epochs=4000, batch_size=512, max_steps=1890, min_steps_per_epoch=20)
    assert config.planned_epochs(10_000) == 95  # 20 steps per epoch (the AirBnB users' VAE)
    assert config.planned_epochs(45) == 95  # a tiny table also makes 20 steps per epoch
    assert config.planned_epochs(47_217) == 21  # 93 steps per epoch
    assert MinibatchTrainingConfig(epochs=30, max_steps=10**6).planned_epochs(100) == 30
    assert MinibatchTrainingConfig(epochs=30).planned_epochs(100) == 30


def _loop_over(losses, **settings):
    """Run a TrainingLoop over given monitored losses; the module's weight is the epoch number."""
    module = torch.nn.Linear(1, 1)
    loop = TrainingLoop(module, len(losses), "test", progress=False, **settings)
    for epoch in loop:
        with torch.no_grad():
            module.weight.fill_(float(epoch))
        loop.record(losses[epoch], steps=10, loss=losses[epoch])
    return module, loop.finish()


def test_training_loop_runs_every_epoch_and_keeps_the_best_weights():
    module, history = _loop_over([3.0, 1.0, 2.0, 2.5])
    assert history["stopped"] == StopReason.FINISHED.value and history["epochs"] == 4 and history["steps"] == 40
    assert history["loss"] == [3.0, 1.0, 2.0, 2.5] and history["best_epoch"] == 1 and history["best_loss"] == 1.0
    assert module.weight.item() == 1.0, "the best epoch's weights are restored"


def test_training_loop_stop_reasons_in_order():
    assert _loop_over([3.0, 2.0, 2.5, 2.6, 2.7], patience=2)[1]["stopped"] == "early stopping"
    _, history = _loop_over([1.0, 0.5, 1.5, 0.1], stop_on_divergence=True)
    assert history["stopped"] == "diverged" and history["epochs"] == 3
    _, history = _loop_over([3.0, 2.0, 1.0, 0.5], max_steps=20)
    assert history["stopped"] == "step budget spent" and history["epochs"] == 2
    _, history = _loop_over([3.0, 2.0, 1.0], time_budget=0.0)
    assert history["stopped"] == "time budget spent" and history["epochs"] == 1


def test_training_loop_scores_the_module_it_is_given():
    """The diffusion model is scored through its moving average: those weights are the kept ones."""
    module, average = torch.nn.Linear(1, 1), torch.nn.Linear(1, 1)
    loop = TrainingLoop(module, 2, "test", progress=False)
    for epoch in loop:
        with torch.no_grad():
            module.weight.fill_(10.0 + epoch)
            average.weight.fill_(float(epoch))
        loop.record([1.0, 2.0][epoch], scored=average)
    loop.finish()
    assert module.weight.item() == 0.0
