"""The datasets this package knows by name: the built-in ``demo`` and ``org_chart`` and the
SyntheRela benchmark datasets with their aliases and utility tasks.

This module is the ``core`` plugin: it registers the catalogue through the
``syntherela_datasets`` hook exactly as a third-party dataset package would.
"""

from __future__ import annotations

from .contract import DatasetSpec, Tables, hookimpl
from .demo import METADATA as DEMO_METADATA
from .demo import build_demo_tables
from .evaluation.utility_tasks import AIRBNB_TASKS, ROSSMANN_TASKS, WALMART_TASKS
from .org_chart import METADATA as ORG_CHART_METADATA
from .org_chart import build_org_chart_tables


def _build_demo() -> tuple[Tables, dict]:
    return build_demo_tables(), DEMO_METADATA


def _build_org_chart() -> tuple[Tables, dict]:
    return build_org_chart_tables(), ORG_CHART_METADATA


CATALOGUE: tuple[DatasetSpec, ...] = (
    DatasetSpec("demo", (), "built-in: 3 tables, a child with two parents, ~2k rows", builder=_build_demo),
    DatasetSpec("org_chart", ("org",), "built-in: departments and employees who report to employees "
                "(a self-referencing key), ~2k rows", builder=_build_org_chart),
    DatasetSpec("airbnb-simplified_subsampled", ("airbnb",), "AirBnB users and sessions (2 tables, 57k rows)",
                in_archive=True, utility_tasks=AIRBNB_TASKS),
    DatasetSpec("rossmann_subsampled", ("rossmann",), "Rossmann stores and sales (2 tables, 59k rows)",
                in_archive=True, utility_tasks=ROSSMANN_TASKS),
    DatasetSpec("walmart_subsampled", ("walmart",), "Walmart stores, features, depts (3 tables, 15k rows)",
                in_archive=True, utility_tasks=WALMART_TASKS),
    DatasetSpec("CORA_v1", ("cora",), "citation network (3 tables, 57k rows)", in_archive=True, sdv_demo="CORA_v1"),
    DatasetSpec(
        "Biodegradability_v1", ("biodegradability", "biodeg"), "molecules (5 tables, 22k rows)",
        in_archive=True, sdv_demo="Biodegradability_v1",
    ),
    DatasetSpec("imdb_MovieLens_v1", ("imdb",), "IMDB + MovieLens (7 tables, 1.2M rows)", in_archive=True,
                sdv_demo="imdb_MovieLens_v1"),
    DatasetSpec("imdb_MovieLens_v1_noratings", ("imdb-noratings",), "IMDB without the ratings table (6 tables)"),
)


@hookimpl
def syntherela_datasets() -> list[DatasetSpec]:
    """The core plugin's datasets."""
    return list(CATALOGUE)


