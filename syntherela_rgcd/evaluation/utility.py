"""Machine-learning utility: train on synthetic, test on real (SyntheRela's ML-efficacy protocol).

For each task several model types are trained twice, once on the real training rows and once
on the synthetic sample, and both are scored on the same real test rows. Besides the scores,
two rank agreements tell whether the synthetic data would lead an analyst to the same
*choices* as the real data:

* model selection: weighted rank correlation (``scipy.stats.weightedtau``) of the model
  types' scores when trained on real vs synthetic data;
* feature selection: the same correlation between the feature importances of XGBoost trained
  on real data and of XGBoost trained on synthetic data.

Training and bootstrap standard errors go through SyntheRela's
``MachineLearningEfficacyMetric`` (impute, standardise, fit; one fit on the whole training
set plus one per bootstrap round) so that the scores mean what the benchmark's do; standard
errors follow its convention (standard deviation of the bootstrap replicates / sqrt(rounds)).
The headline ``real`` / ``synthetic`` scores are XGBoost's, as in SyntheRela's Table 2 (whose
real-data and naive figures the RGCD paper's Table 2 reuses); every model type's scores are
kept under ``models``.

The protocol, and SyntheRela's
==============================

Read from ``martinjurkovic/syntherela``: ``experiments/evaluation/utility.py`` at commits
``8d49bc7be45e526287f38e71826be1b42edfabf9`` and ``2df659dc28590443086dd4d65d60a494ceba4e72``
(same protocol; so has the older ``experiments/evaluation/mle.py`` at
``0ac0ea632982a995869fcea27678c77d60f3dcca``), its Table 2
script ``experiments/tables/utility.py`` at ``f3f938d2e5340d31d3d9e2966c58813f33f69354``, and
``experiments/data/subsampling/subsample_walmart.py`` at ``01cae3b58331146f99800dbfdd1fd56c896a4007``.
The features are built in ``syntherela_rgcd/evaluation/utility_tasks.py``.

AirBnB (``users.country_destination``, AUC):
    target: booked (any destination) vs ``NDF``, binary, as SyntheRela (``y != "NDF"``).
    Features, as SyntheRela: one row per user; the user's columns except id and
    ``date_first_booking`` (it leaks the target), ``age`` missing -> 0; the account and
    first-activity dates become year, month, day (and time) numbers and categoricals one-hot
    through SyntheRela's encoder; the mean ``secs_elapsed`` and the number of the user's
    sessions (0 when none). Test rows: the published test split
    (``test/airbnb-simplified_subsampled``: 1,000 users created in June 2014, 983 of them with
    sessions). SyntheRela instead draws 2,000 users at random from the *full* AirBnB data
    (users with at most 50 sessions or none, not in the training subsample); we do not have
    the full data, so the test users differ (all recent, almost all with sessions).

Walmart (``depts.Weekly_Sales``, RMSE):
    target and aggregation as SyntheRela: one row per store and date, y = the mean weekly
    sales over the store's departments. Features, as SyntheRela: the averaged department rows
    joined with their store (``Type`` one-hot A/B/C, ``Size``) and with the ``features`` row
    of the same store and date (temperature, fuel price, markdowns 1-5, CPI, unemployment);
    ``IsHoliday`` is the departments' one; store, date and department are not features;
    missing values (markdowns) are left to the encoder (real training mean).
    Departure: the ``features`` row is the one of the same store and the *nearest* date
    (SyntheRela merges on exact Store + Date, which drops synthetic rows whose dates the
    generator did not reproduce exactly); on real data the two coincide. Test rows:
    SyntheRela tests on the *following month* of the full Walmart data (January 2012, four
    weekly dates, 180 store-weeks) while training on the subsample (December 2011 in the
    benchmark's copy, judging by its row count); we do not have the full data, so the real
    test rows are the last 20%
    of the subsample's dates (the week of 2011-12-30: 45 store-weeks) and real-trained models
    learn from the four earlier weeks.

Rossmann (``historical.Customers``, RMSE):
    target and aggregation as SyntheRela: one row per store and calendar month, y = the mean
    daily customers. Features, as SyntheRela: the averaged daily rows joined with their store;
    ``Open``, ``Promo``, ``SchoolHoliday``, ``StoreType``, ``Assortment`` and ``PromoInterval``
    one-hot with SyntheRela's fixed categories, first category dropped (so averages are
    shares of days); ``Sales`` and the store's numerical columns averaged; ``DayOfWeek``,
    ``StateHoliday``, ids, store, month and year are not features; missing feature values
    -> 0 after averaging (SyntheRela also sets a missing target to 0; we drop such rows). Test
    rows: SyntheRela tests on October 2014 of the full Rossmann data (the subsample covers
    2014-07-31 to 2014-09-30); we do not have it (nor the subsample), so the real test rows are
    the last 20% of the dates, aggregated per store and month like the training rows.

Models, as SyntheRela: XGBoost, linear (logistic / least squares), random forest, decision
tree, k-nearest neighbours, SVM (SVC / SVR) and an MLP; for classification also Gaussian
naive Bayes: 8 classifiers, 7 regressors, scikit-learn / XGBoost defaults, seeded. Cost
departures (2-core machines): XGBoost uses ``tree_method="hist"`` (the default from XGBoost 2.0
on; same AUC on AirBnB) single-threaded; the SVC is scored by its decision function instead of
Platt-scaled probabilities (``probability=True``: a monotone transform, so the same AUC,
without five extra internal fits); an SVM learns from a seeded random 5,000 of its training
rows when there are more (only AirBnB's 10,000 users are more: about 3 s instead of 11 s a
fit); the MLP classifier stops after 50 epochs (default 200; AirBnB's real-trained AUC 0.715
vs 0.69). Feature selection uses XGBoost's importances, as SyntheRela.

Rank agreements: SyntheRela computes Spearman, Kendall and weighted tau; its Table 2 prints
the bootstrap means of the Spearman ones (over the name arrays) and its appendix the weighted
ones (``weightedtau`` ranked by the synthetic side, on rank positions). Here: ``weightedtau``
of the raw scores / importances, averaged over both sides' rankings (scipy's default), from
the whole-training-set fits, with the bootstrap standard error as SyntheRela's. Naive: the
training mean (RMSE) or class frequencies (AUC 0.5) scored on the same test rows; SyntheRela's
Table 2 prints fixed naive figures (AirBnB 0.5, Rossmann 345, Walmart 7697) for its own test
rows. Bootstrap rounds: ours default to 10 (SyntheRela: 100).

Checked with the real data as "synthetic" (``tests/test_utility.py -m slow``): AirBnB XGBoost
AUC 0.735, naive 0.5 (paper 0.73 / 0.5); Walmart RMSE 3,375, naive 8,153 (paper 6,117 /
7,697): the naive figure has the paper's scale now that examples are store-weeks, the real one
is lower because our test week is the end of the training month rather than the next month.

A task may also leave out ``features``: :func:`relational_features` then builds the target
table's own columns, its parents' columns and aggregates of its children, read from the
metadata (for third-party datasets).
"""

