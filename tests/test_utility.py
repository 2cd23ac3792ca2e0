"""The utility metric (train on synthetic, test on real): tasks, holdouts, features, scores.

The fast tests run on a small Rossmann stand-in with Rossmann's schema (``store`` ->
``historical``) and period (2014-07-31 to 2014-09-30, like SyntheRela's subsample) in which
Customers depends on the store's type and assortment and on the day's promotion, so that a
model has something relational to learn. The real-data tests (``-m slow``) use the shared
AirBnB and Walmart datasets with the real data as "synthetic" and compare the real and naive
scores with the paper's (Table 2: AirBnB AUC 0.73 / 0.5, Walmart RMSE 6117 / 7697).
"""

from __future__ import annotations

import json
import subprocess
import sys
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
from syntherela_rgcd.contract import hookimpl
from syntherela_rgcd.plugins import build_registry
from syntherela_rgcd.published import UTILITY_TASKS as PAPER
from syntherela_rgcd.evaluation.utility_tasks import (
    airbnb_features,
    category_text,
    one_hot,
    rossmann_features,
    walmart_features,
)

sys.path.insert(0, str(Path(__file__).parent / "rgcd"))
from rgcd_helpers import shared_original  # noqa: E402

RESULT_KEYS = {
    "table", "target", "metric", "higher_is_better", "holdout", "real", "real_se", "synthetic", "synthetic_se",
    "naive", "model_selection", "model_selection_se", "feature_selection", "feature_selection_se", "models",
    "n_train_real", "n_train_synthetic", "n_test", "best_model", "feature_selection_model",
}
REGRESSORS = {"xgboost", "linear", "random_forest", "decision_tree", "knn", "svr", "mlp"}
CLASSIFIERS = {"xgboost", "linear", "random_forest", "decision_tree", "knn", "svc", "gaussian_nb", "mlp"}
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
                "PromoInterval": {"sdtype": "categorical"},
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
N_STORES, N_DAYS = 30, 62  # 2014-07-31 .. 2014-09-30: one day of July, August, September
TYPE_CUSTOMERS = {"a": 500.0, "b": 1200.0, "c": 700.0, "d": 350.0}


def rossmann_standin(seed: int = 0, start: str = "2014-07-31", days: int = N_DAYS) -> dict[str, pd.DataFrame]:
    """30 stores x 62 days; closed on Sundays; Customers = type base x assortment x promo x noise."""
    rng = np.random.default_rng(seed)
    promo2 = rng.integers(0, 2, N_STORES)
    store = pd.DataFrame({
        "Store": np.arange(1, N_STORES + 1),
        "StoreType": rng.choice(list(TYPE_CUSTOMERS), N_STORES),
        "Assortment": rng.choice(list("abc"), N_STORES),
        "CompetitionDistance": rng.uniform(100, 20000, N_STORES).round(-1),
        "Promo2": promo2,
        "PromoInterval": np.where(promo2 == 1, rng.choice(["Jan,Apr,Jul,Oct", "Feb,May,Aug,Nov"], N_STORES), None),
    })
    days = pd.date_range(start, periods=days, freq="D")
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


def prepare(root: Path, name: str = "rossmann_standin", seed: int = 0, days: int = N_DAYS) -> PreparedDataset:
    """Write the stand-in in SyntheRela's layout and load it the way the runner does."""
    path = root / "original" / name
    write_dataset(path, rossmann_standin(seed, days=days), ROSSMANN_METADATA)
    tables, metadata = load_dataset(path, name)
    return PreparedDataset(name, path, tables, metadata)


@pytest.fixture(scope="module")
def rossmann(tmp_path_factory) -> PreparedDataset:
    return prepare(tmp_path_factory.mktemp("rossmann"))


@pytest.fixture(scope="module")
def three_weeks(tmp_path_factory) -> PreparedDataset:
    """A shorter stand-in (21 days) for the row-level classification task: 8 classifiers."""
    return prepare(tmp_path_factory.mktemp("three-weeks"), days=21)


def copy_tables(tables: dict) -> dict:
    return {name: table.copy() for name, table in tables.items()}


