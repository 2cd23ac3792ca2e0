"""The utility metric (train on synthetic, test on real): tasks, holdouts, features, scores.

The fast tests run on a small Rossmann stand-in with Rossmann's schema (``store`` ->
``historical``) in which Customers depends on the store's type and assortment and on the
day's promotion, so that a model has something relational to learn. The real-data tests
(``-m slow``) use the shared AirBnB and Walmart datasets with the real data as "synthetic".
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from syntherela_rgcd.datasets import PreparedDataset, load_dataset, write_dataset
from syntherela_rgcd.errors import DataError
from syntherela_rgcd.evaluation import utility
from syntherela_rgcd.evaluation.utility import (
    ROSSMANN_TASKS,
    UtilityTask,
    evaluate_utility,
    join_nearest,
    ovr_macro_auc,
    relational_features,
    tasks_for,
)
from syntherela_rgcd.plugins import build_registry, hookimpl

RESULT_KEYS = {
    "table", "target", "metric", "higher_is_better", "holdout", "real", "real_se", "synthetic", "synthetic_se",
    "naive", "model_selection", "model_selection_se", "feature_selection", "feature_selection_se", "models",
    "n_train_real", "n_train_synthetic", "n_test",
}
CUSTOMERS = ROSSMANN_TASKS[0]
DAY_OF_WEEK = UtilityTask("DayOfWeek", "historical", "DayOfWeek", "classification", "AUC", holdout="random")

# --------------------------------------------------------------------------------------
# A Rossmann stand-in
# --------------------------------------------------------------------------------------

ROSSMANN_METADATA = {
    "METADATA_SPEC_VERSION": "MULTI_TABLE_V1",
    "tables": {
        "store": {
            "primary_key": "Store",
            "columns": {
                "Store": {"sdtype": "id"},
                "StoreType": {"sdtype": "categorical"},
                "Assortment": {"sdtype": "categorical"},
                "CompetitionDistance": {"sdtype": "numerical"},
                "Promo2": {"sdtype": "categorical"},
            },
        },
        "historical": {
            "primary_key": "Id",
            "columns": {
                "Id": {"sdtype": "id"},
                "Store": {"sdtype": "id"},
                "DayOfWeek": {"sdtype": "categorical"},
                "Date": {"sdtype": "datetime", "datetime_format": "%Y-%m-%d"},
                "Sales": {"sdtype": "numerical"},
                "Customers": {"sdtype": "numerical"},
                "Open": {"sdtype": "categorical"},
                "Promo": {"sdtype": "categorical"},
                "StateHoliday": {"sdtype": "categorical"},
                "SchoolHoliday": {"sdtype": "categorical"},
            },
        },
    },
    "relationships": [{"parent_table_name": "store", "parent_primary_key": "Store",
                       "child_table_name": "historical", "child_foreign_key": "Store"}],
}
N_STORES, N_DAYS = 20, 30
TYPE_CUSTOMERS = {"a": 500.0, "b": 1200.0, "c": 700.0, "d": 350.0}


def rossmann_standin(seed: int = 0, start: str = "2014-07-01") -> dict[str, pd.DataFrame]:
    """20 stores x 30 days; closed on Sundays; Customers = type base x assortment x promo x noise."""
    rng = np.random.default_rng(seed)
    store = pd.DataFrame({
        "Store": np.arange(1, N_STORES + 1),
        "StoreType": rng.choice(list(TYPE_CUSTOMERS), N_STORES),
        "Assortment": rng.choice(list("abc"), N_STORES),
        "CompetitionDistance": rng.uniform(100, 20000, N_STORES).round(-1),
        "Promo2": rng.integers(0, 2, N_STORES),
    })
    days = pd.date_range(start, periods=N_DAYS, freq="D")
    grid = pd.MultiIndex.from_product([store["Store"], days], names=["Store", "Date"]).to_frame(index=False)
    grid = grid.merge(store, on="Store")
    day_of_week = grid["Date"].dt.dayofweek + 1
    is_open = (day_of_week != 7).astype(int)
    promo = (rng.random(len(grid)) < 0.4).astype(int)
    base = grid["StoreType"].map(TYPE_CUSTOMERS) * np.where(grid["Assortment"] == "c", 1.4, 1.0)
    customers = (is_open * base * (1 + 0.7 * promo) * np.exp(rng.normal(0, 0.1, len(grid)))).round()
    historical = pd.DataFrame({
        "Id": np.arange(len(grid)),
        "Store": grid["Store"],
        "DayOfWeek": day_of_week,
        "Date": grid["Date"].dt.strftime("%Y-%m-%d"),
        "Sales": (customers * rng.uniform(6, 12, len(grid))).round(),
        "Customers": customers,
        "Open": is_open,
        "Promo": promo,
        "StateHoliday": "0",
        "SchoolHoliday": (rng.random(len(grid)) < 0.2).astype(int),
    })
    return {"store": store, "historical": historical}


def prepare(root: Path, name: str = "rossmann_standin", seed: int = 0) -> PreparedDataset:
    """Write the stand-in in SyntheRela's layout and load it the way the runner does."""
    path = root / "original" / name
    write_dataset(path, rossmann_standin(seed), ROSSMANN_METADATA)
    tables, metadata = load_dataset(path, name)
    return PreparedDataset(name, path, tables, metadata)