from __future__ import annotations

import hashlib
import logging
import warnings
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd
from scipy.stats import weightedtau
from sklearn.base import BaseEstimator
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.preprocessing import LabelEncoder
from sklearn.svm import SVC, SVR
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor
from syntherela.data import load_tables
from syntherela.metadata import Metadata
from syntherela.metrics.utility import MachineLearningEfficacyMetric
from xgboost import XGBClassifier, XGBRegressor

from ..datasets import PreparedDataset, check_files, load_dataset, referential_problems, validate_tables
from ..errors import DataError
from ..metadata import RelationalMetadata
from .utility_tasks import (  # re-exported: the tasks and their feature builders belong to this metric
    AIRBNB_TASKS,
    KINDS,
    ROSSMANN_TASKS,
    WALMART_TASKS,
    FeatureBuilder,
    Tables,
    UtilityTask,
    _relationships,
    airbnb_features,
    join_nearest,
    relational_features,
    rossmann_features,
    tasks_for,
    walmart_features,
)


__all__ = [
    "AIRBNB_TASKS", "FEATURE_SELECTION_MODEL", "HOLDOUT_FRACTION", "KINDS", "MLP_CLASSIFIER_EPOCHS",
    "ROSSMANN_TASKS", "SCORE_MODEL", "SVM_MAX_ROWS", "WALMART_TASKS", "FeatureBuilder", "Holdout", "Tables",
    "UtilityTask", "airbnb_features", "evaluate_utility", "find_test_split", "join_nearest", "load_test_split",
    "model_types", "naive_score", "ovr_macro_auc", "rank_agreement", "relational_features", "restrict_synthetic",
    "rossmann_features", "split_real", "tasks_for", "walmart_features",
]

