"""Datetime columns of real databases: any year from 1 to 9999, with or without a time zone.

pandas stores datetimes in nanoseconds by default, which reach only 1677-09-21 to
2262-04-11; de-identified clinical data shifted by centuries, historical records and
"9999-12-31 = open-ended" sentinels fall outside. pandas 2 also has second resolution
(``datetime64[s]``), which covers Python's own range (years 1-9999), so:

* :func:`parse_datetimes` reads a column as upstream does (ISO first, then the metadata's
  ``datetime_format``) in nanoseconds where the values fit, else in seconds; a column with
  one UTC offset or zone keeps it (``datetime64[ns, UTC+01:00]``); a column mixing offsets
  (a zone across daylight saving time written as offsets) is read as UTC instants;
* :func:`format_datetimes` writes a column back in the metadata's format with four-digit
  years (the C library writes year 44 as ``44``, which ``%Y`` does not read back);
* :func:`zone_name` / :func:`localize` carry a column's zone through a model that works on
  wall-clock time (:mod:`.rgcd.encoding`).
"""

from __future__ import annotations

import datetime as dt
import logging
import warnings

import numpy as np
import pandas as pd

logger = logging.getLogger(__name__)


class DatetimeParseError(ValueError):
    """A value that does not match the format; ``row`` is its position in the column."""

    def __init__(self, value: object, row: int):
        super().__init__(f"value {value!r} in row {row + 1}")
        self.value, self.row = value, row


def parse_datetimes(values: pd.Series, datetime_format: str, label: str = "") -> pd.Series:
    """``values`` (text) as datetimes (see the module docstring); raises
    :class:`DatetimeParseError` naming the first value that does not parse."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pandas' "mixed time zones" FutureWarning: handled below
        for parse in (_iso_then_format, _with_format):
            try:
                stamps = parse(values, datetime_format)
            except (ValueError, TypeError, OverflowError, AttributeError):
                continue
            if pd.api.types.is_datetime64_any_dtype(stamps.dtype):
                return stamps
        try:
            stamps = pd.to_datetime(values, format=datetime_format, utc=True)
        except (ValueError, TypeError, OverflowError):
            return _wide(values, datetime_format)
    logger.warning("%s: values carry different UTC offsets; read as UTC instants", label or "a datetime column")
    return stamps


def _iso_then_format(values: pd.Series, datetime_format: str) -> pd.Series:
    stamps = pd.to_datetime(values, format="ISO8601")
    return pd.to_datetime(stamps.dt.strftime(datetime_format), format=datetime_format)


def _with_format(values: pd.Series, datetime_format: str) -> pd.Series:
    return pd.to_datetime(values, format=datetime_format)


def _wide(values: pd.Series, datetime_format: str) -> pd.Series:
    """Python's own parser, in seconds: years 1-9999 (UTC instants where a value has an offset)."""
    parsed = np.full(len(values), np.datetime64("NaT"), dtype="datetime64[s]")
    for row, value in enumerate(values.to_numpy(dtype=object)):
        if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
            continue
        try:
            stamp = dt.datetime.strptime(str(value), datetime_format)
        except ValueError:
            raise DatetimeParseError(value, row) from None
        if stamp.tzinfo is not None:
            stamp = stamp.astimezone(dt.timezone.utc).replace(tzinfo=None)
        parsed[row] = np.datetime64(stamp, "s")
    return pd.Series(parsed, index=values.index, name=values.name)


_YEAR = "{<year>}"  # stands for %Y while the C library formats the rest


def format_datetimes(values: pd.Series, datetime_format: str) -> pd.Series:
    """Text in ``datetime_format`` (missing stays missing), years always with four digits."""
    if not pd.api.types.is_datetime64_any_dtype(values.dtype):
        values = parse_datetimes(values.astype("string"), datetime_format) if values.dtype == object else \
            pd.to_datetime(values)
    if "%Y" not in datetime_format:
        return values.dt.strftime(datetime_format)
    text = values.dt.strftime(datetime_format.replace("%Y", _YEAR))
    years = values.dt.year.astype("Int64").astype("string").str.zfill(4)
    return pd.Series([t if pd.isna(t) else t.replace(_YEAR, y) for t, y in zip(text, years)],
                     index=values.index, name=values.name, dtype=object)


def zone_name(values: pd.Series) -> str | None:
    """The column's zone as text ("Europe/Ljubljana", "+01:00", "UTC"), None when naive."""
    tz = getattr(values.dtype, "tz", None)
    if tz is None:
        return None
    if isinstance(tz, dt.timezone):
        offset = tz.utcoffset(None)
        if offset == dt.timedelta(0):
            return "UTC"
        sign, minutes = ("+" if offset >= dt.timedelta(0) else "-"), abs(int(offset.total_seconds())) // 60
        return f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"
    return str(tz)


def localize(values: pd.Series, zone: str | None) -> pd.Series:
    """Wall-clock datetimes given the zone :func:`zone_name` named (a time that daylight saving
    skips moves forward; one it repeats is read as standard time)."""
    if zone is None:
        return values
    if zone[0] in "+-":
        sign = 1 if zone[0] == "+" else -1
        hours, minutes = zone[1:].split(":")
        tz: object = dt.timezone(sign * dt.timedelta(hours=int(hours), minutes=int(minutes)))
    else:
        tz = zone
    return values.dt.tz_localize(tz, ambiguous=np.zeros(len(values), dtype=bool), nonexistent="shift_forward")


def naive_wall_time(values: pd.Series) -> pd.Series:
    """The datetimes as wall-clock time without their zone (what the models see)."""
    return values.dt.tz_localize(None) if getattr(values.dtype, "tz", None) is not None else values
