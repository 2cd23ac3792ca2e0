"""TableEncoder: exact round trips, valid decoding of arbitrary model values, JSON state."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from syntherela_rgcd.errors import DataError
from syntherela_rgcd.rgcd.encoding import (NODE_ONE_HOT_MAX, RARE_BELOW, TableEncoder, choose_datetime_anchors,
                                            node_feature_width)

from rgcd_helpers import load_shared

N = 60

META = {
    "id": {"sdtype": "id"},
    "count": {"sdtype": "numerical"},
    "price": {"sdtype": "numerical"},
    "ratio": {"sdtype": "numerical"},
    "colour": {"sdtype": "categorical"},
    "level": {"sdtype": "categorical"},
    "flag": {"sdtype": "boolean"},
    "day": {"sdtype": "datetime", "datetime_format": "%Y-%m-%d"},
    "stamp": {"sdtype": "datetime", "datetime_format": "%Y-%m-%d %H:%M:%S"},
    "const": {"sdtype": "numerical"},
    "empty_num": {"sdtype": "numerical"},
    "empty_cat": {"sdtype": "categorical"},
}


def mixed_frame(n: int = N, seed: int = 0) -> pd.DataFrame:
    """Every column kind the encoder handles, including the awkward ones."""
    rng = np.random.default_rng(seed)
    price = np.round(rng.lognormal(3, 1, n), 2)
    price[rng.random(n) < 0.2] = np.nan
    colour = pd.Categorical(rng.choice(["red", "green", "blue"], n), categories=["blue", "green", "red", "unused"])
    colour[rng.random(n) < 0.15] = np.nan
    day = pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 90, n), unit="D")
    stamp = pd.Series(pd.Timestamp("2021-06-01") + pd.to_timedelta(rng.integers(0, 10**7, n), unit="s"))
    stamp[rng.random(n) < 0.2] = pd.NaT
    return pd.DataFrame(
        {
            "id": np.arange(n),
            "count": rng.poisson(4, n).astype(np.int64),
            "extra": rng.normal(size=n),  # not in the metadata: ignored
            "price": price,
            "ratio": rng.normal(size=n),
            "colour": colour,
            "level": rng.integers(1, 4, n).astype(np.int64),
            "flag": rng.random(n) < 0.3,
            "day": day,
            "stamp": stamp,
            "const": np.full(n, 7.5),
            "empty_num": np.full(n, np.nan),
            "empty_cat": pd.Series([None] * n, dtype=object),
        }
    )


def assert_round_trip(df: pd.DataFrame, decoded: pd.DataFrame, inexact: tuple[str, ...] = (),
                      categorical: tuple[str, ...] = ("colour", "level")) -> None:
    """Exact, but for the rare values of categorical columns (seen fewer than RARE_BELOW times),
    which come back as fresh values that no real row has."""
    expected = df[list(decoded.columns)].reset_index(drop=True)
    decoded = decoded.copy()
    for column in categorical:
        if column not in decoded:
            continue
        values = expected[column].astype(object)
        rare = (values.map(values.value_counts()).astype(float) < RARE_BELOW).to_numpy(bool)
        if rare.any():
            fresh = decoded[column].astype(object)[rare]
            assert not fresh.isin(set(expected[column].dropna())).any() and fresh.is_unique, column
            expected[column] = expected[column].astype(object).where(~rare, "<rare>")
            decoded[column] = decoded[column].astype(object).where(~rare, "<rare>")
    exact = [c for c in decoded.columns if c not in inexact]
    pd.testing.assert_frame_equal(decoded[exact], expected[exact], check_exact=True)
    for column in inexact:
        real, back = expected[column].to_numpy(float), decoded[column].to_numpy(float)
        np.testing.assert_array_equal(np.isnan(real), np.isnan(back))
        scale = np.nanmax(real) - np.nanmin(real)
        np.testing.assert_allclose(back, real, rtol=0, atol=1e-6 * scale)


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return mixed_frame()


@pytest.fixture(scope="module")
def encoder(frame: pd.DataFrame) -> TableEncoder:
    return TableEncoder().fit(frame, META)


def test_model_space_layout(encoder: TableEncoder, frame: pd.DataFrame) -> None:
    assert encoder.columns == [c for c in frame.columns if c not in ("id", "extra")]
    # count, price, ratio, day (3 parts), stamp (6 parts), const; all-missing columns get none.
    assert encoder.n_num == 13
    # price missing, colour (3 + missing), level, flag, stamp missing.
    assert encoder.cardinalities == [2, 4, 3, 2, 2]
    assert not encoder.is_empty
    x_num, x_cat = encoder.transform(frame)
    assert x_num.shape == (N, 13) and x_num.dtype == np.float32
    assert x_cat.shape == (N, 5) and x_cat.dtype == np.int64
    assert np.isfinite(x_num).all()
    assert (x_cat < np.array(encoder.cardinalities)).all() and (x_cat >= 0).all()


def test_round_trip_is_exact(encoder: TableEncoder, frame: pd.DataFrame) -> None:
    decoded = encoder.inverse_transform(*encoder.transform(frame.set_axis(np.arange(N)[::-1] * 3)))
    assert list(decoded.columns) == encoder.columns
    # `ratio` has full float precision, so float32 model space costs it a little.
    assert_round_trip(frame, decoded, inexact=("ratio",))
    assert decoded["colour"].dtype == frame["colour"].dtype  # same category set, unused one included
    assert decoded["empty_num"].isna().all() and decoded["empty_cat"].isna().all()


def test_state_survives_json(encoder: TableEncoder, frame: pd.DataFrame) -> None:
    restored = TableEncoder.from_state(json.loads(json.dumps(encoder.get_state(), allow_nan=False)))
    x_num, x_cat = encoder.transform(frame)
    r_num, r_cat = restored.transform(frame)
    np.testing.assert_array_equal(r_num, x_num)
    np.testing.assert_array_equal(r_cat, x_cat)
    pd.testing.assert_frame_equal(restored.inverse_transform(x_num, x_cat), encoder.inverse_transform(x_num, x_cat))
    np.testing.assert_array_equal(restored.node_features(x_num, x_cat), encoder.node_features(x_num, x_cat))
    assert (restored.n_num, restored.cardinalities, restored.columns) == (
        encoder.n_num,
        encoder.cardinalities,
        encoder.columns,
    )


def test_any_model_values_decode_to_a_valid_table(encoder: TableEncoder, frame: pd.DataFrame) -> None:
    rng = np.random.default_rng(1)
    x_num = rng.normal(scale=4.0, size=(500, encoder.n_num)).astype(np.float32)
    x_cat = rng.integers(-3, 10, size=(500, len(encoder.cardinalities)))
    out = encoder.inverse_transform(x_num, x_cat)
    pd.testing.assert_series_equal(out.dtypes, frame[encoder.columns].dtypes)
    assert set(out["colour"].dropna()) <= {"red", "green", "blue"}
    assert set(out["level"]) <= set(frame["level"])
    for column in ("count", "price", "ratio", "day", "stamp"):
        real = frame[column].dropna()
        assert out[column].dropna().between(real.min(), real.max()).all(), column
    assert (out["count"] == out["count"].round()).all()
    assert out["price"].dropna().round(2).eq(out["price"].dropna()).all()
    assert (out["day"] == out["day"].dt.normalize()).all()  # no time of day invented
    assert out["price"].isna().any() and out["stamp"].isna().any()
    assert out["day"].notna().all() and (out["const"] == 7.5).all()


def test_impossible_dates_are_clamped() -> None:
    df = pd.DataFrame({"d": pd.to_datetime(["2021-01-31", "2021-02-01", "2021-03-15"])})
    encoder = TableEncoder().fit(df, {"d": {"sdtype": "datetime"}})
    x_num, x_cat = encoder.transform(df)
    x_num[:, 1] = x_num[1, 1]  # every row in February ...
    x_num[:, 2] = x_num[0, 2]  # ... on day 31
    out = encoder.inverse_transform(x_num, x_cat)
    assert (out["d"] == pd.Timestamp("2021-02-28")).all()


def test_one_row_table() -> None:
    df = mixed_frame(n=1, seed=3)
    encoder = TableEncoder().fit(df, META)
    decoded = encoder.inverse_transform(*encoder.transform(df))
    assert_round_trip(df, decoded)  # its one value of each category is rare; a boolean is never


def test_key_only_table_is_empty() -> None:
    df = pd.DataFrame({"id": [1, 2, 3], "parent_id": [0, 0, 1]})
    encoder = TableEncoder().fit(df, {"id": {"sdtype": "id"}, "parent_id": {"sdtype": "id"}})
    assert encoder.is_empty and encoder.columns == [] and encoder.n_num == 0 and encoder.cardinalities == []
    x_num, x_cat = encoder.transform(df)
    assert x_num.shape == (3, 0) and x_cat.shape == (3, 0)
    assert encoder.inverse_transform(x_num, x_cat).shape == (3, 0)
    assert encoder.node_features(x_num, x_cat).shape == (3, 0) and encoder.node_feature_dim == 0


def test_node_features(encoder: TableEncoder, frame: pd.DataFrame) -> None:
    x_num, x_cat = encoder.transform(frame)
    features = encoder.node_features(x_num, x_cat)
    assert features.shape == (N, encoder.node_feature_dim) and features.dtype == np.float32
    assert encoder.node_feature_dim == encoder.n_num + sum(encoder.cardinalities)
    np.testing.assert_allclose(features[:, : encoder.n_num].mean(axis=0), 0.0, atol=1e-5)
    one_hot = features[:, encoder.n_num :]
    assert set(np.unique(one_hot)) <= {0.0, 1.0}
    assert (one_hot.sum(axis=1) == len(encoder.cardinalities)).all()


def test_unseen_values_are_rejected(encoder: TableEncoder, frame: pd.DataFrame) -> None:
    unseen = frame.copy()
    unseen["level"] = 99
    with pytest.raises(DataError, match="level"):
        encoder.transform(unseen)
    missing = frame.copy()
    missing["count"] = missing["count"].astype(float)
    missing.loc[0, "count"] = np.nan
    with pytest.raises(DataError, match="count"):
        encoder.transform(missing)


def test_datetime_offsets_round_trip_exactly(frame: pd.DataFrame) -> None:
    encoder = TableEncoder(datetime_offsets=True).fit(frame, META)
    kinds = {codec.name: codec.kind for codec in encoder.codecs}
    assert kinds["day"] == "datetime" and kinds["stamp"] == "datetime_offset"
    stamp = next(codec for codec in encoder.codecs if codec.name == "stamp")
    assert stamp.anchor == "day" and stamp.part_names == ["days", "hour", "minute", "second"]
    restored = TableEncoder.from_state(json.loads(json.dumps(encoder.get_state(), allow_nan=False)))
    assert_round_trip(frame, restored.inverse_transform(*encoder.transform(frame)), inexact=("ratio",))


def test_datetime_offsets_keep_a_rows_dates_in_order() -> None:
    """The reason for offsets: whatever the generator outputs, a date that never precedes
    its anchor in the real data does not in the decoded data, and a same-day timestamp stays
    on the anchor's day when its offset decodes to zero days."""
    rng = np.random.default_rng(1)
    created = pd.Timestamp("2013-01-01") + pd.to_timedelta(rng.integers(0, 700, 300), unit="D")
    active = created + pd.to_timedelta(rng.integers(0, 86400, 300), unit="s")
    booked = pd.Series(created + pd.to_timedelta(rng.integers(0, 60, 300), unit="D"))
    booked[rng.random(300) < 0.5] = pd.NaT
    df = pd.DataFrame({"created": created, "active": active, "booked": booked})
    meta = {c: {"sdtype": "datetime"} for c in df.columns}
    encoder = TableEncoder(datetime_offsets=True).fit(df, meta)
    x_num, x_cat = encoder.transform(df)
    noise = np.random.default_rng(2).normal(scale=2.0, size=x_num.shape).astype(np.float32)
    out = encoder.inverse_transform(noise, x_cat)
    assert (out["active"].dt.normalize() == out["created"]).all()
    present = out["booked"].notna()
    assert present.any() and (out.loc[present, "booked"] >= out.loc[present, "created"]).all()
    assert out["booked"].isna().sum() == df["booked"].isna().sum()  # the missing indicator is kept
    parts = TableEncoder().fit(df, meta).inverse_transform(*TableEncoder().fit(df, meta).transform(df))
    pd.testing.assert_frame_equal(parts, df)  # without offsets: independent parts, same round trip


