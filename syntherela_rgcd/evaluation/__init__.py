"""Scoring synthetic data against the real data: fidelity (SyntheRela's detection metrics),
utility (train on synthetic, test on real), privacy (distance to closest record, copies).

:mod:`.scoring` runs the metrics a run asks for on one sample; the metrics live in
:mod:`.fidelity`, :mod:`.utility` (its tasks and feature builders in :mod:`.utility_tasks`),
:mod:`.privacy` and :mod:`.copying`. This file imports nothing, so that the dataset catalogue
can declare its utility tasks without loading scikit-learn or ``syntherela.report``.
"""
