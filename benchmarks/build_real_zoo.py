"""Build the development zoo: four public real relational databases in SyntheRela's layout.

None of them is a benchmark dataset and nothing in the package is tuned to them: they are where
the defaults are checked on data nobody chose for the method (issue 26). Each comes from a
public copy on GitHub, read from a snapshot of that repository (``git`` directory or work
tree); the data is not in this repository. Apart from what SyntheRela's layout needs (one CSV
per table, a ``metadata.json``, ISO dates), the data is the source's: messy names, free-text
columns, missing values and odd date ranges stay.

| name | source (repository @ commit, path) | what |
|---|---|---|
| ``zoo_bank`` | ``msramalho/feup-ecac`` @ 3bcd642, ``data/original/`` | PKDD'99 Czech bank (Berka): districts, accounts, clients, dispositions, cards, loans and the transactions of the accounts whose loans were held out (a Kaggle split of the original) |
| ``zoo_f1`` | ``wobetec/f1-data-until-2022-ergast`` @ c370282, ``data/`` | Ergast Formula 1 results to 2022: circuits, races, drivers, constructors, status, results, qualifying, pit stops (composite key), constructor results and standings |
| ``zoo_clinical`` | ``GeorgeAlexsander/CardiacArrestPredictUsingNeuralNetwork`` @ 0209c39, ``mimic-iii-clinical-database-demo-1.4/`` | MIMIC-III Clinical Database Demo 1.4 (PhysioNet, open access): patients, admissions, ICU stays, transfers, services, diagnoses, procedures, prescriptions, microbiology and CPT events; dates shifted into 2100-2210 |
| ``zoo_music`` | ``lerocha/chinook-database`` @ 7f67772, ``ChinookDatabase/DataSources/Chinook_Sqlite.sqlite`` | Chinook music store: artists, albums, tracks, genres, playlists and their tracks (a composite key), employees who report to employees (a self-reference), customers, invoices and their lines (``MediaType`` left out to keep 10 tables) |

    python benchmarks/build_real_zoo.py --out ../zoo_data \\
        --source bank=/work/.mirror/msramalho+feup-ecac/repo \\
        --source f1=/work/.mirror/wobetec+f1-data-until-2022-ergast/repo \\
        --source clinical=/work/.mirror/GeorgeAlexsander+CardiacArrestPredictUsingNeuralNetwork/repo \\
        --source music=/work/.mirror/lerocha+chinook-database/repo
"""

from __future__ import annotations

import argparse
import io
import json
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Callable

import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from syntherela_rgcd.datasets import write_dataset  # noqa: E402


def read_source(source: Path, path: str) -> bytes:
    """A file of a repository snapshot: from the work tree if it is there, else ``git show``."""
    on_disk = source / path
    if on_disk.is_file():
        return on_disk.read_bytes()
    done = subprocess.run(["git", "--git-dir", str(source), "show", f"HEAD:{path}"], capture_output=True)
    if done.returncode != 0:
        raise SystemExit(f"{source}: cannot read {path}: {done.stderr.decode().strip()}")
    return done.stdout


def _meta(tables: dict[str, pd.DataFrame], keys: dict[str, str | None], ids: dict[str, list[str]],
          dates: dict[str, list[str]], relationships: list[tuple[str, str, str, str]]) -> dict:
    """metadata.json: ``keys`` the primary key per table (None: none), ``ids`` the other id
    columns, ``dates`` the datetime columns (written as ISO); every other column is numerical
    if pandas reads it as numbers, else categorical."""
    meta: dict = {"METADATA_SPEC_VERSION": "MULTI_TABLE_V1", "tables": {}, "relationships": []}
    for name, frame in tables.items():
        columns = {}
        for column in frame.columns:
            if column == keys[name] or column in ids.get(name, []):
                columns[column] = {"sdtype": "id"}
            elif column in dates.get(name, []):
                columns[column] = {"sdtype": "datetime", "datetime_format": "%Y-%m-%d %H:%M:%S"}
            elif pd.api.types.is_numeric_dtype(frame[column]):
                columns[column] = {"sdtype": "numerical"}
            else:
                columns[column] = {"sdtype": "categorical"}
        meta["tables"][name] = {"columns": columns, **({"primary_key": keys[name]} if keys[name] else {})}
    meta["relationships"] = [{"parent_table_name": p, "parent_primary_key": pk, "child_table_name": c,
                              "child_foreign_key": fk} for p, pk, c, fk in relationships]
    return meta


