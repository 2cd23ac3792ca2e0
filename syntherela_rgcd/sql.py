"""A SQL database in and out (SQLAlchemy), for data teams whose tables live in a database.

In: the database's own schema, read by SQLAlchemy reflection, gives the tables, primary keys
and foreign keys; each column's sdtype is inferred from its SQL type (:func:`infer_sdtype`)
and a ``metadata.json`` may override any of it. The tables are then written as a dataset in
SyntheRela's layout (``<data_dir>/original/<name>/``), so that the run, its loader checks and
every metric work on it exactly as on a benchmark dataset.

Out: the synthetic tables go into another database with the source's tables, columns, types,
primary keys and foreign-key constraints (recreated from the reflected schema), inserted
parents first; SQLite enforces the foreign keys during the insert (``PRAGMA foreign_keys``),
so a written database is one whose constraints hold.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pandas as pd

from .errors import DataError
from .metadata import RelationalMetadata, rows_parents_first
from .table_files import write_tables

logger = logging.getLogger(__name__)

DATE_FORMAT = "%Y-%m-%d"
DATETIME_FORMAT = "%Y-%m-%d %H:%M:%S"


def _engine(url: str):
    try:
        import sqlalchemy as sa
    except ImportError:
        raise DataError("--db needs SQLAlchemy: pip install 'syntherela-rgcd[sql]'") from None
    try:
        engine = sa.create_engine(url)
    except Exception as exc:  # bad URL, missing driver
        raise DataError(f"database {url!r}: {str(exc).splitlines()[0]}") from None
    if engine.dialect.name == "sqlite":
        @sa.event.listens_for(engine, "connect")
        def _enforce_foreign_keys(connection, _record):  # SQLite checks foreign keys only when asked
            connection.execute("PRAGMA foreign_keys=ON")
    return engine


def _reflect(engine, url: str):
    import sqlalchemy as sa

    schema = sa.MetaData()
    try:
        schema.reflect(engine)
    except Exception as exc:
        raise DataError(f"database {url!r}: cannot read its schema: {str(exc).splitlines()[0]}") from None
    if not schema.tables:
        raise DataError(f"database {url!r} has no tables")
    return schema


def infer_sdtype(column) -> dict:
    """SDV metadata for one non-key column from its SQL type: numbers -> numerical, booleans ->
    boolean, dates and timestamps -> datetime (formats ``%Y-%m-%d`` / ``%Y-%m-%d %H:%M:%S``),
    anything else (text, enums) -> categorical."""
    import sqlalchemy as sa

    kind = column.type
    if isinstance(kind, sa.Boolean):
        return {"sdtype": "boolean"}
    if isinstance(kind, sa.DateTime):
        return {"sdtype": "datetime", "datetime_format": DATETIME_FORMAT}
    if isinstance(kind, sa.Date):
        return {"sdtype": "datetime", "datetime_format": DATE_FORMAT}
    if isinstance(kind, (sa.Integer, sa.Numeric, sa.Float)):
        return {"sdtype": "numerical"}
    return {"sdtype": "categorical"}


def schema_metadata(schema, url: str) -> dict:
    """SDV ``MULTI_TABLE_V1`` metadata for a reflected schema (single-column keys only)."""
    tables, relationships = {}, []
    for table in schema.sorted_tables:
        pk = [c.name for c in table.primary_key.columns]
        if len(pk) > 1:
            raise DataError(f"database {url!r}: table {table.name!r} has a composite primary key "
                            f"({', '.join(pk)}); add a single-column surrogate key")
        keys = set(pk)
        for constraint in table.foreign_key_constraints:
            columns = [c.name for c in constraint.columns]
            if len(columns) > 1:
                raise DataError(f"database {url!r}: table {table.name!r} has a composite foreign key "
                                f"({', '.join(columns)}); use single-column keys")
            parent = constraint.referred_table.name
            relationships.append({"parent_table_name": parent, "child_table_name": table.name,
                                  "parent_primary_key": constraint.elements[0].column.name,
                                  "child_foreign_key": columns[0]})
            keys.add(columns[0])
        columns = {c.name: ({"sdtype": "id"} if c.name in keys else infer_sdtype(c)) for c in table.columns}
        tables[table.name] = {"columns": columns, **({"primary_key": pk[0]} if pk else {})}
    return {"METADATA_SPEC_VERSION": "MULTI_TABLE_V1", "tables": tables, "relationships": relationships}


def dataset_name(url: str) -> str:
    """A dataset name for a database URL: the SQLite file's stem or the database's name."""
    from sqlalchemy.engine import make_url

    database = make_url(url).database or "database"
    return Path(database).stem if database.endswith((".db", ".sqlite", ".sqlite3")) else Path(database).name


def import_database(url: str, folder: Path, metadata_file: str | None = None) -> dict:
    """Write the database's tables and metadata into ``folder`` (SyntheRela's layout)."""

    engine = _engine(url)
    schema = _reflect(engine, url)
    metadata = json.loads(Path(metadata_file).read_text()) if metadata_file else schema_metadata(schema, url)
    tables = {}
    with engine.connect() as connection:
        for name in metadata["tables"]:
            if name not in schema.tables:
                raise DataError(f"metadata {metadata_file}: table {name!r} is not in database {url!r}")
            tables[name] = pd.read_sql_table(name, connection)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "metadata.json").write_text(json.dumps(metadata, indent=2))
    write_tables(tables, folder, RelationalMetadata.load_from_dict(metadata))
    logger.info("database %s: %d tables, %d rows written to %s", url, len(tables),
                sum(len(t) for t in tables.values()), folder)
    engine.dispose()
    return metadata


def export_database(tables: dict[str, pd.DataFrame], source_url: str, target_url: str) -> None:
    """Create the source's tables (types, keys, constraints) in ``target_url`` and insert the
    synthetic rows parents first. The target must not hold tables of the same names."""
    source = _engine(source_url)
    schema = _reflect(source, source_url)
    source.dispose()
    target = _engine(target_url)
    import sqlalchemy as sa

    existing = set(sa.inspect(target).get_table_names()) & set(tables)
    if existing:
        raise DataError(f"database {target_url!r} already has table(s) {', '.join(sorted(existing))}; "
                        "write to an empty database")
    chosen = [t for t in schema.sorted_tables if t.name in tables]
    try:
        with target.begin() as connection:
            schema.create_all(connection, tables=chosen)
            for table in chosen:  # sorted_tables: parents before children
                frame = tables[table.name][[c.name for c in table.columns]].copy()
                for constraint in table.foreign_key_constraints:  # a row's parent row goes in first
                    if constraint.referred_table is table:
                        pk, fk = constraint.elements[0].column.name, constraint.elements[0].parent.name
                        frame = frame.iloc[rows_parents_first(frame[pk], frame[fk])]
                for column in table.columns:
                    if isinstance(column.type, sa.Date) and not isinstance(column.type, sa.DateTime):
                        frame[column.name] = frame[column.name].dt.date.astype(object)  # a date, not a timestamp
                    # fresh integer keys into a text key column: as text
                    if isinstance(column.type, sa.String) and not pd.api.types.is_object_dtype(frame[column.name]):
                        frame[column.name] = frame[column.name].map(lambda v: v if pd.isna(v) else str(v)).astype(object)
                frame.to_sql(table.name, connection, if_exists="append", index=False)
    except sa.exc.IntegrityError as exc:
        raise DataError(f"database {target_url!r}: a constraint failed while writing: "
                        f"{str(exc.orig).splitlines()[0]}") from None
    finally:
        target.dispose()
    logger.info("wrote %d tables to %s", len(chosen), target_url)