@pytest.fixture(scope="module")
def rossmann(tmp_path_factory) -> PreparedDataset:
    return prepare(tmp_path_factory.mktemp("rossmann"))


def copy_tables(tables: dict) -> dict:
    return {name: table.copy() for name, table in tables.items()}


def run(data: PreparedDataset, synthetic: dict, task: UtilityTask = CUSTOMERS, **kwargs) -> dict:
    kwargs.setdefault("bootstrap", 2)
    return evaluate_utility(data, synthetic, [task], **kwargs)[task.name]


# --------------------------------------------------------------------------------------
# End to end on the stand-in
# --------------------------------------------------------------------------------------


def test_real_as_synthetic_matches_real_with_time_holdout(rossmann):
    result = run(rossmann, copy_tables(rossmann.tables))

    assert set(result) >= RESULT_KEYS
    assert (result["table"], result["target"], result["metric"]) == ("historical", "Customers", "RMSE")
    assert result["holdout"] == "last 20% of Date" and result["higher_is_better"] is False
    dates = rossmann.tables["historical"]["Date"]
    test_rows = int((dates >= dates.sort_values().unique()[-6]).sum())  # 6 of 30 days
    assert result["n_test"] == test_rows
    assert result["n_train_real"] == len(dates) - test_rows
    # the synthetic rows of the test period are left out too, so training sets are the same
    assert result["n_train_synthetic"] == result["n_train_real"]

    assert result["synthetic"] == pytest.approx(result["real"])
    assert result["model_selection"] == pytest.approx(1.0)
    assert result["feature_selection"] == pytest.approx(1.0)
    assert 0 < result["real"] < 0.6 * result["naive"]  # store + promo explain most of Customers
    assert set(result["models"]) == {"xgboost", "random_forest", "linear", "decision_tree", "knn"}
    assert result["real"] == min(m["real"] for m in result["models"].values())  # RMSE: best = lowest
    json.dumps(result, allow_nan=False)
    assert all(type(v) in (str, bool, int, float, dict) for v in result.values())


def test_shuffled_target_scores_worse_than_real_and_near_naive(rossmann):
    garbage = copy_tables(rossmann.tables)
    rng = np.random.default_rng(1)
    garbage["historical"]["Customers"] = rng.permutation(garbage["historical"]["Customers"].to_numpy())

    result = run(rossmann, garbage)

    assert result["synthetic"] > 3 * result["real"]
    assert result["synthetic"] >= 0.8 * result["naive"]
    assert result["feature_selection"] < 0.8
    assert result["model_selection"] < 0.9