def drop_orphans(tables: dict[str, pd.DataFrame], meta: dict) -> int:
    """Drop rows whose foreign key names no parent row (the MIMIC demo keeps an ICU stay of an
    admission it left out), repeated until none is left; returns how many went."""
    dropped = 0
    while True:
        before = dropped
        for rel in meta["relationships"]:
            child, fk = rel["child_table_name"], rel["child_foreign_key"]
            parent_keys = tables[rel["parent_table_name"]][rel["parent_primary_key"]]
            orphan = tables[child][fk].notna() & ~tables[child][fk].isin(parent_keys)
            if orphan.any():
                tables[child] = tables[child][~orphan].reset_index(drop=True)
                dropped += int(orphan.sum())
        if dropped == before:
            return dropped


def _iso(frame: pd.DataFrame, columns: list[str], parse: Callable[[pd.Series], pd.Series] = pd.to_datetime) -> None:
    for column in columns:
        frame[column] = parse(frame[column]).dt.strftime("%Y-%m-%d %H:%M:%S")


def _yymmdd(values: pd.Series) -> pd.Series:
    """The bank's dates: 930705 is 1993-07-05."""
    return pd.to_datetime(values.astype("Int64").astype(str).radd("19"), format="%Y%m%d")


def build_bank(source: Path) -> tuple[dict, dict]:
    def csv(name: str) -> pd.DataFrame:
        return pd.read_csv(io.BytesIO(read_source(source, f"data/original/{name}.csv")), sep=";", low_memory=False)

    district = csv("district")
    district = district.rename(columns={district.columns[0]: "district_id"})
    tables = {
        "district": district,
        "account": csv("account"),
        "client": csv("client"),
        "disp": csv("disp"),
        "card": pd.concat([csv("card_train"), csv("card_test")], ignore_index=True),
        "loan": pd.concat([csv("loan_train"), csv("loan_test")], ignore_index=True),
        "trans": csv("trans_test"),
    }
    _iso(tables["account"], ["creation_date"], _yymmdd)
    _iso(tables["card"], ["issued"], _yymmdd)
    _iso(tables["loan"], ["date"], _yymmdd)
    _iso(tables["trans"], ["date"], _yymmdd)
    keys = {"district": "district_id", "account": "account_id", "client": "client_id", "disp": "disp_id",
            "card": "card_id", "loan": "loan_id", "trans": "trans_id"}
    ids = {"account": ["district_id"], "client": ["district_id"], "disp": ["client_id", "account_id"],
           "card": ["disp_id"], "loan": ["account_id"], "trans": ["account_id"]}
    dates = {"account": ["creation_date"], "card": ["issued"], "loan": ["date"], "trans": ["date"]}
    relationships = [("district", "district_id", "account", "district_id"),
                     ("district", "district_id", "client", "district_id"),
                     ("client", "client_id", "disp", "client_id"), ("account", "account_id", "disp", "account_id"),
                     ("disp", "disp_id", "card", "disp_id"), ("account", "account_id", "loan", "account_id"),
                     ("account", "account_id", "trans", "account_id")]
    return tables, _meta(tables, keys, ids, dates, relationships)


