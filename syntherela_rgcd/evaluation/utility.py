"""Machine-learning utility: train on synthetic, test on real (SyntheRela's ML-efficacy protocol).

For each task (a target column of one table) several model types are trained twice, once on
the real training rows and once on the synthetic sample, and both are scored on the same real
test rows. Besides the scores, two rank agreements tell whether the synthetic data would lead
an analyst to the same *choices* as the real data:

* model selection: weighted rank correlation (``scipy.stats.weightedtau``) of the model
  types' scores when trained on real vs synthetic data;
* feature selection: the same correlation between the feature importances of the best
  real-trained model and those of that model type trained on synthetic data.

Training and bootstrap standard errors go through SyntheRela's
``MachineLearningEfficacyMetric`` so that the scores mean what the benchmark's do; standard
errors follow its convention (standard deviation of the bootstrap replicates / sqrt(rounds)).

Features are relational, as in the benchmark: the target table's own columns, its parents'
columns and aggregates of its children (row count, mean of numerical columns, number of
distinct values of categorical ones), all read from the metadata. A task may replace that
with its own builder (``UtilityTask.features``) where the schema needs it (Walmart's weather
table joins on Store and Date, not on a foreign key; AirBnB's booking date leaks the target).

This module imports nothing from ``..datasets`` at import time: ``datasets.py`` imports the
task definitions below for its catalogue.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import warnings
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

import numpy as np
import pandas as pd

from ..errors import DataError

if TYPE_CHECKING:
    from syntherela.metadata import Metadata

    from ..datasets import PreparedDataset
    from ..plugins import Registry

logger = logging.getLogger(__name__)

Tables = dict[str, pd.DataFrame]
FeatureBuilder = Callable[[Tables, "Metadata"], "tuple[pd.DataFrame, pd.Series]"]

#: Share of the target table held out as real test rows when the dataset has no test split.
HOLDOUT_FRACTION = 0.2
KINDS = {"classification": "AUC", "regression": "RMSE"}
#: Model types with no feature importances (never picked for feature selection).
WITHOUT_IMPORTANCES = frozenset({"knn"})


# --------------------------------------------------------------------------------------
# Tasks
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class UtilityTask:
    """Predict ``table.target`` from relational features.

    ``holdout`` says where real test rows come from when the dataset has no test split:
    ``"time:<column>"`` holds out the last 20% of that column's distinct dates, ``"random"``
    a seeded random 20% of rows; the default, ``"test split"``, expects a split on disk and
    falls back to a random 20% (with a warning) when there is none.
    """

    name: str
    table: str
    target: str
    kind: str
    metric: str
    holdout: str = "test split"
    features: FeatureBuilder | None = None

    def __post_init__(self) -> None:
        if KINDS.get(self.kind) != self.metric:
            raise ValueError(f"utility task {self.name!r}: kind/metric must be one of {KINDS}, "
                             f"not {self.kind!r}/{self.metric!r}")
        if not (self.holdout in ("test split", "random") or self.holdout.startswith("time:")):
            raise ValueError(f"utility task {self.name!r}: holdout must be 'test split', 'random' "
                             f"or 'time:<column>', not {self.holdout!r}")

    @property
    def higher_is_better(self) -> bool:
        """AUC: higher is better; RMSE: lower is."""
        return self.metric == "AUC"


def tasks_for(dataset_name: str, registry: "Registry | None" = None) -> list[UtilityTask]:
    """The utility tasks a dataset's catalogue entry declares (by name or alias); [] if none."""
    if registry is None:
        from ..plugins import build_registry

        registry = build_registry()
    spec = registry.datasets.get(dataset_name)
    if spec is None:
        lowered = dataset_name.lower()
        spec = next((s for s in registry.datasets.values()
                     if lowered == s.name.lower() or lowered in (a.lower() for a in s.aliases)), None)
    return list(getattr(spec, "utility_tasks", ()) or ()) if spec is not None else []


# --------------------------------------------------------------------------------------
# Relational features
# --------------------------------------------------------------------------------------