def test_naive_rmse_is_the_spread_of_the_test_targets_around_the_training_mean(rossmann):
    result = run(rossmann, copy_tables(rossmann.tables))

    historical = rossmann.tables["historical"]
    test = historical["Date"] >= historical["Date"].sort_values().unique()[-6]
    y_test, y_train = historical.loc[test, "Customers"], historical.loc[~test, "Customers"]
    expected = np.sqrt(y_test.var(ddof=0) + (y_test.mean() - y_train.mean()) ** 2)
    assert result["naive"] == pytest.approx(expected)
    assert result["naive"] >= y_test.std(ddof=0)


def test_relational_features_carry_the_signal(rossmann):
    """Without the store's columns the same models do clearly worse: the join matters."""

    def without_store(tables, metadata):
        X, y = relational_features(tables, metadata, "historical", "Customers")
        return X.drop(columns=[c for c in X.columns if c.startswith("store.")]), y

    flat = UtilityTask("Customers", "historical", "Customers", "regression", "RMSE", holdout="time:Date",
                       features=without_store)
    assert run(rossmann, copy_tables(rossmann.tables), flat)["real"] > \
        1.3 * run(rossmann, copy_tables(rossmann.tables))["real"]


def test_classification_naive_auc_is_half_and_missing_classes_do_not_crash(rossmann):
    real = run(rossmann, copy_tables(rossmann.tables), DAY_OF_WEEK)
    assert real["holdout"] == "random 20%" and real["metric"] == "AUC" and real["higher_is_better"] is True
    assert real["naive"] == 0.5 and real["real"] > 0.6
    # a random holdout cannot be taken out of synthetic data: it trains on all its rows
    assert (real["n_test"], real["n_train_real"], real["n_train_synthetic"]) == (120, 480, 600)

    partial = copy_tables(rossmann.tables)
    hist = partial["historical"]
    partial["historical"] = hist[~hist["DayOfWeek"].astype(str).isin(["6", "7"])].reset_index(drop=True)
    missing = run(rossmann, partial, DAY_OF_WEEK)
    assert missing["n_train_synthetic"] < missing["n_train_real"]
    assert 0.5 <= missing["synthetic"] < missing["real"]  # two classes it never saw score 0.5

    single = copy_tables(rossmann.tables)
    single["historical"]["DayOfWeek"] = "1"
    assert run(rossmann, single, DAY_OF_WEEK)["synthetic"] == pytest.approx(0.5)


def test_same_seed_same_result_and_global_rng_untouched(rossmann):
    synthetic = copy_tables(rossmann.tables)
    synthetic["historical"] = synthetic["historical"].sample(frac=0.7, random_state=3).reset_index(drop=True)
    utility._REAL_CACHE.clear()
    np.random.seed(123)
    first = run(rossmann, synthetic)
    after = np.random.random()
    utility._REAL_CACHE.clear()  # the real side is recomputed, not read from the cache
    np.random.seed(123)
    assert run(rossmann, synthetic) == first
    assert np.random.random() == after
    assert run(rossmann, synthetic, seed=1) != first


def test_missing_target_or_table_is_a_data_error(rossmann):
    synthetic = copy_tables(rossmann.tables)
    synthetic["historical"] = synthetic["historical"].drop(columns=["Customers"])
    with pytest.raises(DataError, match="historical.*Customers"):
        run(rossmann, synthetic)
    with pytest.raises(DataError, match="historical"):
        run(rossmann, {"store": rossmann.tables["store"]})
    empty = copy_tables(rossmann.tables)
    empty["historical"]["Customers"] = np.nan
    with pytest.raises(DataError, match="historical.Customers"):
        run(rossmann, empty)


def test_bootstrap_must_be_positive(rossmann):
    with pytest.raises(ValueError):
        evaluate_utility(rossmann, rossmann.tables, [CUSTOMERS], bootstrap=0)


# --------------------------------------------------------------------------------------
# Test splits on disk
# --------------------------------------------------------------------------------------


def test_a_test_split_beside_the_original_is_preferred(tmp_path):
    data = prepare(tmp_path)
    write_dataset(tmp_path / "test" / data.name, rossmann_standin(seed=7, start="2014-09-01"), ROSSMANN_METADATA)

    result = run(data, copy_tables(data.tables))

    assert result["holdout"] == "test split"
    assert result["n_test"] == N_STORES * N_DAYS
    assert result["n_train_real"] == result["n_train_synthetic"] == N_STORES * N_DAYS