def run(data: PreparedDataset, synthetic: dict, task: UtilityTask = CUSTOMERS, **kwargs) -> dict:
    kwargs.setdefault("bootstrap", 2)
    return evaluate_utility(data, synthetic, [task], **kwargs)[task.name]


def store_months(historical: pd.DataFrame) -> pd.Series:
    """Mean Customers per store and calendar month: the Rossmann task's y."""
    dates = historical["Date"]
    return historical.groupby(["Store", dates.dt.year, dates.dt.month])["Customers"].mean()


def time_split(historical: pd.DataFrame, last: int = 12) -> np.ndarray:
    """Rows of the last ``last`` dates: the last 20% of the stand-in's 62."""
    return (historical["Date"] >= historical["Date"].sort_values().unique()[-last]).to_numpy()


# --------------------------------------------------------------------------------------
# End to end on the stand-in
# --------------------------------------------------------------------------------------


def test_real_as_synthetic_matches_real_with_time_holdout(rossmann):
    result = run(rossmann, copy_tables(rossmann.tables))

    assert set(result) >= RESULT_KEYS
    assert (result["table"], result["target"], result["metric"]) == ("historical", "Customers", "RMSE")
    assert result["holdout"] == "last 20% of Date" and result["higher_is_better"] is False
    historical = rossmann.tables["historical"]
    test = time_split(historical)  # 2014-09-19 .. 09-30
    # one example per store and month: test = September's tail; train = July 31, August, early September
    assert result["n_test"] == len(store_months(historical[test])) == N_STORES
    assert result["n_train_real"] == len(store_months(historical[~test])) == 3 * N_STORES
    # the synthetic rows of the test period are left out too, so training sets are the same
    assert result["n_train_synthetic"] == result["n_train_real"]

    assert result["synthetic"] == pytest.approx(result["real"])
    assert result["model_selection"] == pytest.approx(1.0)
    assert result["feature_selection"] == pytest.approx(1.0)
    assert 0 < result["real"] < 0.6 * result["naive"]  # store, promotions and sales explain Customers
    assert set(result["models"]) == REGRESSORS
    # the headline score is XGBoost's (SyntheRela's Table 2), whichever model type does best
    assert result["real"] == result["models"]["xgboost"]["real"]
    assert result["feature_selection_model"] == "xgboost"
    assert result["models"][result["best_model"]]["real"] == min(m["real"] for m in result["models"].values())
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
    test = time_split(historical)
    y_test, y_train = store_months(historical[test]), store_months(historical[~test])
    expected = np.sqrt(y_test.var(ddof=0) + (y_test.mean() - y_train.mean()) ** 2)
    assert result["naive"] == pytest.approx(expected)
    assert result["naive"] >= y_test.std(ddof=0)


def test_the_store_columns_carry_the_signal(rossmann):
    """Without the store's type and assortment (and without Sales, which nearly gives
    Customers away) the same models do clearly worse: the join matters."""

    def without(*prefixes):
        def build(tables, metadata):
            X, y = rossmann_features(tables, metadata)
            return X.drop(columns=[c for c in X.columns if c.startswith(prefixes)]), y
        return build

    def customers(build):
        task = UtilityTask("Customers", "historical", "Customers", "regression", "RMSE", holdout="time:Date",
                           features=build)
        return run(rossmann, copy_tables(rossmann.tables), task)["real"]

    assert customers(without("Sales", "StoreType_", "Assortment_")) > 1.3 * customers(without("Sales"))