def test_datetime_offsets_wider_than_292_years() -> None:
    """De-identified clinical dates shifted into 1844-2202: an admission and a discharge more
    than 292 years apart overflowed nanosecond offsets (a crash in fit); seconds do not."""
    rng = np.random.default_rng(0)
    admit = pd.Series(pd.Timestamp("1844-01-01") + pd.to_timedelta(rng.integers(0, 50 * 365, 200), unit="D"))
    discharge = pd.Series(pd.Timestamp("2202-01-01") - pd.to_timedelta(rng.integers(0, 50 * 365, 200), unit="D"))
    df = pd.DataFrame({"admit": admit, "discharge": discharge + pd.to_timedelta(rng.integers(0, 86400, 200), unit="s")})
    encoder = TableEncoder(datetime_offsets=True).fit(df, {c: {"sdtype": "datetime"} for c in df.columns})
    assert {codec.kind for codec in encoder.codecs} == {"datetime", "datetime_offset"}
    pd.testing.assert_frame_equal(encoder.inverse_transform(*encoder.transform(df)), df)
    noise = np.random.default_rng(1).normal(scale=3.0, size=encoder.transform(df)[0].shape).astype(np.float32)
    out = encoder.inverse_transform(noise, encoder.transform(df)[1])
    assert out["discharge"].between(df["discharge"].min(), df["discharge"].max()).all()


