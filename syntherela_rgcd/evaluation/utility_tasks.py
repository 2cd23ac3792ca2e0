"""Utility tasks: what the utility metric predicts for a dataset, and from which features.

A :class:`UtilityTask` names a target column, the score (AUC or RMSE), where the real test
rows come from, and optionally the function that turns a set of tables into ``(X, y)``. The
catalogue's three tasks (AirBnB, Walmart, Rossmann) follow SyntheRela's utility experiment;
``evaluation/utility.py`` says exactly how, and where they depart from it.

This module needs only numpy and pandas, so that the dataset catalogue (``catalogue.py``) can
declare its tasks without importing the metrics (scikit-learn, ``syntherela.report``).
``syntherela_rgcd.evaluation.utility`` re-exports everything here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd
from syntherela.metadata import Metadata

from ..plugins import Registry, build_registry

Tables = dict[str, pd.DataFrame]
FeatureBuilder = Callable[[Tables, Metadata], "tuple[pd.DataFrame, pd.Series]"]

KINDS = {"classification": "AUC", "regression": "RMSE"}


# --------------------------------------------------------------------------------------
# Tasks
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class UtilityTask:
    """Predict ``table.target`` from relational features.

    ``features`` builds ``(X, y)`` from a set of tables (real training, synthetic, real test);
    without it, :func:`relational_features` does (the table's own columns, its parents'
    columns, aggregates of its children). A builder may aggregate rows (one example per store
    and month, say) or recode the target (booked vs not): the scores are then about its ``y``.

    ``holdout`` says where real test rows come from when the dataset has no test split:
    ``"time:<column>"`` holds out the last 20% of that column's distinct dates, ``"random"``
    a seeded random 20% of rows; the default, ``"test split"``, expects a split on disk and
    falls back to a random 20% (with a warning) when there is none. Rows are held out from
    ``table`` before the builder runs.
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


def tasks_for(dataset_name: str, registry: Registry | None = None) -> list[UtilityTask]:
    """The utility tasks a dataset's catalogue entry declares (by name or alias); [] if none."""
    if registry is None:
        registry = build_registry()
    spec = registry.datasets.get(dataset_name)
    if spec is None:
        lowered = dataset_name.lower()
        spec = next((s for s in registry.datasets.values()
                     if lowered == s.name.lower() or lowered in (a.lower() for a in s.aliases)), None)
    return list(getattr(spec, "utility_tasks", ()) or ()) if spec is not None else []


# --------------------------------------------------------------------------------------
# Generic relational features (the default builder)
# --------------------------------------------------------------------------------------


def relational_features(tables: Tables, metadata: Metadata, table: str,
                        target: str) -> tuple[pd.DataFrame, pd.Series]:
    """``table``'s columns + its parents' columns + aggregates of its children -> (X, y).

    One hop each way: enough to let a model see the relational structure a generator has (or
    has not) kept, and cheap to compute. Id columns are dropped (they carry no meaning across
    real and synthetic data).
    """
    frame = tables[table].reset_index(drop=True)
    frame = _add_parent_columns(frame, tables, metadata, table)
    frame = _add_child_aggregates(frame, tables, metadata, table)
    y = frame.pop(target)
    ids = [c for c in _id_columns(metadata, table) if c in frame.columns]
    return frame.drop(columns=ids), y


def _id_columns(metadata: Metadata, table: str) -> list[str]:
    columns = metadata.get_table_meta(table)["columns"]
    return [name for name, info in columns.items() if info["sdtype"] == "id"]


def _relationships(metadata: Metadata, **match: str) -> list[dict]:
    return [r for r in metadata.relationships if all(r[k] == v for k, v in match.items())]


def _prefix(metadata: Metadata, other: str, rel: dict) -> str:
    """``other`` alone, or ``other[fk]`` when two foreign keys link the same pair of tables."""
    pair = _relationships(metadata, parent_table_name=rel["parent_table_name"],
                          child_table_name=rel["child_table_name"])
    return other if len(pair) == 1 else f"{other}[{rel['child_foreign_key']}]"