logger = logging.getLogger(__name__)

#: Share of the target table held out as real test rows when the dataset has no test split.
HOLDOUT_FRACTION = 0.2
#: The model type whose scores are the headline ``real`` / ``synthetic`` (SyntheRela's Table 2)
#: and whose feature importances are compared (SyntheRela's feature-selection model).
SCORE_MODEL = "xgboost"
FEATURE_SELECTION_MODEL = "xgboost"
#: Epochs of the MLP classifier (scikit-learn's default is 200; see the module docstring).
MLP_CLASSIFIER_EPOCHS = 50
#: Training rows an SVM (SVC / SVR) learns from at most: a seeded random subset beyond that.
SVM_MAX_ROWS = 5000


# --------------------------------------------------------------------------------------
# Real train / test rows
# --------------------------------------------------------------------------------------


@dataclass
class Holdout:
    """Real training tables, real test tables, and how the test rows were obtained.

    ``before`` is the time cut-off of a time holdout: synthetic rows are restricted to the same
    window as the real training rows, so that real- and synthetic-trained models learn from the
    same period (the generator was fitted on all real rows, test period included).
    """

    train: Tables
    test: Tables
    label: str
    column: str | None = None
    before: Any = None


def find_test_split(data: PreparedDataset) -> Path | None:
    """``<root>/test/<name>`` beside ``<root>/original/<name>``, or ``<dataset>/test``."""
    for folder in (data.path.parent.parent / "test" / data.name, data.path / "test"):
        if folder.is_dir() and any(folder.glob("*.csv")):
            return folder
    return None


def load_test_split(folder: Path, data: PreparedDataset) -> Tables:
    """Load a test split like the real data; without its own metadata.json it uses the
    dataset's (as the published AirBnB split does)."""
    label = f"{data.name} (test split {folder})"
    if (folder / "metadata.json").is_file():
        tables, _ = load_dataset(folder, label)
    else:
        metadata = RelationalMetadata.load_from_json(data.path / "metadata.json")
        check_files(folder, metadata, label)
        tables = load_tables(folder, metadata)
        problems = referential_problems(tables, data.metadata)
        if problems:
            raise DataError(f"dataset {label!r}: {problems[0]}")
        tables, _ = validate_tables(tables, metadata, label)
    missing = [t for t in data.tables if t not in tables]
    if missing:
        raise DataError(f"test split {folder} has no table(s) {', '.join(missing)}")
    return {name: tables[name][list(data.tables[name].columns)] for name in data.tables}


def split_real(data: PreparedDataset, task: UtilityTask, seed: int) -> Holdout:
    """The test split when there is one; else hold out rows of the target table as the task says."""
    folder = find_test_split(data)
    if folder is not None:
        return Holdout(data.tables, load_test_split(folder, data), "test split")
    if task.holdout.startswith("time:"):
        return _time_holdout(data, task, task.holdout.split(":", 1)[1])
    if task.holdout == "test split":
        logger.warning("utility task %s: dataset %s has no test split; holding out a random %d%% of %s",
                       task.name, data.name, round(100 * HOLDOUT_FRACTION), task.table)
    rng = np.random.default_rng(seed)
    n = len(data.tables[task.table])
    test = np.zeros(n, dtype=bool)
    test[rng.choice(n, size=max(1, round(HOLDOUT_FRACTION * n)), replace=False)] = True
    return Holdout(_keep_rows(data.tables, data.metadata, task.table, ~test),
                   _keep_rows(data.tables, data.metadata, task.table, test),
                   f"random {round(100 * HOLDOUT_FRACTION)}%")


def _time_holdout(data: PreparedDataset, task: UtilityTask, column: str) -> Holdout:
    """The last 20% of the column's distinct dates are the test period."""
    table = data.tables[task.table]
    if column not in table.columns:
        raise DataError(f"utility task {task.name}: table {task.table!r} has no time column {column!r}")
    dates = np.sort(table[column].dropna().unique())
    if len(dates) < 2:
        raise DataError(f"utility task {task.name}: {task.table}.{column} has fewer than 2 distinct values; "
                        "cannot hold out the last dates")
    before = dates[-max(1, round(HOLDOUT_FRACTION * len(dates)))]
    test = (table[column] >= before).to_numpy()
    return Holdout(_keep_rows(data.tables, data.metadata, task.table, ~test),
                   _keep_rows(data.tables, data.metadata, task.table, test),
                   f"last {round(100 * HOLDOUT_FRACTION)}% of {column}", column, before)


