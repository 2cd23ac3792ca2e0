"""Reading and writing a dataset's CSV files: SyntheRela's ``load_tables`` and ``save_tables``,
without their traps.

Upstream (syntherela 0.0.4, ``syntherela.data.load_tables``) reads every table with pandas'
defaults plus ``dtype="category"`` for categorical columns, ``dtype="bool"`` for boolean
ones and ``parse_dates`` with the metadata's ``datetime_format``. On real databases three
of those defaults break valid data, so this module reads the files itself, in this one
place, and otherwise does what upstream does (same dtypes, same datetime parsing):

* **keys that look missing**: pandas reads the strings ``NA``, ``null``, ``None``, ``nan``
  ... as missing values, so a valid string key ``NA`` (RCTGAN writes such ids itself)
  becomes a dangling or missing foreign key. Key columns are read as text with only the
  empty field as missing; a key column whose values are all numbers gets the dtype pandas
  would have given it (int64, or float64 with missing values), so numeric keys load exactly
  as before;
* **booleans with missing values**: ``dtype="bool"`` fails on an empty field ("Bool column
  has NA values in column 3", no table or column named); such a column becomes pandas'
  nullable ``boolean``;
* **datetimes**: upstream reads years 1678-2261 only (nanoseconds) and no UTC offsets, and its
  error names neither the table nor the column; here any year 1-9999 and offsets are read
  (:mod:`.datetimes`), and the first value that does not parse is named with its table,
  column and row.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from pandas._libs.parsers import STR_NA_VALUES
from syntherela.metadata import Metadata

from .datetimes import DatetimeParseError, format_datetimes, parse_datetimes
from .errors import DataError

Tables = dict[str, pd.DataFrame]

#: What pandas reads as missing by default; kept for every column that is not a key.
NA_TOKENS = sorted(STR_NA_VALUES)


def read_tables(path: Path, metadata: Metadata, dataset: str) -> Tables:
    """Every table of ``metadata`` from ``<path>/<table>.csv`` (see the module docstring)."""
    tables = {table: read_table(Path(path) / f"{table}.csv", metadata.tables[table].columns, dataset, table)
              for table in metadata.get_tables()}
    _align_empty_foreign_keys(tables, metadata)
    return tables


def _align_empty_foreign_keys(tables: Tables, metadata: Metadata) -> None:
    """A foreign key with no value at all reads as floats whatever its parent's keys are; typed
    like the parent's key instead, so that joins on it work (a generator that links no row of a
    table, as TabularARGN did for MIMIC's transfers, is scored rather than refused)."""
    for rel in metadata.relationships:
        child, fk = tables[rel["child_table_name"]], rel["child_foreign_key"]
        parent_key = tables[rel["parent_table_name"]][rel["parent_primary_key"]]
        if fk in child and child[fk].isna().all() and not pd.api.types.is_numeric_dtype(parent_key):
            child[fk] = child[fk].astype(object)


def read_table(csv_file: Path, columns: dict, dataset: str, table: str) -> pd.DataFrame:
    kinds = {column: spec["sdtype"] for column, spec in columns.items()}
    dtypes = {c: str for c, kind in kinds.items() if kind == "id"}
    dtypes.update({c: "category" for c, kind in kinds.items() if kind == "categorical"})
    na_values = {c: ([""] if kind == "id" else NA_TOKENS) for c, kind in kinds.items()}
    try:
        frame = pd.read_csv(csv_file, low_memory=False, dtype=dtypes, keep_default_na=False, na_values=na_values)
    except (ValueError, pd.errors.ParserError) as exc:
        raise DataError(f"dataset {dataset!r}: table {table!r}: cannot read {csv_file.name}: "
                        f"{str(exc).splitlines()[0]}") from None
    for column, kind in kinds.items():
        if column not in frame:
            continue
        if kind == "id":
            frame[column] = _numeric_if_all_numbers(frame[column])
        elif kind == "boolean":
            frame[column] = _boolean(frame[column], dataset, table, column)
        elif kind == "datetime":
            frame[column] = _datetime(frame[column], columns[column], dataset, table, column)
    return frame


def _numeric_if_all_numbers(values: pd.Series) -> pd.Series:
    """A key column as pandas would have typed it, unless that loses a value (``NA`` ...)."""
    present = values.dropna()
    numbers = pd.to_numeric(present, errors="coerce")
    if numbers.notna().all():
        return pd.to_numeric(values)
    return values


_TRUE = {"true", "t", "yes", "y", "1", "1.0"}
_FALSE = {"false", "f", "no", "n", "0", "0.0"}


def _boolean(values: pd.Series, dataset: str, table: str, column: str) -> pd.Series:
    """``bool`` as upstream when nothing is missing, else the nullable ``boolean``."""
    if pd.api.types.is_bool_dtype(values.dtype):
        return values
    text = values.astype("string").str.strip().str.lower()
    unknown = text.notna() & ~text.isin(_TRUE | _FALSE)
    if unknown.any():
        row = int(unknown.to_numpy().nonzero()[0][0])
        raise DataError(f"dataset {dataset!r}: table {table!r}, boolean column {column!r}: value "
                        f"{values.iloc[row]!r} in row {row + 1} is not true or false; fix the value or give the "
                        "column another sdtype in metadata.json")
    result = pd.Series(pd.NA, index=values.index, dtype="boolean")
    result[text.isin(_TRUE).fillna(False).to_numpy()] = True
    result[text.isin(_FALSE).fillna(False).to_numpy()] = False
    return result.astype(bool) if not result.isna().any() else result


def _datetime(values: pd.Series, spec: dict, dataset: str, table: str, column: str) -> pd.Series:
    """Upstream's parsing (ISO first, then the metadata's format) for any year 1-9999 and with
    UTC offsets (:func:`.datetimes.parse_datetimes`), with a useful error."""
    datetime_format = spec.get("datetime_format")
    if not datetime_format:
        raise DataError(f"dataset {dataset!r}: table {table!r}, datetime column {column!r} has no "
                        "datetime_format in metadata.json (e.g. \"%Y-%m-%d\")")
    try:
        return parse_datetimes(values, datetime_format, f"table {table!r}, column {column!r}")
    except DatetimeParseError as bad:
        raise DataError(f"dataset {dataset!r}: table {table!r}, datetime column {column!r}: {bad} does not match "
                        f"datetime_format {datetime_format!r}; fix the value or the format in metadata.json") from None


def write_tables(tables: Tables, folder: Path, metadata: Metadata) -> None:
    """CSV per table with datetimes in the metadata's format, as SyntheRela's ``save_tables``
    writes them, but for any year 1-9999 (upstream goes through nanoseconds) and with
    four-digit years (:func:`.datetimes.format_datetimes`)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, table in tables.items():
        table = table.copy()
        for column, spec in metadata.tables[name].columns.items():
            if spec.get("sdtype") == "datetime" and spec.get("datetime_format") and column in table:
                table[column] = format_datetimes(table[column], spec["datetime_format"])
        table.to_csv(folder / f"{name}.csv", index=False)