def build_f1(source: Path) -> tuple[dict, dict]:
    def csv(name: str) -> pd.DataFrame:
        frame = pd.read_csv(io.BytesIO(read_source(source, f"data/{name}.csv")), na_values=["\\N"], low_memory=False)
        return frame.drop(columns=[c for c in frame.columns if c == "url"])

    names = ["circuits", "races", "drivers", "constructors", "status", "results", "qualifying", "pit_stops",
             "constructor_results", "constructor_standings"]
    tables = {name: csv(name) for name in names}
    _iso(tables["races"], ["date"])
    _iso(tables["drivers"], ["dob"])
    keys = {"circuits": "circuitId", "races": "raceId", "drivers": "driverId", "constructors": "constructorId",
            "status": "statusId", "results": "resultId", "qualifying": "qualifyId", "pit_stops": None,
            "constructor_results": "constructorResultsId", "constructor_standings": "constructorStandingsId"}
    relationships = [("circuits", "circuitId", "races", "circuitId")]
    for child, parents in {"results": ["raceId", "driverId", "constructorId", "statusId"],
                           "qualifying": ["raceId", "driverId", "constructorId"], "pit_stops": ["raceId", "driverId"],
                           "constructor_results": ["raceId", "constructorId"],
                           "constructor_standings": ["raceId", "constructorId"]}.items():
        for fk in parents:
            parent = {"raceId": "races", "driverId": "drivers", "constructorId": "constructors", "statusId": "status"}[fk]
            relationships.append((parent, fk, child, fk))
    ids = {}
    for _, _, child, fk in relationships:
        ids.setdefault(child, []).append(fk)
    dates = {"races": ["date"], "drivers": ["dob"]}
    return tables, _meta(tables, keys, ids, dates, relationships)


def build_clinical(source: Path) -> tuple[dict, dict]:
    folder = "mimic-iii-clinical-database-demo-1.4"

    def csv(name: str) -> pd.DataFrame:
        return pd.read_csv(io.BytesIO(read_source(source, f"{folder}/{name.upper()}.csv")), low_memory=False)

    names = ["patients", "admissions", "icustays", "transfers", "services", "diagnoses_icd", "procedures_icd",
             "prescriptions", "microbiologyevents", "cptevents"]
    tables = {name: csv(name) for name in names}
    dates = {"patients": ["dob", "dod", "dod_hosp", "dod_ssn"],
             "admissions": ["admittime", "dischtime", "deathtime", "edregtime", "edouttime"],
             "icustays": ["intime", "outtime"], "transfers": ["intime", "outtime"], "services": ["transfertime"],
             "prescriptions": ["startdate", "enddate"], "microbiologyevents": ["chartdate", "charttime"],
             "cptevents": ["chartdate"]}
    for table, columns in dates.items():
        _iso(tables[table], columns)
    for table in ("diagnoses_icd", "procedures_icd", "cptevents", "prescriptions", "microbiologyevents"):
        for column in ("icd9_code", "cpt_cd", "ndc", "gsn"):  # codes, not quantities
            if column in tables[table]:
                tables[table][column] = tables[table][column].astype("string")
    keys = {"patients": "subject_id", "admissions": "hadm_id", "icustays": "icustay_id", "transfers": "row_id",
            "services": "row_id", "diagnoses_icd": "row_id", "procedures_icd": "row_id", "prescriptions": "row_id",
            "microbiologyevents": "row_id", "cptevents": "row_id"}
    relationships = [("patients", "subject_id", "admissions", "subject_id"),
                     ("admissions", "hadm_id", "icustays", "hadm_id"),
                     ("icustays", "icustay_id", "transfers", "icustay_id"),
                     ("admissions", "hadm_id", "transfers", "hadm_id"),
                     ("admissions", "hadm_id", "services", "hadm_id"),
                     ("admissions", "hadm_id", "diagnoses_icd", "hadm_id"),
                     ("admissions", "hadm_id", "procedures_icd", "hadm_id"),
                     ("admissions", "hadm_id", "prescriptions", "hadm_id"),
                     ("icustays", "icustay_id", "prescriptions", "icustay_id"),
                     ("admissions", "hadm_id", "microbiologyevents", "hadm_id"),
                     ("admissions", "hadm_id", "cptevents", "hadm_id")]
    ids = {t: ["row_id", "subject_id"] for t in names if t != "patients"}
    ids["patients"] = ["row_id"]
    for _, _, child, fk in relationships:
        ids[child].append(fk)
    return tables, _meta(tables, keys, ids, dates, relationships)