def _add_parent_columns(frame: pd.DataFrame, tables: Tables, metadata: Metadata, table: str) -> pd.DataFrame:
    """Join each parent's non-id columns (``parent.column``) on the foreign key."""
    for rel in _relationships(metadata, child_table_name=table):
        parent, fk, pk = rel["parent_table_name"], rel["child_foreign_key"], rel["parent_primary_key"]
        prefix = _prefix(metadata, parent, rel)
        keep = [c for c in tables[parent].columns if c not in _id_columns(metadata, parent)]
        right = tables[parent][[pk, *keep]].drop_duplicates(subset=pk)
        right = right.rename(columns={c: f"{prefix}.{c}" for c in keep}).rename(columns={pk: "__key"})
        frame = frame.merge(right, left_on=fk, right_on="__key", how="left").drop(columns="__key")
    return frame


def _add_child_aggregates(frame: pd.DataFrame, tables: Tables, metadata: Metadata, table: str) -> pd.DataFrame:
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


# --------------------------------------------------------------------------------------
# Small helpers for the hand-written builders
# --------------------------------------------------------------------------------------


def category_text(values: pd.Series) -> pd.Series:
    """Values as the text a category is compared by: ``1``, ``1.0`` and ``"1"`` all become
    ``"1"`` (a generator may write a 0/1 category as floats); missing stays missing."""
    objects = values.astype(object)
    return objects.map({value: _category_text(value) for value in pd.unique(objects.dropna())})


def _category_text(value) -> str:
    if isinstance(value, (bool, np.bool_)):
        return str(int(value))
    string = str(value)
    try:
        number = float(string)
    except ValueError:
        return string
    return str(int(number)) if number.is_integer() else string


def one_hot(frame: pd.DataFrame, column: str, categories: tuple[str, ...], *,
            drop_first: bool = False) -> pd.DataFrame:
    """Replace ``column`` by one 0/1 column per category (``column_category``), always the same
    columns whatever values occur: a value outside ``categories`` (or missing) is all zeros."""
    values = category_text(frame[column])
    kept = categories[1:] if drop_first else categories
    dummies = pd.DataFrame({f"{column}_{c}": (values == c).astype(float) for c in kept}, index=frame.index)
    return pd.concat([frame.drop(columns=column), dummies], axis=1)


def as_numbers(frame: pd.DataFrame) -> pd.DataFrame:
    """Every column as float: booleans 0/1, numbers as they are, text parsed as a number where
    it is one and missing otherwise (so that the set of columns never depends on the values)."""
    def number(column: pd.Series) -> pd.Series:
        if pd.api.types.is_bool_dtype(column) or pd.api.types.is_numeric_dtype(column):
            return column.astype(float)
        objects = column.astype(object).map(
            lambda v: float(v) if isinstance(v, (bool, np.bool_)) else v, na_action="ignore")
        return pd.to_numeric(objects, errors="coerce").astype(float)

    return frame.apply(number)


# --------------------------------------------------------------------------------------
# The catalogue's tasks (SyntheRela's utility experiment; see evaluation/utility.py)
# --------------------------------------------------------------------------------------

#: AirBnB's label for "no booking"; every other destination counts as booked.
NO_BOOKING = "NDF"


def airbnb_features(tables: Tables, metadata: Metadata) -> tuple[pd.DataFrame, pd.Series]:
    """One row per user: the user's columns (age missing -> 0) plus the mean ``secs_elapsed``
    and the number of their sessions (0 without sessions); y = ``"booked"`` or ``"NDF"``.

    ``date_first_booking`` is left out: it is missing exactly when the user did not book, so
    it would give the target away.
    """
    users = tables["users"].reset_index(drop=True)
    drop = [*_id_columns(metadata, "users"), "date_first_booking", "country_destination"]
    X = users.drop(columns=[c for c in drop if c in users.columns])
    if "age" in X.columns:
        X["age"] = pd.to_numeric(X["age"], errors="coerce").fillna(0)
    sessions = tables["sessions"]
    seconds = pd.to_numeric(sessions["secs_elapsed"], errors="coerce").astype(float)
    per_user = pd.DataFrame({
        "sessions.secs_elapsed.mean": seconds.groupby(sessions["user_id"], observed=True).mean(),
        "sessions.count": sessions.groupby("user_id", observed=True).size().astype(float),
    })
    per_user.index = per_user.index.astype(object)
    joined = per_user.reindex(users["id"].astype(object).to_numpy()).reset_index(drop=True)
    X = pd.concat([X, joined.fillna(0.0)], axis=1)
    destination = users["country_destination"]
    y = pd.Series(np.where(destination.astype(object) == NO_BOOKING, NO_BOOKING, "booked"), dtype=object)
    y[destination.isna().to_numpy()] = None
    return X, y