def relational_features(tables: Tables, metadata: "Metadata", table: str,
                        target: str) -> tuple[pd.DataFrame, pd.Series]:
    """``table``'s columns + its parents' columns + aggregates of its children -> (X, y).

    One hop each way, like the benchmark's hand-written features: enough to let a model see
    the relational structure a generator has (or has not) kept, and cheap to compute. Id
    columns are dropped (they carry no meaning across real and synthetic data).
    """
    frame = tables[table].reset_index(drop=True)
    frame = _add_parent_columns(frame, tables, metadata, table)
    frame = _add_child_aggregates(frame, tables, metadata, table)
    y = frame.pop(target)
    ids = [c for c in _id_columns(metadata, table) if c in frame.columns]
    return frame.drop(columns=ids), y


def _id_columns(metadata: "Metadata", table: str) -> list[str]:
    columns = metadata.get_table_meta(table)["columns"]
    return [name for name, info in columns.items() if info["sdtype"] == "id"]


def _relationships(metadata: "Metadata", **match: str) -> list[dict]:
    return [r for r in metadata.relationships if all(r[k] == v for k, v in match.items())]


def _prefix(metadata: "Metadata", other: str, rel: dict) -> str:
    """``other`` alone, or ``other[fk]`` when two foreign keys link the same pair of tables."""
    pair = _relationships(metadata, parent_table_name=rel["parent_table_name"],
                          child_table_name=rel["child_table_name"])
    return other if len(pair) == 1 else f"{other}[{rel['child_foreign_key']}]"


def _add_parent_columns(frame: pd.DataFrame, tables: Tables, metadata: "Metadata", table: str) -> pd.DataFrame:
    """Join each parent's non-id columns (``parent.column``) on the foreign key."""
    for rel in _relationships(metadata, child_table_name=table):
        parent, fk, pk = rel["parent_table_name"], rel["child_foreign_key"], rel["parent_primary_key"]
        prefix = _prefix(metadata, parent, rel)
        keep = [c for c in tables[parent].columns if c not in _id_columns(metadata, parent)]
        right = tables[parent][[pk, *keep]].drop_duplicates(subset=pk)
        right = right.rename(columns={c: f"{prefix}.{c}" for c in keep}).rename(columns={pk: "__key"})
        frame = frame.merge(right, left_on=fk, right_on="__key", how="left").drop(columns="__key")
    return frame


def _add_child_aggregates(frame: pd.DataFrame, tables: Tables, metadata: "Metadata", table: str) -> pd.DataFrame:
    """Per child table: ``child.count``, ``child.col.mean`` (numerical, boolean) and
    ``child.col.nunique`` (categorical); rows without children get count 0."""
    for rel in _relationships(metadata, parent_table_name=table):
        child, fk, pk = rel["child_table_name"], rel["child_foreign_key"], rel["parent_primary_key"]
        prefix = _prefix(metadata, child, rel)
        aggregates = _aggregate_children(tables[child], metadata.get_table_meta(child)["columns"], fk, prefix)
        frame = frame.merge(aggregates, left_on=pk, right_index=True, how="left")
        counts = [c for c in aggregates.columns if c.endswith((".count", ".nunique"))]
        frame[counts] = frame[counts].fillna(0)
    return frame


def _aggregate_children(child: pd.DataFrame, columns: dict, fk: str, prefix: str) -> pd.DataFrame:
    groups = child.groupby(fk, observed=True, sort=False)
    parts = [groups.size().rename(f"{prefix}.count")]
    for name, info in columns.items():
        if name == fk or name not in child.columns:
            continue
        if info["sdtype"] in ("numerical", "boolean"):
            values = pd.to_numeric(child[name], errors="coerce").astype(float)
            parts.append(values.groupby(child[fk], observed=True, sort=False).mean().rename(f"{prefix}.{name}.mean"))
        elif info["sdtype"] == "categorical":
            parts.append(groups[name].nunique().rename(f"{prefix}.{name}.nunique"))
    return pd.concat(parts, axis=1)