def build_music(source: Path) -> tuple[dict, dict]:
    with tempfile.NamedTemporaryFile(suffix=".sqlite") as handle:
        handle.write(read_source(source, "ChinookDatabase/DataSources/Chinook_Sqlite.sqlite"))
        handle.flush()
        with sqlite3.connect(handle.name) as connection:
            names = ["Artist", "Album", "Track", "Genre", "Playlist", "PlaylistTrack", "Employee", "Customer",
                     "Invoice", "InvoiceLine"]
            tables = {name: pd.read_sql_query(f'SELECT * FROM "{name}"', connection) for name in names}
    tables["Track"] = tables["Track"].drop(columns=["MediaTypeId"])
    dates = {"Employee": ["BirthDate", "HireDate"], "Invoice": ["InvoiceDate"]}
    for table, columns in dates.items():
        _iso(tables[table], columns)
    keys = {"Artist": "ArtistId", "Album": "AlbumId", "Track": "TrackId", "Genre": "GenreId", "Playlist": "PlaylistId",
            "PlaylistTrack": None, "Employee": "EmployeeId", "Customer": "CustomerId", "Invoice": "InvoiceId",
            "InvoiceLine": "InvoiceLineId"}
    relationships = [("Artist", "ArtistId", "Album", "ArtistId"), ("Album", "AlbumId", "Track", "AlbumId"),
                     ("Genre", "GenreId", "Track", "GenreId"), ("Playlist", "PlaylistId", "PlaylistTrack", "PlaylistId"),
                     ("Track", "TrackId", "PlaylistTrack", "TrackId"), ("Employee", "EmployeeId", "Employee", "ReportsTo"),
                     ("Employee", "EmployeeId", "Customer", "SupportRepId"),
                     ("Customer", "CustomerId", "Invoice", "CustomerId"), ("Invoice", "InvoiceId", "InvoiceLine", "InvoiceId"),
                     ("Track", "TrackId", "InvoiceLine", "TrackId")]
    ids: dict[str, list[str]] = {}
    for _, _, child, fk in relationships:
        ids.setdefault(child, []).append(fk)
    tables["Employee"]["ReportsTo"] = tables["Employee"]["ReportsTo"].astype("Int64")
    return tables, _meta(tables, keys, ids, dates, relationships)


BUILDERS = {"bank": build_bank, "f1": build_f1, "clinical": build_clinical, "music": build_music}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="data dir; datasets go to <out>/original/zoo_<name>")
    parser.add_argument("--source", action="append", required=True, metavar="NAME=DIR",
                        help=f"a repository snapshot per database ({', '.join(BUILDERS)})")
    args = parser.parse_args()
    for item in args.source:
        name, _, folder = item.partition("=")
        if name not in BUILDERS:
            raise SystemExit(f"unknown zoo database {name!r} (known: {', '.join(BUILDERS)})")
        tables, metadata = BUILDERS[name](Path(folder))
        orphans = drop_orphans(tables, metadata)
        target = args.out / "original" / f"zoo_{name}"
        write_dataset(target, tables, metadata)
        rows = sum(len(t) for t in tables.values())
        print(f"zoo_{name}: {len(tables)} tables, {rows} rows, {len(metadata['relationships'])} foreign keys "
              f"({orphans} rows with a dangling foreign key dropped) -> {target}")
        (target / "SOURCE.json").write_text(json.dumps({"source": folder, "builder": "benchmarks/build_real_zoo.py"}))


if __name__ == "__main__":
    main()