def test_classification_naive_auc_is_half_and_missing_classes_do_not_crash(three_weeks):
    real = run(three_weeks, copy_tables(three_weeks.tables), DAY_OF_WEEK)
    assert real["holdout"] == "random 20%" and real["metric"] == "AUC" and real["higher_is_better"] is True
    assert real["naive"] == 0.5 and real["real"] > 0.6
    assert set(real["models"]) == CLASSIFIERS
    # a random holdout cannot be taken out of synthetic data: it trains on all its rows
    rows = N_STORES * 21
    test = round(0.2 * rows)
    assert (real["n_test"], real["n_train_real"], real["n_train_synthetic"]) == (test, rows - test, rows)

    partial = copy_tables(three_weeks.tables)
    hist = partial["historical"]
    partial["historical"] = hist[~hist["DayOfWeek"].astype(str).isin(["6", "7"])].reset_index(drop=True)
    missing = run(three_weeks, partial, DAY_OF_WEEK)
    assert missing["n_train_synthetic"] < missing["n_train_real"]
    assert 0.5 <= missing["synthetic"] < missing["real"]  # two classes it never saw score 0.5

    single = copy_tables(three_weeks.tables)
    single["historical"]["DayOfWeek"] = "1"
    assert run(three_weeks, single, DAY_OF_WEEK)["synthetic"] == pytest.approx(0.5)


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
    """As SyntheRela's Rossmann protocol: train on the subsample, test on October 2014."""
    data = prepare(tmp_path)
    write_dataset(tmp_path / "test" / data.name, rossmann_standin(seed=7, start="2014-10-01", days=31),
                  ROSSMANN_METADATA)

    result = run(data, copy_tables(data.tables))

    assert result["holdout"] == "test split"
    assert result["n_test"] == N_STORES  # one month
    assert result["n_train_real"] == result["n_train_synthetic"] == 3 * N_STORES


def test_a_test_folder_inside_the_dataset_without_metadata(tmp_path):
    data = prepare(tmp_path)
    folder = data.path / "test"
    folder.mkdir()
    for name, table in rossmann_standin(seed=7).items():
        table.head(200 if name == "historical" else None).to_csv(folder / f"{name}.csv", index=False)

    result = run(data, copy_tables(data.tables))

    head = rossmann_standin(seed=7)["historical"].head(200).astype({"Date": "datetime64[ns]"})
    assert (result["holdout"], result["n_test"]) == ("test split", len(store_months(head)))


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


def test_rossmann_features_one_row_per_store_and_month(rossmann):
    tables, metadata = rossmann.tables, rossmann.metadata
    X, y = rossmann_features(tables, metadata)
    historical = tables["historical"]
    expected = store_months(historical)  # 2014 only: (Store, month) order
    assert len(X) == len(y) == len(expected) == 3 * N_STORES
    assert y.to_numpy() == pytest.approx(expected.to_numpy())
    assert not {"Store", "Date", "DayOfWeek", "StateHoliday", "Id", "Month", "Year", "Customers"} & set(X.columns)
    assert {"Sales", "Open_1", "Promo_1", "SchoolHoliday_1", "StoreType_b", "StoreType_c", "StoreType_d",
            "Assortment_b", "Assortment_c", "PromoInterval_Jan,Apr,Jul,Oct", "CompetitionDistance",
            "Promo2"} <= set(X.columns)
    assert not {"Open_0", "StoreType_a", "Assortment_a", "PromoInterval_missing"} & set(X.columns)  # first dropped
    august = historical[(historical["Store"] == 1) & (historical["Date"].dt.month == 8)]
    assert X.loc[1, "Promo_1"] == pytest.approx((august["Promo"].astype(str) == "1").mean())  # share of days
    assert X.loc[1, "Sales"] == pytest.approx(august["Sales"].mean())

    # a generator's 1.0 for the category "1", or a store type never seen: same columns, no error
    odd = copy_tables(tables)
    odd["historical"]["Promo"] = np.where(historical["Promo"].astype(str) == "1", 1.0, 0.0)
    odd["store"]["StoreType"] = "z"
    X2, _ = rossmann_features(odd, metadata)
    assert list(X2.columns) == list(X.columns)
    assert X2["Promo_1"].to_numpy() == pytest.approx(X["Promo_1"].to_numpy())
    assert (X2[["StoreType_b", "StoreType_c", "StoreType_d"]] == 0).all().all()


