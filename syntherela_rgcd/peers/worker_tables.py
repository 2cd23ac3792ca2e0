"""Tables in and out of a peer worker, in SyntheRela's layout (``metadata.json`` beside one
CSV per table). pandas only: it runs in the peer's environment, imported by the worker scripts
beside it, like :mod:`worker_cli`.
"""

from pathlib import Path

import pandas as pd

MISSING = ["", "NA", "NaN", "nan", "null", "None"]


def read_tables(folder, metadata, categoricals_as_text=False):
    """Every table of ``metadata`` from ``folder``: ids as text where only the empty field is
    missing (a key ``NA`` is a key), datetimes parsed with the metadata's format, and with
    ``categoricals_as_text`` categorical and boolean columns as text (a peer that infers types
    would read ``1, 2, 3`` categories as numbers)."""
    tables = {}
    for name, spec in metadata["tables"].items():
        columns = spec["columns"]
        ids = [c for c, s in columns.items() if s["sdtype"] == "id"]
        text = ids + ([c for c, s in columns.items() if s["sdtype"] in ("categorical", "boolean")]
                      if categoricals_as_text else [])
        # read as text, not parsed then cast: "007" stays "007", and "1" with a missing value stays "1", not "1.0"
        frame = pd.read_csv(Path(folder, f"{name}.csv"), dtype={c: str for c in text}, keep_default_na=False,
                            na_values={c: ([""] if c in ids else MISSING) for c in columns})
        for column, s in columns.items():
            if s["sdtype"] == "datetime":
                frame[column] = pd.to_datetime(frame[column], format=s.get("datetime_format"), errors="coerce")
            elif categoricals_as_text and s["sdtype"] in ("categorical", "boolean"):
                frame[column] = frame[column].astype("object")
        tables[name] = frame
    return tables


def write_table(frame, spec, path):
    """A generated table as CSV: the metadata's columns in its order (a peer's helper columns
    are left out), datetimes in the metadata's format."""
    frame = frame.copy()
    for column, s in spec["columns"].items():
        if s["sdtype"] == "datetime":
            frame[column] = pd.to_datetime(frame[column], errors="coerce").dt.strftime(s["datetime_format"])
    frame[list(spec["columns"])].to_csv(path, index=False)