def restrict_synthetic(synthetic: Tables, metadata: Metadata, task: UtilityTask, holdout: Holdout) -> Tables:
    """Synthetic rows in the real training window (time holdout only; rows without a date stay).
    If the generator put no row there, the whole sample is used, with a warning."""
    if holdout.column is None:
        return synthetic
    values = synthetic[task.table][holdout.column]
    keep = (values.isna() | (values < holdout.before)).to_numpy()
    if not keep.any():
        logger.warning("utility task %s: no synthetic %s row before %s; training on all of them",
                       task.name, task.table, holdout.before)
        return synthetic
    return _keep_rows(synthetic, metadata, task.table, keep)


def _keep_rows(tables: Tables, metadata: Metadata, table: str, keep: np.ndarray) -> Tables:
    """``tables`` with only the kept rows of ``table`` and, recursively, of its descendants;
    ancestors and unrelated tables are kept whole (they are context, not examples)."""
    out = dict(tables)
    out[table] = tables[table][keep].reset_index(drop=True)
    for rel in _relationships(metadata, parent_table_name=table):
        child, fk, pk = rel["child_table_name"], rel["child_foreign_key"], rel["parent_primary_key"]
        if child == table:
            continue
        child_keep = out[child][fk].isin(out[table][pk]).to_numpy()
        out.update(_keep_rows(out, metadata, child, child_keep))
    return out


# --------------------------------------------------------------------------------------
# Models
# --------------------------------------------------------------------------------------


def model_types(kind: str, seed: int) -> dict[str, Callable[[], Any]]:
    """Model name -> factory of an unfitted estimator: SyntheRela's model types with their
    library defaults, seeded and single-threaded (cost departures: module docstring)."""
    boosting = dict(tree_method="hist", n_jobs=1, random_state=seed)
    if kind == "classification":
        return {
            "xgboost": lambda: XGBClassifier(**boosting),
            "linear": lambda: LogisticRegression(),
            "random_forest": lambda: RandomForestClassifier(n_jobs=1, random_state=seed),
            "decision_tree": lambda: DecisionTreeClassifier(random_state=seed),
            "knn": lambda: KNeighborsClassifier(),
            "svc": lambda: SVC(random_state=seed),
            "gaussian_nb": lambda: GaussianNB(),
            "mlp": lambda: MLPClassifier(max_iter=MLP_CLASSIFIER_EPOCHS, random_state=seed),
        }
    return {
        "xgboost": lambda: XGBRegressor(**boosting),
        "linear": lambda: LinearRegression(),
        "random_forest": lambda: RandomForestRegressor(n_jobs=1, random_state=seed),
        "decision_tree": lambda: DecisionTreeRegressor(random_state=seed),
        "knn": lambda: KNeighborsRegressor(),
        "svr": lambda: SVR(),
        "mlp": lambda: MLPRegressor(random_state=seed),
    }


class _Model(BaseEstimator):
    """A fresh estimator from ``factory`` per fit (the metric builds one wrapper per fit),
    with ``feature_importances_`` for trees and linear models alike. ``max_rows``: fit on
    a random subset (seeded by ``seed``) of at most that many training rows."""

    def __init__(self, factory=None, max_rows=None, seed=0):
        self.factory = factory
        self.max_rows = max_rows
        self.seed = seed

    def _rows(self, X, y):
        if self.max_rows is None or X.shape[0] <= self.max_rows:
            return X, np.asarray(y)
        keep = np.sort(np.random.default_rng(self.seed).choice(X.shape[0], self.max_rows, replace=False))
        return np.asarray(X)[keep], np.asarray(y)[keep]

    def _new(self, n_rows: int):
        model = self.factory()
        neighbours = getattr(model, "n_neighbors", None)
        if neighbours is not None and n_rows < neighbours:  # a tiny synthetic training set
            model.set_params(n_neighbors=max(1, n_rows))
        return model

    @property
    def feature_importances_(self) -> np.ndarray:
        model = self.model_
        if model is None:  # constant fallback: no feature matters
            return np.zeros(self.n_features_in_)
        if hasattr(model, "feature_importances_"):
            return np.asarray(model.feature_importances_, dtype=float)
        if hasattr(model, "coef_"):  # inputs are standardised, so |coefficient| compares
            return np.abs(np.atleast_2d(model.coef_)).mean(axis=0)
        raise AttributeError(f"{type(model).__name__} has no feature importances")

