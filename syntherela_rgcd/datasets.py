"""Dataset catalogue, data-dir resolution and validated loading in SyntheRela's layout.

The layout is SyntheRela's: ``<data_dir>/original/<dataset>/metadata.json`` plus one
``<table>.csv`` per table. Loading reads the files as ``syntherela.data.load_tables`` does,
minus its traps (string keys such as ``NA`` read as missing, booleans with missing values,
datetime errors that name no column: :mod:`.table_files`; the same frames on every benchmark
dataset), then runs ``remove_sdv_columns`` as SyntheRela's ``Benchmark`` does, so a score
computed here means the same as one computed there; before that, every file and key is
checked so that a broken dataset fails with one line naming the culprit, not a traceback.

The catalogue of named datasets is the ``core`` plugin (:mod:`.catalogue`).
"""

from __future__ import annotations

import csv
import json
import logging
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import platformdirs
from syntherela.data import remove_sdv_columns
from syntherela.metadata import Metadata

from .contract import DatasetSpec, Tables
from .errors import DataError, UnknownNameError
from .metadata import RelationalMetadata
from .plugins import Registry
from .table_files import read_tables

logger = logging.getLogger(__name__)
DATA_DIR_ENV = "SYNTHERELA_DATA_DIR"


def resolve_data_dir(data_dir: str | os.PathLike | None = None) -> Path:
    """``--data-dir``, else ``$SYNTHERELA_DATA_DIR``, else a per-user cache folder."""
    if data_dir:
        return Path(data_dir).expanduser()
    if os.environ.get(DATA_DIR_ENV):
        return Path(os.environ[DATA_DIR_ENV]).expanduser()
    return Path(platformdirs.user_cache_dir("syntherela")) / "data"


def original_dir(data_dir: Path) -> Path:
    """Where the real datasets live: ``<data_dir>/original`` (SyntheRela's layout)."""
    return data_dir / "original"


def dataset_dir(data_dir: Path, name: str) -> Path:
    return original_dir(data_dir) / name


def datasets_on_disk(data_dir: Path) -> list[str]:
    """Folders under ``<data_dir>/original`` that hold a ``metadata.json`` (hidden ones are the
    staging folders of an unfinished write or download, not datasets)."""
    root = original_dir(data_dir)
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if not p.name.startswith(".") and (p / "metadata.json").is_file())


def canonical_name(name: str, catalogue: dict[str, DatasetSpec], data_dir: Path) -> str:
    """Resolve an alias to a dataset folder name.

    A folder on disk wins over the catalogue (any dataset in SyntheRela's layout works);
    otherwise catalogue names and aliases are matched case-insensitively.
    """
    if (dataset_dir(data_dir, name) / "metadata.json").is_file() or name in catalogue:
        return name
    lowered = name.lower()
    for spec in catalogue.values():
        if lowered == spec.name.lower() or lowered in (a.lower() for a in spec.aliases):
            return spec.name
    on_disk = datasets_on_disk(data_dir)
    for folder in on_disk:
        if folder.lower() == lowered:
            return folder
    known = sorted(set(catalogue) | set(on_disk))
    raise UnknownNameError(f"unknown dataset {name!r} (known: {', '.join(known)})")


def ensure_built(spec: DatasetSpec | None, data_dir: Path) -> None:
    """Materialise a code-built dataset (the demo) into the data dir, atomically, once."""
    if spec is None or spec.builder is None:
        return
    target = dataset_dir(data_dir, spec.name)
    if (target / "metadata.json").is_file():
        return
    tables, metadata_dict = spec.builder()
    # runs side by side (bench's process pool) may build it at once: the first to finish wins and
    # the others keep its copy, so no run ever reads a folder that another is replacing
    if write_dataset(target, tables, metadata_dict, replace=False):
        logger.info("built dataset %r into %s", spec.name, target)