def test_walmart_features_one_row_per_store_and_date():
    day1, day2 = pd.Timestamp("2011-12-02"), pd.Timestamp("2011-12-09")
    tables = {
        "stores": pd.DataFrame({"Store": [1, 2], "Type": ["A", "C"], "Size": [100, 50]}),
        "depts": pd.DataFrame({"Store": [1, 1, 1, 2], "Dept": [1, 2, 1, 1], "Date": [day1, day1, day2, day1],
                               "Weekly_Sales": [10.0, 30.0, 50.0, 7.0], "IsHoliday": [False, False, True, False]}),
        "features": pd.DataFrame({"Store": [1, 1, 2], "Date": [day1, day2, day1], "Temperature": [5.0, 6.0, 9.0],
                                  "IsHoliday": [True, True, True]}),
    }
    X, y = walmart_features(tables, None)
    assert y.tolist() == [20.0, 50.0, 7.0]  # mean over the store's departments that week
    assert sorted(X.columns) == ["IsHoliday", "Size", "Type_A", "Type_B", "Type_C", "features.Temperature"]
    assert X["features.Temperature"].tolist() == [5.0, 6.0, 9.0]
    assert X["IsHoliday"].tolist() == [0.0, 1.0, 0.0]  # the departments' flag, not the features table's
    assert X[["Type_A", "Type_C"]].to_numpy().tolist() == [[1, 0], [1, 0], [0, 1]]


def test_airbnb_features_booked_vs_no_booking():
    from syntherela.metadata import Metadata

    metadata = Metadata.load_from_dict({
        "METADATA_SPEC_VERSION": "MULTI_TABLE_V1",
        "tables": {
            "users": {"primary_key": "id", "columns": {
                "id": {"sdtype": "id"}, "age": {"sdtype": "numerical"}, "gender": {"sdtype": "categorical"},
                "date_first_booking": {"sdtype": "datetime", "datetime_format": "%Y-%m-%d"},
                "country_destination": {"sdtype": "categorical"}}},
            "sessions": {"columns": {"user_id": {"sdtype": "id"}, "secs_elapsed": {"sdtype": "numerical"}}},
        },
        "relationships": [{"parent_table_name": "users", "parent_primary_key": "id",
                           "child_table_name": "sessions", "child_foreign_key": "user_id"}],
    })
    booked = pd.Timestamp("2014-06-01")
    tables = {
        "users": pd.DataFrame({"id": ["u1", "u2", "u3", "u4"], "age": [30.0, None, 40.0, 22.0],
                               "gender": ["MALE", "FEMALE", "MALE", "-unknown-"],
                               "date_first_booking": [pd.NaT, booked, booked, pd.NaT],
                               "country_destination": ["NDF", "US", "FR", None]}),
        "sessions": pd.DataFrame({"user_id": ["u1", "u1", "u3"], "secs_elapsed": [10.0, 20.0, 5.0]}),
    }
    X, y = airbnb_features(tables, metadata)
    assert y.tolist() == ["NDF", "booked", "booked", None]
    assert sorted(X.columns) == ["age", "gender", "sessions.count", "sessions.secs_elapsed.mean"]
    assert X["age"].tolist() == [30.0, 0.0, 40.0, 22.0]
    assert X["sessions.count"].tolist() == [2.0, 0.0, 1.0, 0.0]
    assert X["sessions.secs_elapsed.mean"].tolist() == [15.0, 0.0, 5.0, 0.0]


def test_category_text_and_one_hot_have_fixed_columns():
    values = pd.Series([1, 1.0, "1", "1.0", True, 0, "a", None, 2.5], dtype=object)
    assert category_text(values).tolist()[:7] == ["1", "1", "1", "1", "1", "0", "a"]
    assert pd.isna(category_text(values)[7]) and category_text(values)[8] == "2.5"
    frame = pd.DataFrame({"c": ["a", "b", None, "z"], "x": [1, 2, 3, 4]})
    out = one_hot(frame, "c", ("a", "b"))
    assert list(out.columns) == ["x", "c_a", "c_b"]
    assert out[["c_a", "c_b"]].to_numpy().tolist() == [[1, 0], [0, 1], [0, 0], [0, 0]]
    assert list(one_hot(frame, "c", ("a", "b"), drop_first=True).columns) == ["x", "c_b"]