class UtilityClassifier(_Model):
    """Labels are encoded per fit, so that XGBoost accepts a training set that lacks some
    classes; a training set with a single class gives a constant (prior) model instead of
    an error, which scores AUC 0.5."""

    def fit(self, X, y):
        self.n_features_in_ = X.shape[1]
        X, y = self._rows(X, y)
        encoder = LabelEncoder().fit(y)
        self.classes_ = encoder.classes_
        self.model_ = None
        if len(self.classes_) > 1:
            self.model_ = self._new(X.shape[0]).fit(X, encoder.transform(y))
        return self

    def predict_proba(self, X):
        """Class probabilities, or for a model without them (the SVC) its decision
        function, one column per class: AUC only needs the order of each column."""
        if self.model_ is None:
            return np.ones((len(X), 1))
        if hasattr(self.model_, "predict_proba"):
            return self.model_.predict_proba(X)
        scores = self.model_.decision_function(X)
        return np.column_stack([-scores, scores]) if scores.ndim == 1 else scores

class UtilityRegressor(_Model):
    def fit(self, X, y):
        self.n_features_in_ = X.shape[1]
        X, y = self._rows(X, y)
        self.model_ = self._new(X.shape[0]).fit(X, y.astype(float))
        return self

    def predict(self, X):
        return self.model_.predict(X)


def ovr_macro_auc(y_true: np.ndarray, proba: np.ndarray, classes: np.ndarray) -> float:
    """One-vs-rest ROC AUC averaged over the classes present in ``y_true``.

    What ``roc_auc_score(multi_class="ovr", average="macro")`` computes, but robust to a
    model that never saw some test classes (their score column is 0, AUC 0.5) or that knows
    classes absent from the test rows (ignored) — common with synthetic training data.
    """
    y_true = np.asarray(y_true)
    present = np.unique(y_true)
    if len(present) < 2:
        raise DataError("utility: the real test rows hold a single class; AUC is undefined")
    column = {label: i for i, label in enumerate(classes)}
    aucs = []
    for label in present:
        scores = proba[:, column[label]] if label in column else np.zeros(len(y_true))
        aucs.append(roc_auc_score(y_true == label, scores))
    return float(np.mean(aucs))


class UtilityMetric(MachineLearningEfficacyMetric):
    """SyntheRela's ML-efficacy metric with a class-robust score and aligned encodings."""

    kind = "classification"

    def prepare_data(self, X, ht=None, **kwargs):
        """SyntheRela's encoding, then gaps filled with the real training means: the
        pipeline's imputer would drop a column that is empty in one training set (say, a
        date a generator never filled), and importances would no longer line up."""
        fitting = ht is None
        transformed, ht = super().prepare_data(X, ht)
        if fitting:
            self.fill_values = transformed.mean(numeric_only=True).fillna(0.0)
        return transformed.fillna(self.fill_values), ht

    def score(self, model, X, y):
        """AUC (one-vs-rest, macro) or minus RMSE: higher is better, as in SyntheRela."""
        if self.kind == "classification":
            return ovr_macro_auc(y, model.predict_proba(X), model["clf"].classes_)
        return -float(np.sqrt(np.mean((np.asarray(y, dtype=float) - model.predict(X)) ** 2)))


def _efficacy_metric(task: UtilityTask, name: str, factory: Callable, seed: int):
    """The metric for one model type of one task."""
    wrapper = UtilityClassifier if task.kind == "classification" else UtilityRegressor
    args = {"factory": factory, "seed": seed, "max_rows": SVM_MAX_ROWS if name in ("svc", "svr") else None}
    metric = UtilityMetric(target=(task.table, task.target, task.kind), classifier_cls=wrapper,
                             classifier_args=args, random_state=seed, feature_engineering_function=_given)
    metric.kind = task.kind
    metric.name = f"utility-{task.name}-{name}"
    return metric


def _given(data: tuple[pd.DataFrame, pd.Series], _metadata) -> tuple[pd.DataFrame, pd.Series]:
    """The metric's feature-engineering hook: features are built once per split beforehand
    (they also give the row counts and the naive baseline), so they are passed through."""
    return data


# --------------------------------------------------------------------------------------
# Evaluation
# --------------------------------------------------------------------------------------