def join_nearest(frame: pd.DataFrame, other: pd.DataFrame, by: str, on: str, prefix: str) -> pd.DataFrame:
    """Add ``other``'s columns (as ``prefix.column``) from its row with the same ``by`` and the
    nearest ``on``.

    For tables linked by shared columns rather than a foreign key (Walmart's ``features``:
    Store + Date). Nearest rather than exact: a generator samples the two tables' dates
    independently, so exact matches would leave most synthetic rows without features, while
    on the real data nearest and exact coincide.
    """
    left = frame.reset_index(drop=True)
    new = {c: f"{prefix}.{c}" for c in other.columns if c not in (by, on)}
    right = other.rename(columns=new).dropna(subset=[by, on])
    right = right.astype({by: left[by].dtype}).sort_values(on, kind="stable")
    rows = left[[by, on]].assign(__row=np.arange(len(left))).dropna(subset=[by, on]).sort_values(on, kind="stable")
    matched = pd.merge_asof(rows, right, on=on, by=by, direction="nearest")
    matched = matched.set_index("__row")[list(new.values())]
    return pd.concat([left, matched.reindex(np.arange(len(left)))], axis=1)


def airbnb_features(tables: Tables, metadata: "Metadata") -> tuple[pd.DataFrame, pd.Series]:
    """AirBnB users with their sessions' aggregates, without ``date_first_booking``: it is
    missing exactly when the user did not book (NDF), so it would give the target away
    (SyntheRela's own utility script drops it too)."""
    X, y = relational_features(tables, metadata, "users", "country_destination")
    return X.drop(columns=["date_first_booking"], errors="ignore"), y


def walmart_features(tables: Tables, metadata: "Metadata") -> tuple[pd.DataFrame, pd.Series]:
    """Walmart department sales with the store's columns and the ``features`` row (weather,
    fuel price, CPI, unemployment, markdowns, holiday) of the same store and date."""
    depts = join_nearest(tables["depts"], tables["features"], by="Store", on="Date", prefix="features")
    return relational_features({**tables, "depts": depts}, metadata, "depts", "Weekly_Sales")


AIRBNB_TASKS = (UtilityTask("country_destination", "users", "country_destination", "classification", "AUC",
                            features=airbnb_features),)
WALMART_TASKS = (UtilityTask("Weekly_Sales", "depts", "Weekly_Sales", "regression", "RMSE",
                             holdout="time:Date", features=walmart_features),)
ROSSMANN_TASKS = (UtilityTask("Customers", "historical", "Customers", "regression", "RMSE", holdout="time:Date"),)


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


def find_test_split(data: "PreparedDataset") -> Path | None:
    """``<root>/test/<name>`` beside ``<root>/original/<name>``, or ``<dataset>/test``."""
    for folder in (data.path.parent.parent / "test" / data.name, data.path / "test"):
        if folder.is_dir() and any(folder.glob("*.csv")):
            return folder
    return None


def load_test_split(folder: Path, data: "PreparedDataset") -> Tables:
    """Load a test split like the real data; without its own metadata.json it uses the
    dataset's (as the published AirBnB split does)."""
    from ..datasets import check_files, referential_problems, validate_tables

    label = f"{data.name} (test split {folder})"
    if (folder / "metadata.json").is_file():
        from ..datasets import load_dataset

        tables, _ = load_dataset(folder, label)
    else:
        from syntherela.data import load_tables
        from syntherela.metadata import Metadata

        metadata = Metadata.load_from_json(data.path / "metadata.json")
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


def split_real(data: "PreparedDataset", task: UtilityTask, seed: int) -> Holdout:
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


def _time_holdout(data: "PreparedDataset", task: UtilityTask, column: str) -> Holdout:
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


def restrict_synthetic(synthetic: Tables, metadata: "Metadata", task: UtilityTask, holdout: Holdout) -> Tables:
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


