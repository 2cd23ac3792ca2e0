"""Datetimes of any year 1-9999, with UTC offsets and zones (``datetimes.py``), through the
loader, the encoder and the writer."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from syntherela_rgcd.datetimes import (DatetimeParseError, format_datetimes, localize, naive_wall_time,
                                       parse_datetimes, zone_name)
from syntherela_rgcd.rgcd.encoding import TableEncoder


def test_years_outside_nanoseconds_are_read_in_seconds_and_written_with_four_digits():
    values = pd.Series(["0044-03-15", "9999-12-31", None, "1844-01-02"])
    stamps = parse_datetimes(values, "%Y-%m-%d")
    assert str(stamps.dtype) == "datetime64[s]"
    assert stamps.dt.year.tolist()[:2] == [44, 9999] and stamps.isna().tolist() == [False, False, True, False]
    written = format_datetimes(stamps, "%Y-%m-%d")
    assert written.isna().tolist() == stamps.isna().tolist()
    assert written.dropna().tolist() == ["0044-03-15", "9999-12-31", "1844-01-02"]


def test_values_within_nanoseconds_load_as_upstream_does():
    stamps = parse_datetimes(pd.Series(["2020-01-02 03:04:05"]), "%Y-%m-%d %H:%M:%S")
    assert str(stamps.dtype) == "datetime64[ns]"


def test_one_offset_is_kept_and_mixed_offsets_become_utc():
    fixed = parse_datetimes(pd.Series(["2021-03-04 10:00:00+01:00", "2021-07-04 10:00:00+01:00"]),
                            "%Y-%m-%d %H:%M:%S%z")
    assert zone_name(fixed) == "+01:00" and fixed.dt.hour.tolist() == [10, 10]
    assert format_datetimes(fixed, "%Y-%m-%d %H:%M:%S%z").tolist() == ["2021-03-04 10:00:00+0100",
                                                                       "2021-07-04 10:00:00+0100"]
    mixed = parse_datetimes(pd.Series(["2021-03-04 10:00:00+01:00", "2021-07-04 10:00:00+02:00"]),
                            "%Y-%m-%d %H:%M:%S%z")
    assert zone_name(mixed) == "UTC" and mixed.dt.hour.tolist() == [9, 8]


def test_a_bad_value_is_named_with_its_row():
    with pytest.raises(DatetimeParseError, match=r"value '1500-13-01' in row 2"):
        parse_datetimes(pd.Series(["1500-01-01", "1500-13-01"]), "%Y-%m-%d")


def test_zones_survive_localize_including_a_skipped_hour():
    wall = pd.Series(pd.to_datetime(["2021-03-28 02:30:00", "2021-10-31 02:30:00"]))  # DST gap and repeat
    zoned = localize(wall, "Europe/Ljubljana")
    assert zoned.notna().all() and zone_name(zoned) == "Europe/Ljubljana"
    assert naive_wall_time(localize(wall, "-05:30")).equals(wall)


def test_encoder_round_trips_far_apart_and_zoned_columns():
    rng = np.random.default_rng(0)
    n = 200
    far = pd.Series(np.array([f"{y:04d}-06-{d:02d}" for y, d in zip(rng.integers(1, 9999, n), rng.integers(1, 29, n))],
                             dtype="datetime64[s]"))
    zoned = localize(pd.Series(pd.Timestamp("2021-01-01") + pd.to_timedelta(rng.integers(0, 10**6, n), unit="min")),
                     "+01:00")
    frame = pd.DataFrame({"far": far, "zoned": zoned, "x": rng.normal(size=n)})
    columns = {"far": {"sdtype": "datetime"}, "zoned": {"sdtype": "datetime"}, "x": {"sdtype": "numerical"}}
    for offsets in (False, True):
        encoder = TableEncoder(datetime_offsets=offsets).fit(frame, columns)
        back = encoder.inverse_transform(*encoder.transform(frame))
        assert str(back["far"].dtype) == "datetime64[s]" and str(back["zoned"].dtype) == str(zoned.dtype)
        assert back["far"].equals(far) and back["zoned"].equals(zoned)
        state = TableEncoder.from_state(encoder.get_state())
        assert state.inverse_transform(*encoder.transform(frame))["zoned"].equals(zoned)