def evaluate_utility(data: PreparedDataset, synthetic: dict[str, pd.DataFrame], tasks: list[UtilityTask], *,
                     seed: int = 0, bootstrap: int = 10) -> dict:
    """Train on synthetic, test on real, for every task; JSON-ready dict keyed by task name.

    Per task: ``real`` and ``synthetic`` are the scores of XGBoost (``SCORE_MODEL``, the model
    SyntheRela's Table 2 reports) trained on the real training rows and on the synthetic sample
    (RMSE is positive, lower is better), with bootstrap standard errors; ``best_model`` the
    model type that does best on real data; ``naive`` a feature-blind baseline;
    ``model_selection`` / ``feature_selection`` the rank agreements (``feature_selection_model``:
    whose importances are compared, XGBoost) and their standard errors; ``models`` every model
    type's two scores; the row counts (examples after the task's aggregation); and ``holdout``,
    where the real test rows came from ("test split", "last 20% of <column>", "random 20%").
    """
    if bootstrap < 1:
        raise ValueError("bootstrap must be at least 1")
    state = np.random.get_state()  # the metric seeds numpy's global generator; give it back
    try:
        return {task.name: _evaluate_task(data, synthetic, task, seed, bootstrap) for task in tasks}
    finally:
        np.random.set_state(state)


def _evaluate_task(data: PreparedDataset, synthetic: Tables, task: UtilityTask, seed: int, bootstrap: int) -> dict:
    _check_task(data, synthetic, task)
    holdout = split_real(data, task, seed)
    synthetic = restrict_synthetic(synthetic, data.metadata, task, holdout)
    real_xy = _features(task, holdout.train, data.metadata, "real training data")
    synthetic_xy = _features(task, synthetic, data.metadata, "synthetic data")
    test_xy = _features(task, holdout.test, data.metadata, "real test data")
    sign = 1.0 if task.higher_is_better else -1.0  # the metric's scores are higher-is-better

    runs = {}
    for name, factory in model_types(task.kind, seed).items():
        runs[name] = _run_model(task, name, factory, seed, bootstrap, real_xy, synthetic_xy, test_xy)
    best = max(runs, key=lambda n: runs[n]["real_score"])
    headline = runs[SCORE_MODEL]
    model_selection, model_selection_se = _model_selection(runs, bootstrap)
    feature_selection, feature_selection_se = _feature_selection(runs[FEATURE_SELECTION_MODEL], bootstrap)
    return {
        "table": task.table,
        "target": task.target,
        "metric": task.metric,
        "higher_is_better": task.higher_is_better,
        "holdout": holdout.label,
        "real": sign * float(headline["real_score"]),
        "real_se": float(headline["real_score_se"]),
        "synthetic": sign * float(headline["synthetic_score"]),
        "synthetic_se": float(headline["synthetic_score_se"]),
        "naive": naive_score(task, real_xy[1], test_xy[1]),
        "best_model": best,
        "model_selection": model_selection,
        "model_selection_se": model_selection_se,
        "feature_selection": feature_selection,
        "feature_selection_se": feature_selection_se,
        "feature_selection_model": FEATURE_SELECTION_MODEL,
        "models": {n: {"real": sign * float(r["real_score"]), "synthetic": sign * float(r["synthetic_score"])}
                   for n, r in runs.items()},
        "n_train_real": len(real_xy[1]),
        "n_train_synthetic": len(synthetic_xy[1]),
        "n_test": len(test_xy[1]),
    }


def _check_task(data: PreparedDataset, synthetic: Tables, task: UtilityTask) -> None:
    """The target exists in the real and synthetic data (one-line DataError otherwise)."""
    for label, tables in (("real", data.tables), ("synthetic", synthetic)):
        if task.table not in tables:
            raise DataError(f"utility task {task.name}: the {label} data has no table {task.table!r}")
        if task.target not in tables[task.table].columns:
            raise DataError(f"utility task {task.name}: the {label} table {task.table!r} "
                            f"has no target column {task.target!r}")