def _keep_rows(tables: Tables, metadata: "Metadata", table: str, keep: np.ndarray) -> Tables:
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
    """Model name -> factory of an unfitted scikit-learn estimator, all seeded and single-threaded.

    Small enough to train the whole set a few dozen times in seconds on two cores; varied
    enough (boosting, bagging, linear, a single tree, neighbours) for their ranking to mean
    something.
    """
    from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
    from sklearn.linear_model import LogisticRegression, Ridge
    from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor
    from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor
    from xgboost import XGBClassifier, XGBRegressor

    boosting = dict(n_estimators=30, max_depth=6, learning_rate=0.2, min_child_weight=5, tree_method="hist",
                    n_jobs=1, random_state=seed)
    forest = dict(n_estimators=40, min_samples_leaf=10, max_features="sqrt", n_jobs=1, random_state=seed)
    tree = dict(max_depth=8, min_samples_leaf=10, random_state=seed)
    if kind == "classification":
        return {
            "xgboost": lambda: XGBClassifier(**boosting),
            "random_forest": lambda: RandomForestClassifier(**forest),
            "linear": lambda: LogisticRegression(C=0.1, max_iter=100),
            "decision_tree": lambda: DecisionTreeClassifier(**tree),
            "knn": lambda: KNeighborsClassifier(n_neighbors=15),
        }
    return {
        "xgboost": lambda: XGBRegressor(**boosting),
        "random_forest": lambda: RandomForestRegressor(**forest),
        "linear": lambda: Ridge(alpha=1.0),
        "decision_tree": lambda: DecisionTreeRegressor(**tree),
        "knn": lambda: KNeighborsRegressor(n_neighbors=15),
    }


@functools.lru_cache(maxsize=None)
def _estimator_classes():
    """Built once, on first use, so that importing this module does not import scikit-learn."""
    from sklearn.base import BaseEstimator
    from sklearn.preprocessing import LabelEncoder

    class _Model(BaseEstimator):
        """A fresh estimator from ``factory`` per fit (the metric builds one wrapper per fit),
        with ``feature_importances_`` for trees and linear models alike."""

        def __init__(self, factory=None):
            self.factory = factory

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
            encoder = LabelEncoder().fit(np.asarray(y))
            self.classes_ = encoder.classes_
            self.model_ = None
            if len(self.classes_) > 1:
                self.model_ = self.factory().fit(X, encoder.transform(np.asarray(y)))
            return self

        def predict_proba(self, X):
            if self.model_ is None:
                return np.ones((len(X), 1))
            return self.model_.predict_proba(X)

    class UtilityRegressor(_Model):
        def fit(self, X, y):
            self.n_features_in_ = X.shape[1]
            self.model_ = self.factory().fit(X, np.asarray(y, dtype=float))
            return self

        def predict(self, X):
            return self.model_.predict(X)

    return UtilityClassifier, UtilityRegressor


def ovr_macro_auc(y_true: np.ndarray, proba: np.ndarray, classes: np.ndarray) -> float:
    """One-vs-rest ROC AUC averaged over the classes present in ``y_true``.

    What ``roc_auc_score(multi_class="ovr", average="macro")`` computes, but robust to a
    model that never saw some test classes (their score column is 0, AUC 0.5) or that knows
    classes absent from the test rows (ignored) — common with synthetic training data.
    """
    from sklearn.metrics import roc_auc_score

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


@functools.lru_cache(maxsize=None)
def _metric_class():
    """SyntheRela's ML-efficacy metric with a class-robust score and aligned encodings."""
    from syntherela.metrics.utility import MachineLearningEfficacyMetric

    class UtilityMetric(MachineLearningEfficacyMetric):
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

    return UtilityMetric


def _efficacy_metric(task: UtilityTask, name: str, factory: Callable, seed: int):
    """The metric for one model type of one task."""
    classifier, regressor = _estimator_classes()
    wrapper = classifier if task.kind == "classification" else regressor
    metric = _metric_class()(target=(task.table, task.target, task.kind), classifier_cls=wrapper,
                             classifier_args={"factory": factory}, random_state=seed,
                             feature_engineering_function=_given)
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