#: Categories of Walmart's store type, one-hot encoded (all three kept, as SyntheRela does).
WALMART_STORE_TYPES = ("A", "B", "C")


def walmart_features(tables: Tables, metadata: Metadata) -> tuple[pd.DataFrame, pd.Series]:
    """One row per store and date: department rows joined with their store (type one-hot,
    size) and the ``features`` row of the same store and date (weather, fuel price, CPI,
    unemployment, markdowns), then averaged; y = the mean weekly sales of the store's
    departments. Store, date and department are not features; ``IsHoliday`` is the depts'.
    """
    depts = tables["depts"].reset_index(drop=True)
    frame = depts.drop(columns=[c for c in ("Dept",) if c in depts.columns])
    stores = tables["stores"].drop_duplicates(subset="Store")
    frame = frame.merge(stores, on="Store", how="left")
    weather = tables["features"].drop(columns=[c for c in ("IsHoliday",) if c in tables["features"].columns])
    frame = join_nearest(frame, weather, by="Store", on="Date", prefix="features")
    if "Type" in frame.columns:
        frame = one_hot(frame, "Type", WALMART_STORE_TYPES)
    return _mean_per_group(frame, ["Store", "Date"], "Weekly_Sales", fill=None)


#: SyntheRela's fixed categories of Rossmann's categorical columns (the first is dropped).
ROSSMANN_CATEGORIES: dict[str, tuple[str, ...]] = {
    "Open": ("0", "1"),
    "Promo": ("0", "1"),
    "SchoolHoliday": ("0", "1"),
    "StoreType": ("a", "b", "c", "d"),
    "Assortment": ("a", "b", "c"),
    "PromoInterval": ("missing", "Jan,Apr,Jul,Oct", "Mar,Jun,Sept,Dec", "Feb,May,Aug,Nov"),
}


def rossmann_features(tables: Tables, metadata: Metadata) -> tuple[pd.DataFrame, pd.Series]:
    """One row per store and calendar month: daily rows joined with their store, the
    categorical columns one-hot encoded (first category dropped), then averaged; y = the mean
    daily number of customers. Store, date, ``DayOfWeek`` and ``StateHoliday`` are not
    features; ``Sales`` is.
    """
    historical = tables["historical"].reset_index(drop=True)
    ids = [c for c in _id_columns(metadata, "historical") if c != "Store"]
    frame = historical.drop(columns=[c for c in (*ids, "DayOfWeek", "StateHoliday") if c in historical.columns])
    store = tables["store"].drop_duplicates(subset="Store")
    store = store.drop(columns=[c for c in _id_columns(metadata, "store") if c != "Store" and c in store.columns])
    frame = frame.merge(store, on="Store", how="left", suffixes=("", ".store"))
    if "PromoInterval" in frame.columns:
        frame["PromoInterval"] = frame["PromoInterval"].astype(object).where(frame["PromoInterval"].notna(), "missing")
    for column, categories in ROSSMANN_CATEGORIES.items():
        if column in frame.columns:
            frame = one_hot(frame, column, categories, drop_first=True)
    dates = pd.to_datetime(frame.pop("Date"), errors="coerce")
    frame["Month"], frame["Year"] = dates.dt.month, dates.dt.year
    return _mean_per_group(frame, ["Store", "Month", "Year"], "Customers", fill=0.0)


def _mean_per_group(frame: pd.DataFrame, keys: list[str], target: str,
                    fill: float | None) -> tuple[pd.DataFrame, pd.Series]:
    """Average every column over the rows of each ``keys`` group (keys then dropped; rows whose
    keys are missing are left out); missing feature values after averaging -> ``fill``, or left
    to the metric's encoder (which fills in the real training mean) when ``fill`` is None."""
    values = as_numbers(frame.drop(columns=keys))
    grouped = values.groupby([frame[k] for k in keys], dropna=True, sort=True).mean().reset_index(drop=True)
    y = grouped.pop(target)
    return (grouped if fill is None else grouped.fillna(fill)), y


AIRBNB_TASKS = (UtilityTask("country_destination", "users", "country_destination", "classification", "AUC",
                            features=airbnb_features),)
WALMART_TASKS = (UtilityTask("Weekly_Sales", "depts", "Weekly_Sales", "regression", "RMSE",
                             holdout="time:Date", features=walmart_features),)
ROSSMANN_TASKS = (UtilityTask("Customers", "historical", "Customers", "regression", "RMSE",
                              holdout="time:Date", features=rossmann_features),)
