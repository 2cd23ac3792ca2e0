"""One table between its DataFrame and the model space of RGCD's VAE (the RGCD paper's preprocessing).

Model space is two matrices: ``x_num`` (float32, roughly standard normal per column) and
``x_cat`` (int64 codes). Every non-id column of the table becomes one or more model columns:

- categorical / boolean (and any other non-id sdtype): one categorical model column whose
  codes are the observed values, with missing as one extra code;
- numerical: one numerical model column, quantile-normalised to N(0, 1) so that skewed and
  heavy-tailed columns look alike to the VAE; when the column has missing values a
  missing-indicator categorical column is added and missing rows get the imputed value 0
  (the paper's "factor missing": the model learns *whether* a value is there separately
  from *what* it is);
- datetime: numerical parts year, month, day (and hour, minute, second when the data has a
  time of day), each handled like a numerical column, plus one indicator for NaT;
- a second datetime column of the same table (with ``datetime_offsets=True``): whole days
  after the table's *anchor* datetime column (the first one with the fewest missing values),
  plus its own time of day. Parts drawn independently per column break the order and the
  coincidences of a row's dates (AirBnB: the first activity falls on the day the account is
  created in 99.8 % of users, the first booking never precedes it; with parts per column a
  generator matched the day in 30 % and booked before creation in 15 %). As an offset, "the
  same day" is one value of one model column and "before" is outside its range.

A column with no observed value at all has nothing to learn and gets no model column; it is
decoded as all-missing. Decoding clamps to the real value range and set of categories and
restores the fitted dtypes, so whatever the generator outputs is a valid table.

Round-trip accuracy (encode then decode the fitted data): categories, booleans, datetimes
(to the second; sub-second parts are dropped) and missing patterns are exact. Numbers pass
through float32 and the normal CDF: the column minimum and maximum come back exactly, other
values within about 1e-5 of the gap between their neighbouring quantiles (below 1e-6 of the
column's range on the SyntheRela datasets). Columns whose values all have at most 8 decimals
(integers included) are rounded to that many decimals on decoding, which makes most of them
exact and keeps generated values as "round" as the real ones.

The fitted state is plain JSON (no pickle) so that saved models are portable and inspectable.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import norm
from sklearn.preprocessing import QuantileTransformer

from ..datetimes import localize, naive_wall_time, zone_name
from ..errors import DataError

# sklearn's BOUNDS_THRESHOLD: probabilities are kept this far from 0 and 1 so that the
# normal quantile stays finite (|z| <= 5.2).
_BOUND = 1e-7
_MAX_DECIMALS = 8
_DATE_PARTS = ["year", "month", "day"]
_TIME_PARTS = ["hour", "minute", "second"]


def _python(value: Any) -> Any:
    """A numpy scalar as the equivalent Python scalar, so that it survives ``json.dumps``."""
    return value.item() if isinstance(value, np.generic) else value


def _decimals(values: np.ndarray) -> int | None:
    """The fewest decimals (at most 8) that represent every value exactly, else None."""
    for decimals in range(_MAX_DECIMALS + 1):
        if np.array_equal(np.round(values, decimals), values):
            return decimals
    return None


class _QuantileNormal:
    """One numerical model column: values mapped through their empirical quantiles to N(0, 1).

    The quantiles come from sklearn's QuantileTransformer (fitted on all values, so the first
    and last quantile are the exact minimum and maximum); the mapping itself is done here with
    ``np.interp`` and the normal CDF so that the state is two plain lists.
    """

    def __init__(self, quantiles: np.ndarray, references: np.ndarray, decimals: int | None):
        self.quantiles = np.asarray(quantiles, dtype=np.float64)
        self.references = np.asarray(references, dtype=np.float64)
        self.decimals = decimals

    @classmethod
    def fit(cls, values: np.ndarray) -> _QuantileNormal:
        transformer = QuantileTransformer(
            output_distribution="normal",
            n_quantiles=min(1000, len(values)),
            subsample=10**9,
            random_state=0,
        ).fit(values.reshape(-1, 1))
        return cls(transformer.quantiles_[:, 0], transformer.references_, _decimals(values))

    def forward(self, values: np.ndarray) -> np.ndarray:
        q, r = self.quantiles, self.references
        if q[0] == q[-1]:
            return np.zeros(len(values))
        # Interpolating up and down and averaging (as sklearn does) maps a value repeated over
        # several quantiles to the middle of its probability range rather than to one end.
        p = 0.5 * (np.interp(values, q, r) - np.interp(-values, -q[::-1], -r[::-1]))
        return norm.ppf(np.clip(p, _BOUND, 1 - _BOUND))

    def inverse(self, z: np.ndarray) -> np.ndarray:
        p = norm.cdf(np.asarray(z, dtype=np.float64))
        # Undo the clipping in `forward` so that the minimum and maximum come back exactly.
        p[p < 2 * _BOUND] = 0.0
        p[p > 1 - 2 * _BOUND] = 1.0
        values = np.interp(p, self.references, self.quantiles)
        return values if self.decimals is None else np.round(values, self.decimals)

    def get_state(self) -> dict:
        return {
            "quantiles": self.quantiles.tolist(),
            "references": self.references.tolist(),
            "decimals": self.decimals,
        }

    @classmethod
    def from_state(cls, state: dict) -> _QuantileNormal:
        return cls(state["quantiles"], state["references"], state["decimals"])


#: A value seen fewer times than this is *rare*: its rows share one code, and each synthetic row
#: decoded to it gets a fresh value that is not in the real data. Real databases hold free text
#: (names, e-mail addresses, lap times, drug names), where nearly every value occurs once: as
#: categories they would cost a softmax over thousands of values per row (memory and time
#: that grow with the rows) and could only be learnt by copying them.
RARE_BELOW = 2
#: At most this many categories per column are modelled (the most frequent; the others are
#: rare), whatever the data: CORA's 1,433 words are all kept.
MAX_CATEGORIES = 2048
#: What fresh values of a text column start with (a number is appended).
FRESH_PREFIX = "synthetic-"


class _CategoricalCodec:
    """A categorical or boolean column: one code per frequent value, one shared code for the
    rare ones (see :data:`RARE_BELOW`), missing as the last code.

    The fitted state holds the frequent values only, so a saved model carries no value that
    occurs once in the data. A row decoded to the rare code gets a fresh value: the next
    integer above the column's largest for numbers, ``synthetic-<k>`` for text.
    """

    kind = "categorical"

    def __init__(self, name: str, dtype: dict, categories: list, has_missing: bool, rare: int = 0,
                 fresh_from: float | None = None):
        self.name = name
        self.dtype = dtype
        self.categories = categories
        self.has_missing = has_missing
        self.rare = rare  # how many distinct rare values the data had (0: no rare code)
        self.fresh_from = fresh_from  # numbers: fresh values start here; None: text

    @classmethod
    def fit(cls, name: str, series: pd.Series) -> _CategoricalCodec:
        observed = series.dropna()
        if isinstance(series.dtype, pd.CategoricalDtype):
            dtype = {"name": "category", "ordered": bool(series.dtype.ordered)}
            values = pd.Index(observed.cat.remove_unused_categories().cat.categories)
            counts = observed.value_counts()
        else:
            dtype = {"name": str(series.dtype)}
            values = pd.Index(pd.unique(observed))
            try:
                values = values.sort_values()
            except TypeError:  # mixed types: keep the order of appearance
                pass
            counts = observed.value_counts()
        count = counts.reindex(values).fillna(0).to_numpy()
        boolean = pd.api.types.is_bool_dtype(series.dtype) or pd.api.types.is_bool_dtype(values.dtype)
        frequent = (count >= RARE_BELOW) | boolean  # a yes/no column keeps both answers
        if frequent.sum() > MAX_CATEGORIES:  # keep the most frequent, in value order
            cut = np.sort(count[frequent])[::-1][MAX_CATEGORIES - 1]
            frequent &= count >= cut
            frequent &= np.cumsum(frequent) <= MAX_CATEGORIES
        numbers = pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values.dtype)
        fresh_from = float(np.floor(values.max()) + 1) if numbers and len(values) else None
        categories = [_python(v) for v in values[frequent]]
        if dtype["name"] == "category":  # the declared categories no row uses stay in the dtype; rare ones do not
            kept = set(categories)
            dtype["categories"] = [_python(c) for c in series.dtype.categories if c in kept or c not in counts.index
                                   or counts[c] == 0]
        return cls(name, dtype, categories, has_missing=bool(len(values)) and bool(series.isna().any()),
                   rare=int((~frequent).sum()), fresh_from=fresh_from)

    @property
    def n_num(self) -> int:
        return 0

    @property
    def _codes(self) -> int:
        return len(self.categories) + (self.rare > 0)

    @property
    def cardinalities(self) -> list[int]:
        return [self._codes + self.has_missing] if self._codes else []

    def encode(self, series: pd.Series) -> tuple[list[np.ndarray], list[np.ndarray]]:
        if not self._codes:
            return [], []
        codes = pd.Categorical(series, categories=self.categories).codes.astype(np.int64)
        missing = series.isna().to_numpy()
        unknown = (codes < 0) & ~missing
        if (unknown.any() and not self.rare) or (missing.any() and not self.has_missing):
            bad = series[unknown | missing].unique()[:5]
            raise DataError(f"column {self.name!r} has values not seen when fitting its encoder: {list(bad)}")
        codes[unknown] = len(self.categories)
        codes[missing] = self._codes
        return [], [codes]

    def decode(self, num: list[np.ndarray], cat: list[np.ndarray], n: int) -> pd.Series:
        fresh: list = []
        if self._codes:
            codes = np.clip(cat[0], 0, self._codes - 1 + self.has_missing)
            lookup = np.array(self.categories + [None] * (self.rare > 0) + [np.nan], dtype=object)
            values = lookup[codes]
            rare = np.flatnonzero(codes == len(self.categories)) if self.rare else np.zeros(0, dtype=int)
            fresh = self._fresh(len(rare))
            for row, value in zip(rare, fresh):
                values[row] = value
        else:
            values = np.full(n, np.nan, dtype=object)
        if self.dtype["name"] == "category":
            categorical = pd.Categorical(values, categories=list(self.dtype["categories"]) + fresh,
                                         ordered=self.dtype["ordered"])
            return pd.Series(categorical, name=self.name)
        return pd.Series(values, name=self.name, dtype=object).astype(self.dtype["name"])

    def _fresh(self, count: int) -> list:
        """``count`` values no real row has: numbers above the largest, else ``synthetic-<k>``."""
        if self.fresh_from is not None:
            return [int(self.fresh_from) + k for k in range(count)]
        taken = set(map(str, self.categories))
        prefix = FRESH_PREFIX
        while any(str(c).startswith(prefix) for c in taken):
            prefix = "_" + prefix
        return [f"{prefix}{k}" for k in range(count)]

    def get_state(self) -> dict:
        return {
            "kind": self.kind,
            "name": self.name,
            "dtype": self.dtype,
            "categories": self.categories,
            "has_missing": self.has_missing,
            "rare": self.rare,
            "fresh_from": self.fresh_from,
        }

    @classmethod
    def from_state(cls, state: dict) -> _CategoricalCodec:
        return cls(state["name"], state["dtype"], state["categories"], state["has_missing"], state["rare"],
                   state["fresh_from"])


class _PartsCodec:
    """A column stored as numerical parts plus, when it has missing values, an indicator.

    Subclasses say how a column splits into parts (``_split``) and how parts join back into a
    column of the fitted dtype (``_join``); quantile normalisation, imputation and the
    missing indicator are shared here.
    """

    kind: str

    def __init__(self, name: str, dtype: str, part_names: list[str], parts: list[_QuantileNormal], has_missing: bool):
        self.name = name
        self.dtype = dtype
        self.part_names = part_names
        self.parts = parts
        self.has_missing = has_missing

    @classmethod
    def fit(cls, name: str, series: pd.Series) -> _PartsCodec:
        part_names = cls._part_names(series)
        values = cls._split(series, part_names)
        observed = ~np.isnan(values).any(axis=1)
        parts = [_QuantileNormal.fit(values[observed, j]) for j in range(len(part_names))] if observed.any() else []
        dtype = cls._output_dtype(series)
        return cls(name, dtype, part_names, parts, has_missing=bool(parts) and not observed.all())

    @property
    def n_num(self) -> int:
        return len(self.parts)

    @property
    def cardinalities(self) -> list[int]:
        return [2] if self.has_missing else []

    def encode(self, series: pd.Series) -> tuple[list[np.ndarray], list[np.ndarray]]:
        if not self.parts:
            return [], []
        values = self._split(series, self.part_names)
        missing = np.isnan(values).any(axis=1)
        if missing.any() and not self.has_missing:
            raise DataError(f"column {self.name!r} has missing values but had none when its encoder was fitted")
        num = []
        for j, part in enumerate(self.parts):
            z = part.forward(values[:, j])
            z[missing] = 0.0  # impute the median; the indicator says the value is not there
            num.append(z)
        return num, ([missing.astype(np.int64)] if self.has_missing else [])

    def decode(self, num: list[np.ndarray], cat: list[np.ndarray], n: int) -> pd.Series:
        if not self.parts:
            return self._join(np.zeros((n, len(self.part_names))), np.ones(n, dtype=bool))
        values = np.column_stack([part.inverse(z) for part, z in zip(self.parts, num)])
        missing = cat[0] == 1 if self.has_missing else np.zeros(n, dtype=bool)
        return self._join(values, missing)

    def get_state(self) -> dict:
        return {
            "kind": self.kind,
            "name": self.name,
            "dtype": self.dtype,
            "part_names": self.part_names,
            "parts": [part.get_state() for part in self.parts],
            "has_missing": self.has_missing,
        }

    @classmethod
    def from_state(cls, state: dict) -> _PartsCodec:
        parts = [_QuantileNormal.from_state(part) for part in state["parts"]]
        return cls(state["name"], state["dtype"], state["part_names"], parts, state["has_missing"])

    @staticmethod
    def _part_names(series: pd.Series) -> list[str]:
        raise NotImplementedError

    @staticmethod
    def _split(series: pd.Series, part_names: list[str]) -> np.ndarray:
        """(n, parts) float64, NaN in every part of a missing row."""
        raise NotImplementedError

    @staticmethod
    def _output_dtype(series: pd.Series) -> str:
        raise NotImplementedError

    def _join(self, values: np.ndarray, missing: np.ndarray) -> pd.Series:
        raise NotImplementedError


class _NumericalCodec(_PartsCodec):
    kind = "numerical"

    @staticmethod
    def _part_names(series: pd.Series) -> list[str]:
        return ["value"]

    @staticmethod
    def _split(series: pd.Series, part_names: list[str]) -> np.ndarray:
        numbers = pd.to_numeric(series, errors="coerce")
        return numbers.to_numpy(dtype=np.float64, na_value=np.nan).reshape(-1, 1)

    @staticmethod
    def _output_dtype(series: pd.Series) -> str:
        return str(series.dtype)

    def _join(self, values: np.ndarray, missing: np.ndarray) -> pd.Series:
        column = values[:, 0].copy()
        column[missing] = np.nan
        return pd.Series(column, name=self.name).astype(self.dtype)


class _DatetimeCodec(_PartsCodec):
    """Parts year, month, day (+ hour, minute, second); also remembers the real first and last
    timestamp, because parts that are each within range can still combine to a date outside it."""

    kind = "datetime"
    bounds: list[str] | None = None
    zone: str | None = None  # the column's UTC offset or zone: parts are wall-clock time in it

    @classmethod
    def fit(cls, name: str, series: pd.Series) -> _DatetimeCodec:
        codec = super().fit(name, series)
        codec.bounds = _stamp_bounds(series)
        codec.zone = zone_name(series) if pd.api.types.is_datetime64_any_dtype(series.dtype) else None
        return codec

    def get_state(self) -> dict:
        return {**super().get_state(), "bounds": self.bounds, "zone": self.zone}

    @classmethod
    def from_state(cls, state: dict) -> _DatetimeCodec:
        codec = super().from_state(state)
        codec.bounds = state["bounds"]
        codec.zone = state.get("zone")
        return codec

    @staticmethod
    def _part_names(series: pd.Series) -> list[str]:
        stamps = _as_datetime(series).dropna()
        has_time = bool(stamps.dt.hour.any() or stamps.dt.minute.any() or stamps.dt.second.any())
        return _DATE_PARTS + _TIME_PARTS if has_time else list(_DATE_PARTS)

    @staticmethod
    def _split(series: pd.Series, part_names: list[str]) -> np.ndarray:
        stamps = _as_datetime(series)
        parts = [getattr(stamps.dt, part).to_numpy(dtype=np.float64, na_value=np.nan) for part in part_names]
        return np.column_stack(parts)

    @staticmethod
    def _output_dtype(series: pd.Series) -> str:
        """The column's dtype without its zone (``datetime64[s]`` for years outside 1678-2261)."""
        if not pd.api.types.is_datetime64_any_dtype(series.dtype):
            return "datetime64[ns]"
        return f"datetime64[{np.datetime_data(naive_wall_time(series).dtype)[0]}]"

    def _join(self, values: np.ndarray, missing: np.ndarray) -> pd.Series:
        """Parts -> datetimes, in numpy's seconds so that any year 1-9999 works. Parts come back
        rounded and within their real ranges, but their combination can still be impossible
        (31 February), so the day is clamped to the month's length."""
        stamps = np.full(len(values), np.datetime64("NaT"), dtype="datetime64[s]")
        present = ~missing
        if present.any():
            parts = dict(zip(self.part_names, values[present].astype(np.int64).T))
            month = ((parts["year"] - 1970) * 12 + parts["month"] - 1).astype("datetime64[M]")
            first_day = month.astype("datetime64[D]")
            days_in_month = ((month + 1).astype("datetime64[D]") - first_day).astype(np.int64)
            day = np.clip(parts["day"], 1, days_in_month)
            seconds = (day - 1) * 86400 + sum(parts.get(p, 0) * f for p, f in (("hour", 3600), ("minute", 60), ("second", 1)))
            joined = first_day.astype("datetime64[s]") + seconds.astype("timedelta64[s]")
            stamps[present] = np.maximum(np.minimum(joined, _bound(self.bounds[1])), _bound(self.bounds[0]))
        return localize(pd.Series(stamps, name=self.name).astype(self.dtype), self.zone)