def test_model_wrappers_cap_svm_rows_and_score_the_svc_by_its_decision_function():
    from sklearn.neighbors import KNeighborsRegressor
    from sklearn.svm import SVC, SVR

    classifier, regressor = utility.UtilityClassifier, utility.UtilityRegressor
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 3))
    y = np.where(X[:, 0] > 0, "yes", "no")
    svc = classifier(factory=SVC, max_rows=100, seed=0).fit(X, y)
    assert svc.model_.shape_fit_[0] == 100
    scores = svc.predict_proba(X)
    assert scores.shape == (300, 2) and roc_auc_score(y == "yes", scores[:, 1]) > 0.9
    assert regressor(factory=SVR, max_rows=50).fit(X, X[:, 0]).model_.shape_fit_[0] == 50
    assert regressor(factory=SVR).fit(X, X[:, 0]).model_.shape_fit_[0] == 300
    # fewer training rows than neighbours (a tiny synthetic sample): k shrinks instead of failing
    assert regressor(factory=KNeighborsRegressor).fit(X[:3], X[:3, 0]).model_.n_neighbors == 3


def test_the_catalogue_does_not_import_the_metrics():
    """catalogue.py declares the tasks from the light utility_tasks module: none of the metrics
    (scikit-learn, syntherela.report) is imported to list datasets."""
    code = ("import sys, syntherela_rgcd.catalogue as c\n"
            "print(sorted(m for m in sys.modules if m.startswith('syntherela_rgcd.evaluation.')"
            " and m != 'syntherela_rgcd.evaluation.utility_tasks' or m == 'syntherela.report'))\n"
            "print(sorted(t.name for s in c.CATALOGUE for t in s.utility_tasks))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.splitlines() == ["[]", "['Customers', 'Weekly_Sales', 'country_destination']"]


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

    from syntherela_rgcd.contract import DatasetSpec

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
    path = shared_original() / name
    if not (path / "metadata.json").is_file():
        pytest.skip(f"shared dataset {name} not available at {path}")
    tables, metadata = load_dataset(path, name)
    return PreparedDataset(name, path, tables, metadata)


def real_as_synthetic(name: str) -> dict:
    """The dataset's task with the real data as "synthetic"; prints the figures and the paper's."""
    data = shared_dataset(name)
    started = time.perf_counter()
    (result,) = evaluate_utility(data, copy_tables(data.tables), tasks_for(name), seed=0, bootstrap=3).values()
    paper = PAPER[name]
    print(f"\n{name}: {time.perf_counter() - started:.1f}s; {result['metric']} real {result['real']:.4g} "
          f"naive {result['naive']:.4g} (paper: real {paper['real']:.4g} naive {paper['naive']:.4g})\n"
          + json.dumps(result["models"], indent=1))
    assert result["synthetic"] == pytest.approx(result["real"])
    assert result["model_selection"] == pytest.approx(1.0)
    assert result["feature_selection"] == pytest.approx(1.0)
    return result


@pytest.mark.slow
def test_airbnb_real_and_naive_match_the_paper():
    """Booked vs NDF from the user's columns and session aggregates, tested on the published
    split: XGBoost's AUC lands on the paper's 0.73 (0.735 here)."""
    result = real_as_synthetic("airbnb-simplified_subsampled")
    assert (result["holdout"], result["n_train_real"], result["n_test"]) == ("test split", 10000, 1000)
    assert set(result["models"]) == CLASSIFIERS
    assert result["naive"] == 0.5
    assert result["real"] == pytest.approx(PAPER["airbnb-simplified_subsampled"]["real"], abs=0.03)


@pytest.mark.slow
def test_walmart_naive_matches_the_paper_and_real_beats_it():
    """One example per store and week (45 stores): the naive RMSE has the paper's scale (8,153
    vs 7,697; row by row it is ~20,700). The real-trained RMSE cannot match the paper's 6,117:
    SyntheRela tests on January 2012 of the full Walmart data, after the holiday season the
    training month covers, which we do not have; our test week (2011-12-30, the last 20% of the
    subsample's dates) is closer to the training weeks, so XGBoost does better (~3,400)."""
    result = real_as_synthetic("walmart_subsampled")
    assert (result["holdout"], result["n_train_real"], result["n_test"]) == ("last 20% of Date", 4 * 45, 45)
    assert set(result["models"]) == REGRESSORS
    assert result["naive"] == pytest.approx(PAPER["walmart_subsampled"]["naive"], rel=0.15)
    assert result["real"] < 0.6 * result["naive"]