def evaluate_utility(data: "PreparedDataset", synthetic: dict[str, pd.DataFrame], tasks: list[UtilityTask], *,
                     seed: int = 0, bootstrap: int = 10) -> dict:
    """Train on synthetic, test on real, for every task; JSON-ready dict keyed by task name.

    Per task: ``real`` is the score of the model type that does best on real data and
    ``synthetic`` that same model type's score when trained on the synthetic sample (RMSE is
    positive, lower is better), with bootstrap standard errors; ``naive`` a feature-blind
    baseline; ``model_selection`` / ``feature_selection`` the rank agreements (with
    ``feature_selection_model``, the best real model type that has importances) and their
    standard errors; ``models`` every model type's two scores; the row counts; and ``holdout``,
    where the real test rows came from ("test split", "last 20% of <column>", "random 20%").
    """
    if bootstrap < 1:
        raise ValueError("bootstrap must be at least 1")
    state = np.random.get_state()  # the metric seeds numpy's global generator; give it back
    try:
        return {task.name: _evaluate_task(data, synthetic, task, seed, bootstrap) for task in tasks}
    finally:
        np.random.set_state(state)


def _evaluate_task(data: "PreparedDataset", synthetic: Tables, task: UtilityTask, seed: int, bootstrap: int) -> dict:
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
    selector = max((n for n in runs if len(runs[n]["full_feature_importance_real"])),
                   key=lambda n: runs[n]["real_score"])
    model_selection, model_selection_se = _model_selection(runs, bootstrap)
    feature_selection, feature_selection_se = _feature_selection(runs[selector], bootstrap)
    return {
        "table": task.table,
        "target": task.target,
        "metric": task.metric,
        "higher_is_better": task.higher_is_better,
        "holdout": holdout.label,
        "real": sign * float(runs[best]["real_score"]),
        "real_se": float(runs[best]["real_score_se"]),
        "synthetic": sign * float(runs[best]["synthetic_score"]),
        "synthetic_se": float(runs[best]["synthetic_score_se"]),
        "naive": naive_score(task, real_xy[1], test_xy[1]),
        "best_model": best,
        "model_selection": model_selection,
        "model_selection_se": model_selection_se,
        "feature_selection": feature_selection,
        "feature_selection_se": feature_selection_se,
        "feature_selection_model": selector,
        "models": {n: {"real": sign * float(r["real_score"]), "synthetic": sign * float(r["synthetic_score"])}
                   for n, r in runs.items()},
        "n_train_real": len(real_xy[1]),
        "n_train_synthetic": len(synthetic_xy[1]),
        "n_test": len(test_xy[1]),
    }


def _check_task(data: "PreparedDataset", synthetic: Tables, task: UtilityTask) -> None:
    """The target exists in the real and synthetic data (one-line DataError otherwise)."""
    for label, tables in (("real", data.tables), ("synthetic", synthetic)):
        if task.table not in tables:
            raise DataError(f"utility task {task.name}: the {label} data has no table {task.table!r}")
        if task.target not in tables[task.table].columns:
            raise DataError(f"utility task {task.name}: the {label} table {task.table!r} "
                            f"has no target column {task.target!r}")


def _features(task: UtilityTask, tables: Tables, metadata: "Metadata", label: str) -> tuple[pd.DataFrame, pd.Series]:
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
    from sklearn.exceptions import ConvergenceWarning

    metric = _efficacy_metric(task, name, factory, seed)
    key = _fingerprint(task, name, seed, bootstrap, *real_xy, *test_xy)
    cached = _REAL_CACHE.get(key, {})
    with warnings.catch_warnings():  # a linear model that does not converge on noise is scored as it is
        warnings.simplefilter("ignore", ConvergenceWarning)
        result = metric.run(real_xy, synthetic_xy, None, test_xy, m=bootstrap,
                            feature_importance=name not in WITHOUT_IMPORTANCES,
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
    from scipy.stats import weightedtau

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