def test_a_test_folder_inside_the_dataset_without_metadata(tmp_path):
    data = prepare(tmp_path)
    folder = data.path / "test"
    folder.mkdir()
    for name, table in rossmann_standin(seed=7).items():
        table.head(200 if name == "historical" else None).to_csv(folder / f"{name}.csv", index=False)

    result = run(data, copy_tables(data.tables))

    assert (result["holdout"], result["n_test"]) == ("test split", 200)


def test_a_broken_test_split_names_the_culprit(tmp_path):
    data = prepare(tmp_path)
    folder = data.path / "test"
    folder.mkdir()
    rossmann_standin(seed=7)["store"].to_csv(folder / "store.csv", index=False)
    with pytest.raises(DataError, match="historical"):
        run(data, copy_tables(data.tables))


# --------------------------------------------------------------------------------------
# Building blocks
# --------------------------------------------------------------------------------------


def test_relational_features_join_parents_and_aggregate_children(rossmann):
    tables, metadata = rossmann.tables, rossmann.metadata
    X, y = relational_features(tables, metadata, "historical", "Customers")
    assert {"store.StoreType", "store.Assortment", "store.CompetitionDistance", "Promo", "Date"} <= set(X.columns)
    assert not {"Id", "Store", "Customers"} & set(X.columns)
    first = tables["historical"].iloc[0]
    parent = tables["store"].set_index("Store").loc[first["Store"]]
    assert X.loc[0, "store.StoreType"] == parent["StoreType"] and y[0] == first["Customers"]

    X, y = relational_features(tables, metadata, "store", "CompetitionDistance")
    rows = tables["historical"][tables["historical"]["Store"] == tables["store"]["Store"][0]]
    assert X.loc[0, "historical.count"] == len(rows)
    assert X.loc[0, "historical.Sales.mean"] == pytest.approx(rows["Sales"].mean())
    assert X.loc[0, "historical.Open.nunique"] == rows["Open"].nunique()
    assert "historical.Date.mean" not in X.columns  # dates are not averaged

    childless = {"store": tables["store"], "historical": tables["historical"].iloc[0:0]}
    X, _ = relational_features(childless, metadata, "store", "CompetitionDistance")
    assert (X["historical.count"] == 0).all() and X["historical.Sales.mean"].isna().all()


def test_join_nearest_matches_on_key_and_closest_date():
    frame = pd.DataFrame({"Store": [1, 1, 2, 2], "Date": pd.to_datetime(
        ["2011-12-02", "2011-12-08", "2011-12-02", None]), "x": [1, 2, 3, 4]})
    other = pd.DataFrame({"Store": [1, 1, 2], "Date": pd.to_datetime(["2011-12-02", "2011-12-09", "2011-12-02"]),
                          "Temperature": [10.0, 20.0, 30.0], "IsHoliday": [False, True, False]})
    out = join_nearest(frame, other, by="Store", on="Date", prefix="features")
    assert list(out.columns) == ["Store", "Date", "x", "features.Temperature", "features.IsHoliday"]
    assert out["features.Temperature"].tolist()[:3] == [10.0, 20.0, 30.0]
    assert pd.isna(out["features.Temperature"][3])  # no date, no match
    assert out["x"].tolist() == [1, 2, 3, 4]


def test_ovr_macro_auc_agrees_with_sklearn_and_tolerates_unseen_classes():
    rng = np.random.default_rng(0)
    y = rng.choice(["a", "b", "c"], 200)
    proba = rng.dirichlet(np.ones(3), 200)
    proba[:, 0] += (y == "a")
    proba /= proba.sum(axis=1, keepdims=True)
    expected = roc_auc_score(y, proba, multi_class="ovr", average="macro")
    assert ovr_macro_auc(y, proba, np.array(["a", "b", "c"])) == pytest.approx(expected)
    # the model never saw "c" (AUC 0.5 for it) and knows a class "z" the test rows lack
    known = np.column_stack([proba[:, :2], np.zeros(200)])
    by_class = [roc_auc_score(y == "a", proba[:, 0]), roc_auc_score(y == "b", proba[:, 1]), 0.5]
    assert ovr_macro_auc(y, known, np.array(["a", "b", "z"])) == pytest.approx(np.mean(by_class))
    with pytest.raises(DataError, match="single class"):
        ovr_macro_auc(np.array(["a"] * 5), proba[:5], np.array(["a", "b", "c"]))