def write_dataset(target: Path, tables: Tables, metadata_dict: dict, replace: bool = True) -> bool:
    """Write tables + metadata to ``target`` through a temporary sibling folder, moved into
    place in one step. With ``replace=False`` an existing ``target`` is kept (and False
    returned), even one that appears while this one is written."""
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        (staging / "metadata.json").write_text(json.dumps(metadata_dict, indent=2))
        for name, table in tables.items():
            table.to_csv(staging / f"{name}.csv", index=False)
        if target.exists() and replace:
            shutil.rmtree(target)
        try:
            os.replace(staging, target)  # fails on an existing non-empty folder: nothing is replaced
        except OSError:
            if replace or not (target / "metadata.json").is_file():
                raise
            shutil.rmtree(staging, ignore_errors=True)
            return False
        return True
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def load_metadata(path: Path, dataset: str) -> Metadata:
    """Read and validate ``metadata.json``; any problem becomes a one-line DataError."""
    meta_file = path / "metadata.json"
    if not meta_file.is_file():
        raise DataError(f"dataset {dataset!r}: no metadata.json in {path}")
    try:
        json.loads(meta_file.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DataError(f"dataset {dataset!r}: metadata.json is not valid JSON ({exc})") from None
    try:
        metadata = RelationalMetadata.load_from_json(meta_file)
        metadata.validate()
    except Exception as exc:
        raise DataError(f"dataset {dataset!r}: invalid metadata.json: {_with_fix(_first_line(exc))}") from None
    if not metadata.tables:
        raise DataError(f"dataset {dataset!r}: metadata.json defines no tables")
    return metadata


def load_dataset(path: Path, dataset: str) -> tuple[Tables, Metadata]:
    """Load a dataset folder the way SyntheRela does, after checking files and keys."""
    metadata = load_metadata(path, dataset)
    check_files(path, metadata, dataset)
    tables = read_tables(path, metadata, dataset)
    problems = referential_problems(tables, metadata)
    if problems:
        raise DataError(f"dataset {dataset!r}: {problems[0]}")
    return validate_tables(tables, metadata, dataset)


def validate_tables(tables: Tables, metadata: Metadata, dataset: str) -> tuple[Tables, Metadata]:
    """SyntheRela's ``remove_sdv_columns`` with its metadata/data validation, errors made readable."""
    try:
        return remove_sdv_columns(tables, metadata)
    except Exception as exc:
        raise DataError(f"dataset {dataset!r}: data does not match metadata.json: {_with_fix(_first_line(exc))}"
                        ) from None


def check_files(path: Path, metadata: Metadata, dataset: str) -> None:
    """Every table has its CSV and every metadata column is in the CSV header."""
    for table, table_meta in metadata.tables.items():
        csv_file = path / f"{table}.csv"
        if not csv_file.is_file():
            raise DataError(f"dataset {dataset!r}: table {table!r} has no {csv_file.name} in {path}")
        with open(csv_file, newline="", encoding="utf-8-sig") as handle:  # pandas skips a BOM too
            header = next(csv.reader(handle), [])
        missing = [c for c in table_meta.columns if c not in header]
        if missing:
            raise DataError(f"dataset {dataset!r}: {csv_file.name} lacks column(s) {', '.join(missing)}")


def referential_problems(tables: Tables, metadata: Metadata) -> list[str]:
    """One message per foreign key whose non-null values point to no parent row.

    Used both on real data (a broken input) and on generated data (a generator bug).
    """
    problems = []
    for rel in metadata.relationships:
        parent, child = rel["parent_table_name"], rel["child_table_name"]
        if parent not in tables or child not in tables:
            continue
        fk, pk = rel["child_foreign_key"], rel["parent_primary_key"]
        values = tables[child][fk].dropna()
        orphans = ~values.isin(tables[parent][pk])
        if orphans.any():
            problems.append(
                f"foreign key {child}.{fk} has {int(orphans.sum())} value(s) with no row in {parent}.{pk} "
                f"(e.g. {values[orphans].iloc[0]!r})"
            )
    return problems


def dataset_stats(tables: Tables) -> tuple[int, int]:
    """(number of tables, number of rows)."""
    return len(tables), sum(len(t) for t in tables.values())


def _first_line(exc: BaseException) -> str:
    """The message on one line. SDV's messages open with short headers ("The metadata is not
    valid", "Relationships:") before the line naming the culprit: keep lines up to ~120 chars."""
    text = str(exc).strip() or type(exc).__name__
    kept: list[str] = []
    for line in (line.strip() for line in text.splitlines()):
        if line:
            kept.append(line)
            if sum(len(k) for k in kept) >= 120:
                break
    return " ".join(kept)


SDV_FIXES = (
    ("circular dependency", "remove one relationship of the cycle from metadata.json (a foreign key to the row's "
                            "own table is supported)"),
    ("contains missing values", "every primary key needs a value: fill or drop those rows"),
    ("contains repeating values", "a primary key must be unique: drop the repeated rows or name another primary_key"),
    ("Invalid values found for numerical column", "clean the values or set the column's sdtype to categorical"),
    ("Invalid values found for datetime column", "make the column's datetime_format match its values"),
    ("Invalid values found for boolean column", "use True/False (empty for missing) or set the sdtype to categorical"),
    ("Invalid sdtype", "use one of numerical, categorical, boolean, datetime, id"),
    ("Unknown primary key values", "primary_key must name a column of its table"),
)
"""SDV's validation messages name the place but not the remedy; these add it."""


def _with_fix(message: str) -> str:
    fixes = [fix for pattern, fix in SDV_FIXES if pattern in message]
    return f"{message} (fix: {fixes[0]})" if fixes else message


@dataclass
class PreparedDataset:
    name: str
    path: Path
    tables: Tables
    metadata: Metadata


def prepare_dataset(name: str, data_dir: str | os.PathLike | None, registry: Registry) -> PreparedDataset:
    """Resolve the name, build the demo if needed, and load + validate the real data."""
    root = resolve_data_dir(data_dir)
    canonical = canonical_name(name, registry.datasets, root)
    ensure_built(registry.datasets.get(canonical), root)
    path = dataset_dir(root, canonical)
    if not (path / "metadata.json").is_file():
        hint = f"run 'syntherela download --dataset {canonical}'" if canonical != "demo" else ""
        raise DataError(f"dataset {canonical!r} is not in the data dir {root} (looked for {path}); {hint}".rstrip("; "))
    tables, metadata = load_dataset(path, canonical)
    return PreparedDataset(canonical, path, tables, metadata)


def load_synthetic(folder: Path, data: PreparedDataset) -> Tables:
    """Read a synthetic sample as the real data is read (:mod:`.table_files`), checking it first."""
    missing = [t for t in data.metadata.get_tables() if not (folder / f"{t}.csv").is_file()]
    if missing:
        raise DataError(f"synthetic sample {folder} has no CSV for table(s) {', '.join(missing)}")
    metadata = RelationalMetadata.load_from_json(data.path / "metadata.json")
    tables = read_tables(folder, metadata, f"{data.name} (synthetic {folder.name})")
    problems = referential_problems(tables, data.metadata)
    if problems:
        raise DataError(f"synthetic sample {folder}: {problems[0]}")
    tables, _ = validate_tables(tables, metadata, f"{data.name} (synthetic {folder.name})")
    return {name: tables[name][list(data.tables[name].columns)] for name in data.tables}