class _DatetimeOffsetCodec(_PartsCodec):
    """A datetime column as an offset from the row's anchor datetime (see the module
    docstring): parts ``days`` (whole days after the anchor's date) and, when the column has a
    time of day, hour, minute, second. It encodes the offsets :func:`datetime_offsets` gives;
    :class:`TableEncoder` adds the anchor's date back after decoding (:meth:`restore`)."""

    kind = "datetime_offset"
    anchor: str = ""
    bounds: list[str] | None = None
    zone: str | None = None

    @classmethod
    def fit_offset(cls, name: str, series: pd.Series, anchor_name: str, anchor: pd.Series) -> _DatetimeOffsetCodec:
        codec = cls.fit(name, datetime_offsets(series, anchor))
        codec.dtype = _DatetimeCodec._output_dtype(series)
        codec.anchor = anchor_name
        codec.bounds = _stamp_bounds(series)
        codec.zone = zone_name(series) if pd.api.types.is_datetime64_any_dtype(series.dtype) else None
        return codec

    def get_state(self) -> dict:
        return {**super().get_state(), "anchor": self.anchor, "bounds": self.bounds, "zone": self.zone}

    @classmethod
    def from_state(cls, state: dict) -> _DatetimeOffsetCodec:
        codec = super().from_state(state)
        codec.anchor = state["anchor"]
        codec.bounds = state["bounds"]
        codec.zone = state.get("zone")
        return codec

    @staticmethod
    def _part_names(series: pd.Series) -> list[str]:
        offsets = series.dropna()
        has_time = bool((offsets.dt.seconds != 0).any())
        return ["days"] + _TIME_PARTS if has_time else ["days"]

    @staticmethod
    def _split(series: pd.Series, part_names: list[str]) -> np.ndarray:
        days = series.dt.days.to_numpy(dtype=np.float64, na_value=np.nan)
        seconds = series.dt.seconds.to_numpy(dtype=np.float64, na_value=np.nan)
        parts = {"days": days, "hour": seconds // 3600, "minute": seconds % 3600 // 60, "second": seconds % 60}
        return np.column_stack([parts[part] for part in part_names])

    @staticmethod
    def _output_dtype(series: pd.Series) -> str:
        return "timedelta64[s]"

    def _join(self, values: np.ndarray, missing: np.ndarray) -> pd.Series:
        """Offsets as a timedelta Series (NaT where missing); :meth:`restore` makes them dates."""
        parts = dict(zip(self.part_names, np.rint(values).T))
        seconds = parts["days"] * 86400 + sum(parts.get(p, 0.0) * f for p, f in (("hour", 3600), ("minute", 60), ("second", 1)))
        offsets = np.full(len(values), np.timedelta64("NaT"), dtype="timedelta64[s]")
        present = ~missing & np.isfinite(seconds)
        offsets[present] = seconds[present].astype(np.int64)
        return pd.Series(offsets, name=self.name)

    def restore(self, offsets: pd.Series, anchor: pd.Series) -> pd.Series:
        """Decoded offsets plus the decoded anchor's date, within the real first and last value."""
        stamps = (_as_datetime(anchor).dt.normalize().dt.as_unit("s") + offsets.to_numpy()).to_numpy()
        if self.bounds is not None:
            stamps = np.maximum(np.minimum(stamps, _bound(self.bounds[1])), _bound(self.bounds[0]))
        return localize(pd.Series(stamps, name=self.name).astype(self.dtype), self.zone)


def datetime_offsets(series: pd.Series, anchor: pd.Series) -> pd.Series:
    """``series`` minus the date (midnight) of ``anchor``, row by row, as timedeltas.

    In seconds, not pandas' default nanoseconds: a nanosecond timedelta overflows past 292
    years, and de-identified clinical data shifted into 1844-2202 has wider gaps than that."""
    later, earlier = _as_datetime(series).dt.as_unit("s"), _as_datetime(anchor).dt.normalize().dt.as_unit("s")
    return (later - earlier).reset_index(drop=True)


def choose_datetime_anchors(df: pd.DataFrame, datetime_columns: list[str]) -> dict[str, str]:
    """Column -> anchor for the datetime columns to encode as offsets.

    The anchor is the first datetime column with the fewest missing values; another datetime
    column is encoded relative to it only if it is never present where the anchor is missing
    (its offset would be undefined there). Fewer than two datetime columns: nothing to relate.
    """
    if len(datetime_columns) < 2:
        return {}
    present = {c: _as_datetime(df[c]).notna().to_numpy() for c in datetime_columns}
    anchor = max(datetime_columns, key=lambda c: (present[c].sum(), -datetime_columns.index(c)))
    return {c: anchor for c in datetime_columns
            if c != anchor and present[c].any() and not (present[c] & ~present[anchor]).any()}


def _stamp_bounds(series: pd.Series) -> list[str] | None:
    """The real first and last (wall-clock) timestamp of ``series`` (decoding clips to them) in
    ISO form with four-digit years, None if all NaT."""
    stamps = _as_datetime(series).dropna()
    return [str(np.datetime64(stamps.min(), "s")), str(np.datetime64(stamps.max(), "s"))] if len(stamps) else None


def _bound(text: str) -> np.datetime64:
    """A bound saved by :func:`_stamp_bounds` (models saved before it wrote "2012-01-01 00:00:00")."""
    return np.datetime64(text.replace(" ", "T"), "s")


def _as_datetime(series: pd.Series) -> pd.Series:
    """Timestamps of ``series`` (parsed if needed); time zones are dropped (local wall time)."""
    stamps = series if pd.api.types.is_datetime64_any_dtype(series.dtype) else pd.to_datetime(series, errors="coerce")
    return stamps.dt.tz_localize(None) if stamps.dt.tz is not None else stamps


_CODECS = {codec.kind: codec for codec in (_CategoricalCodec, _NumericalCodec, _DatetimeCodec, _DatetimeOffsetCodec)}


#: Categorical columns with more categories than this enter the GNN as the bits of their code
#: (ceil(log2 n) features, lossless) instead of one-hot: a 2,000-category drug or lap-time
#: column made 10,000-row tables' node features 4,000 wide (156 MB, and the GNN's peak
#: several times that), which broke smoke's 1 GiB on two real databases of the zoo.
NODE_ONE_HOT_MAX = 64


def node_feature_width(cardinality: int) -> int:
    """GNN input features of one categorical column (see :data:`NODE_ONE_HOT_MAX`)."""
    return cardinality if cardinality <= NODE_ONE_HOT_MAX else int(cardinality - 1).bit_length()


class TableEncoder:
    """Maps one table between a DataFrame and the VAE's model space (see the module docstring).

    After :meth:`fit`: ``columns`` are the non-id columns in the DataFrame's order (what
    :meth:`inverse_transform` returns), ``n_num`` and ``cardinalities`` describe model space,
    and ``is_empty`` says there is nothing to model (no non-id column, or only all-missing ones).
    """

    def __init__(self, datetime_offsets: bool = False) -> None:
        self.datetime_offsets = datetime_offsets
        self.codecs: list[_CategoricalCodec | _PartsCodec] = []
        self._num_mean = np.zeros(0)
        self._num_std = np.ones(0)

    def fit(self, df: pd.DataFrame, columns_meta: dict[str, dict]) -> TableEncoder:
        """Learn every non-id column of ``df`` that ``columns_meta`` (SDV column metadata) describes."""
        self.codecs = []
        sdtypes = {name: columns_meta[name].get("sdtype") if name in columns_meta else "id" for name in df.columns}
        datetimes = [name for name, sdtype in sdtypes.items() if sdtype == "datetime"]
        anchors = choose_datetime_anchors(df, datetimes) if self.datetime_offsets else {}
        for name, sdtype in sdtypes.items():
            if sdtype == "id":
                continue
            if name in anchors:
                self.codecs.append(_DatetimeOffsetCodec.fit_offset(name, df[name], anchors[name], df[anchors[name]]))
                continue
            kind = sdtype if sdtype in ("numerical", "datetime") else "categorical"
            self.codecs.append(_CODECS[kind].fit(name, df[name]))
        x_num, _ = self.transform(df)
        # Statistics for the GNN node features; a constant column keeps scale 1.
        self._num_mean = x_num.mean(axis=0).astype(np.float64) if len(x_num) else np.zeros(self.n_num)
        std = x_num.std(axis=0).astype(np.float64) if len(x_num) else np.ones(self.n_num)
        self._num_std = np.where(std > 1e-8, std, 1.0)
        return self

    @property
    def columns(self) -> list[str]:
        return [codec.name for codec in self.codecs]

    @property
    def n_num(self) -> int:
        return sum(codec.n_num for codec in self.codecs)

    @property
    def cardinalities(self) -> list[int]:
        return [card for codec in self.codecs for card in codec.cardinalities]

    @property
    def categorical_names(self) -> list[str | None]:
        """Per categorical model column, the table column it codes, or None for a numerical
        column's missing indicator (not a value of the table)."""
        names: list[str | None] = []
        for codec in self.codecs:
            names += [codec.name if codec.kind == "categorical" else None] * len(codec.cardinalities)
        return names

    @property
    def is_empty(self) -> bool:
        return self.n_num == 0 and not self.cardinalities

    @property
    def node_feature_dim(self) -> int:
        return self.n_num + sum(node_feature_width(card) for card in self.cardinalities)

    def transform(self, df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """``df`` -> (x_num (n, n_num) float32, x_cat (n, n_cat) int64)."""
        n = len(df)
        num: list[np.ndarray] = []
        cat: list[np.ndarray] = []
        for codec in self.codecs:
            column = df[codec.name]
            if isinstance(codec, _DatetimeOffsetCodec):
                column = datetime_offsets(column, df[codec.anchor])
            codec_num, codec_cat = codec.encode(column)
            num += codec_num
            cat += codec_cat
        x_num = np.column_stack(num).astype(np.float32) if num else np.zeros((n, 0), dtype=np.float32)
        x_cat = np.column_stack(cat).astype(np.int64) if cat else np.zeros((n, 0), dtype=np.int64)
        return x_num, x_cat

    def inverse_transform(self, x_num: np.ndarray, x_cat: np.ndarray) -> pd.DataFrame:
        """Model space -> DataFrame with exactly ``columns``, fitted dtypes and real value ranges."""
        x_num = np.asarray(x_num, dtype=np.float64)
        x_cat = np.asarray(x_cat, dtype=np.int64)
        n = len(x_num)
        out: dict[str, pd.Series] = {}
        i_num = i_cat = 0
        for codec in self.codecs:
            k_num, k_cat = codec.n_num, len(codec.cardinalities)
            num = [x_num[:, i_num + j] for j in range(k_num)]
            cat = [x_cat[:, i_cat + j] for j in range(k_cat)]
            out[codec.name] = codec.decode(num, cat, n)
            i_num += k_num
            i_cat += k_cat
        for codec in self.codecs:  # offsets become dates once every anchor is decoded
            if isinstance(codec, _DatetimeOffsetCodec):
                out[codec.name] = codec.restore(out[codec.name], out[codec.anchor])
        return pd.DataFrame(out, index=pd.RangeIndex(n), columns=self.columns)

    def node_features(self, x_num: np.ndarray, x_cat: np.ndarray) -> np.ndarray:
        """GNN node features: numerical model columns standardised, categorical ones one-hot,
        or as the bits of their code above :data:`NODE_ONE_HOT_MAX` categories (see there)."""
        x_cat = np.asarray(x_cat)
        features = np.zeros((len(x_cat), self.node_feature_dim), dtype=np.float32)
        features[:, : self.n_num] = (np.asarray(x_num, dtype=np.float64) - self._num_mean) / self._num_std
        rows, offset = np.arange(len(x_cat)), self.n_num
        for j, card in enumerate(self.cardinalities):
            codes = np.clip(x_cat[:, j], 0, card - 1)
            width = node_feature_width(card)
            if card <= NODE_ONE_HOT_MAX:
                features[rows, offset + codes] = 1.0
            else:
                features[:, offset:offset + width] = (codes[:, None] >> np.arange(width)) & 1
            offset += width
        return features

    def get_state(self) -> dict:
        """A JSON-serialisable description of the fitted encoder."""
        return {
            "datetime_offsets": self.datetime_offsets,
            "codecs": [codec.get_state() for codec in self.codecs],
            "num_mean": self._num_mean.tolist(),
            "num_std": self._num_std.tolist(),
        }

    @classmethod
    def from_state(cls, state: dict) -> TableEncoder:
        encoder = cls(datetime_offsets=state.get("datetime_offsets", False))
        encoder.codecs = [_CODECS[codec["kind"]].from_state(codec) for codec in state["codecs"]]
        encoder._num_mean = np.asarray(state["num_mean"], dtype=np.float64)
        encoder._num_std = np.asarray(state["num_std"], dtype=np.float64)
        return encoder