def test_rank_agreement_is_one_for_the_same_order_and_zero_when_undefined():
    assert utility.rank_agreement([3, 2, 1], [30, 20, 10]) == pytest.approx(1.0)
    assert utility.rank_agreement([3, 2, 1], [10, 20, 30]) < 0
    assert utility.rank_agreement([3, 2, 1], [0, 0, 0]) == 0.0


def test_task_validation_and_direction():
    assert CUSTOMERS.higher_is_better is False and DAY_OF_WEEK.higher_is_better is True
    with pytest.raises(ValueError, match="kind/metric"):
        UtilityTask("x", "t", "x", "classification", "RMSE")
    with pytest.raises(ValueError, match="holdout"):
        UtilityTask("x", "t", "x", "regression", "RMSE", holdout="last month")


def test_tasks_for_catalogue_aliases_and_plugins():
    registry = build_registry()
    assert [(t.table, t.target, t.metric) for t in tasks_for("airbnb", registry)] == \
        [("users", "country_destination", "AUC")]
    assert [(t.table, t.target, t.holdout) for t in tasks_for("walmart_subsampled", registry)] == \
        [("depts", "Weekly_Sales", "time:Date")]
    assert [(t.table, t.target, t.holdout) for t in tasks_for("Rossmann", registry)] == \
        [("historical", "Customers", "time:Date")]
    assert tasks_for("demo", registry) == [] and tasks_for("no-such-dataset", registry) == []

    from syntherela_rgcd.datasets import DatasetSpec

    class Plugin:
        @hookimpl
        def syntherela_datasets(self):
            return [DatasetSpec("shops", utility_tasks=(CUSTOMERS,))]

    assert tasks_for("shops", build_registry(extra_plugins=[Plugin()])) == [CUSTOMERS]


# --------------------------------------------------------------------------------------
# Real data (shared benchmark datasets), with the real data as "synthetic"
# --------------------------------------------------------------------------------------


def shared_dataset(name: str) -> PreparedDataset:
    """``../shared/data/original/<name>`` beside the repository (or under
    ``$SYNTHERELA_SHARED_DATA``); the test is skipped when it is absent."""
    env = os.environ.get("SYNTHERELA_SHARED_DATA")
    root = Path(env) if env else Path(__file__).resolve().parents[1].parent / "shared" / "data"
    path = (root / "original" if (root / "original").is_dir() else root) / name
    if not (path / "metadata.json").is_file():
        pytest.skip(f"shared dataset {name} not available at {path}")
    tables, metadata = load_dataset(path, name)
    return PreparedDataset(name, path, tables, metadata)


@pytest.mark.slow
@pytest.mark.parametrize("name, holdout, n_test", [
    ("airbnb-simplified_subsampled", "test split", 1000),
    ("walmart_subsampled", "last 20% of Date", None),
])
def test_real_data_as_synthetic(name, holdout, n_test):
    data = shared_dataset(name)
    tasks = tasks_for(name)
    started = time.perf_counter()
    results = evaluate_utility(data, copy_tables(data.tables), tasks, seed=0, bootstrap=3)
    print(f"\n{name}: {time.perf_counter() - started:.1f}s", json.dumps(results, indent=1))

    (result,) = results.values()
    assert result["holdout"] == holdout
    assert n_test is None or result["n_test"] == n_test
    assert result["synthetic"] == pytest.approx(result["real"])
    assert result["model_selection"] == pytest.approx(1.0)
    assert result["feature_selection"] == pytest.approx(1.0)
    better = (result["real"] > result["naive"]) if result["higher_is_better"] else (result["real"] < result["naive"])
    assert better, result