def _features(task: UtilityTask, tables: Tables, metadata: Metadata, label: str) -> tuple[pd.DataFrame, pd.Series]:
    """(X, y) for one split, rows with a missing (or, for regression, non-numeric/infinite)
    target dropped; classification labels as strings so real and synthetic labels compare."""
    build = task.features or (lambda t, m: relational_features(t, m, task.table, task.target))
    X, y = build(tables, metadata)
    X, y = X.reset_index(drop=True), y.reset_index(drop=True)
    if task.kind == "regression":
        y = pd.to_numeric(y, errors="coerce").astype(float)
        usable = np.isfinite(y.to_numpy())
    else:
        usable = y.notna().to_numpy()
        y = y.astype(str)
    if not usable.any():
        raise DataError(f"utility task {task.name}: {task.table}.{task.target} has no usable value "
                        f"in the {label}")
    return X[usable].reset_index(drop=True), y[usable].reset_index(drop=True)


_REAL_CACHE: "OrderedDict[str, dict]" = OrderedDict()
_REAL_CACHE_SIZE = 32


def _run_model(task: UtilityTask, name: str, factory: Callable, seed: int, bootstrap: int,
               real_xy, synthetic_xy, test_xy) -> dict:
    """One model type through the metric; the real-trained side is remembered across samples
    of the same dataset (same features, seed and rounds give the same result, so it is only
    computed once per run rather than once per sample)."""
    metric = _efficacy_metric(task, name, factory, seed)
    key = _fingerprint(task, name, seed, bootstrap, *real_xy, *test_xy)
    cached = _REAL_CACHE.get(key, {})
    with warnings.catch_warnings():  # a linear model that does not converge on noise is scored as it is
        warnings.simplefilter("ignore", ConvergenceWarning)
        result = metric.run(real_xy, synthetic_xy, None, test_xy, m=bootstrap,
                            feature_importance=name == FEATURE_SELECTION_MODEL,
                            score_real=cached.get("score"), se_real=cached.get("se"),
                            feature_importance_real=cached.get("importance"))
    _REAL_CACHE[key] = {"score": result["real_score"], "se": result["real_score_se"],
                        "importance": result["full_feature_importance_real"]}
    _REAL_CACHE.move_to_end(key)
    while len(_REAL_CACHE) > _REAL_CACHE_SIZE:
        _REAL_CACHE.popitem(last=False)
    return result


def _fingerprint(task: UtilityTask, name: str, seed: int, bootstrap: int, *frames) -> str:
    digest = hashlib.sha256(repr((task, name, seed, bootstrap)).encode())
    for frame in frames:
        digest.update(repr(list(frame.columns) if isinstance(frame, pd.DataFrame) else frame.name).encode())
        digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return digest.hexdigest()


def naive_score(task: UtilityTask, y_train: pd.Series, y_test: pd.Series) -> float:
    """A model that ignores the features: the training class frequencies (AUC 0.5 by
    construction) or the training mean (RMSE)."""
    if task.kind == "classification":
        classes, counts = np.unique(y_train.to_numpy(), return_counts=True)
        proba = np.tile(counts / counts.sum(), (len(y_test), 1))
        return ovr_macro_auc(y_test.to_numpy(), proba, classes)
    return float(np.sqrt(np.mean((y_test.to_numpy() - y_train.mean()) ** 2)))


def rank_agreement(real: np.ndarray, synthetic: np.ndarray) -> float:
    """Weighted Kendall tau of two score vectors, the top of the ranking weighing most.

    Undefined when one side is constant (e.g. a model that used no feature): such a ranking
    expresses no preference, so it counts as no agreement (0).
    """
    value = weightedtau(np.asarray(real, dtype=float), np.asarray(synthetic, dtype=float)).statistic
    return 0.0 if not np.isfinite(value) else float(value)


def _model_selection(runs: dict[str, dict], bootstrap: int) -> tuple[float, float]:
    """Agreement of the model types' real scores with their synthetic scores; the standard
    error from the synthetic bootstrap replicates."""
    names = list(runs)
    real = [runs[n]["real_score"] for n in names]
    point = rank_agreement(real, [runs[n]["synthetic_score"] for n in names])
    replicates = [rank_agreement(real, [runs[n]["synthetic_score_array"][b] for n in names]) for b in range(bootstrap)]
    return point, float(np.std(replicates) / np.sqrt(bootstrap))


def _feature_selection(run: dict, bootstrap: int) -> tuple[float, float]:
    """Agreement of one model type's feature importances, real- vs synthetic-trained."""
    real = run["full_feature_importance_real"]
    point = rank_agreement(real, run["full_feature_importance_synthetic"])
    replicates = [rank_agreement(real, importance) for importance in run["importance_synthetic"]]
    return point, float(np.std(replicates) / np.sqrt(bootstrap))