def test_datetime_anchor_choice() -> None:
    df = pd.DataFrame({
        "sparse": pd.to_datetime(["2020-01-01", None, None, None]),
        "full": pd.to_datetime(["2020-01-02", "2020-01-03", "2020-01-04", "2020-01-05"]),
        "later": pd.to_datetime(["2020-02-01", "2020-02-02", None, "2020-02-04"]),
    })
    assert choose_datetime_anchors(df, ["sparse", "full", "later"]) == {"sparse": "full", "later": "full"}
    # a column present where the anchor is missing has no offset there: it keeps its parts
    assert choose_datetime_anchors(df, ["full", "sparse"]) == {"sparse": "full"}
    odd = df.assign(odd=pd.to_datetime([None, None, "2020-03-01", None]))[["later", "odd"]]
    assert choose_datetime_anchors(odd, ["later", "odd"]) == {}
    assert choose_datetime_anchors(df, ["full"]) == {}


@pytest.mark.filterwarnings("ignore:The metadata lists columns in a different order")
@pytest.mark.parametrize("offsets", [False, True])
def test_real_airbnb_users_round_trip(offsets: bool) -> None:
    tables, metadata = load_shared("airbnb-simplified_subsampled")
    users = tables["users"]
    encoder = TableEncoder(datetime_offsets=offsets).fit(users, metadata.tables["users"].columns)
    state = json.loads(json.dumps(encoder.get_state()))
    decoded = TableEncoder.from_state(state).inverse_transform(*encoder.transform(users))
    assert len(users) == 10_000 and "id" not in decoded.columns
    categorical = tuple(c for c, spec in metadata.tables["users"].columns.items() if spec["sdtype"] == "categorical")
    assert_round_trip(users, decoded, categorical=categorical)


def test_many_categories_enter_the_gnn_as_bits() -> None:
    """Above NODE_ONE_HOT_MAX categories a column's node features are its code's bits, so a
    free-text-like column adds log2(n) features, not n, and distinct codes stay distinct."""
    values = [f"drug {i}" for i in range(300)] * 2  # 300 categories, each seen twice (not rare)
    frame = pd.DataFrame({"drug": values, "dose": np.arange(600, dtype=float)})
    encoder = TableEncoder().fit(frame, {"drug": {"sdtype": "categorical"}, "dose": {"sdtype": "numerical"}})
    x_num, x_cat = encoder.transform(frame)
    features = encoder.node_features(x_num, x_cat)
    assert encoder.cardinalities == [300] and NODE_ONE_HOT_MAX < 300
    assert features.shape == (600, 1 + node_feature_width(300)) == (600, 1 + 9)
    assert set(np.unique(features[:, 1:])) == {0.0, 1.0}
    assert len({row.tobytes() for row in features[:, 1:]}) == 300
