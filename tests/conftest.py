"""Shared fixtures for the platform tests (CLI, plugins, datasets, runner, download).

Everything is written under pytest's temporary folders: every test runs with its working
directory and ``SYNTHERELA_DATA_DIR`` pointing into its own ``tmp_path``, so nothing lands in
the repository or in the user's cache. The only network used is 127.0.0.1 (download tests).

The expensive thing, SDV fitted on the demo and scored with DDA, happens once per session
(``sdv_run``) and several tests read its output.
"""

from __future__ import annotations

import copy
import logging
import os
import shutil
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pytest
from click.testing import CliRunner

from syntherela_rgcd.cli import cli, main
from syntherela_rgcd.datasets import write_dataset
from syntherela_rgcd.demo import METADATA, build_demo_tables

# --------------------------------------------------------------------------------------
# A third-party plugin, "installed" by putting a package and its *.dist-info on sys.path.
# --------------------------------------------------------------------------------------

COPYCAT_MODULE = '''
"""A third-party SyntheRela plugin: a generator that gives back the tables it was fitted on."""

import pickle
from pathlib import Path

import pandas as pd

from syntherela_rgcd.contract import DatasetSpec, MethodSpec, hookimpl

MODEL_FILE = "copycat.pkl"


class CopyCat:
    """Fits by remembering the tables; samples them back unchanged."""

    label = None

    def __init__(self, settings=None):
        self.settings = dict(settings or {})
        self.tables = None

    def fit(self, tables, metadata, context=None):
        self.tables = {name: table.copy() for name, table in tables.items()}
        return self

    def sample(self, seed=None, scale=1.0):
        if self.tables is None:
            raise RuntimeError("copycat: sample() before fit()")
        return {name: table.copy() for name, table in self.tables.items()}

    def save(self, path):
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        with open(path / MODEL_FILE, "wb") as handle:
            pickle.dump(self.tables, handle)

    @classmethod
    def load(cls, path):
        method = cls()
        with open(Path(path) / MODEL_FILE, "rb") as handle:
            method.tables = pickle.load(handle)
        return method


def _build_tiny():
    parents = pd.DataFrame({"parent_id": [0, 1, 2], "colour": ["red", "blue", "red"]})
    children = pd.DataFrame({"child_id": list(range(6)), "parent_id": [0, 0, 1, 1, 1, 2],
                             "weight": [1.5, 2.0, 0.5, 3.25, 1.0, 2.5]})
    metadata = {
        "METADATA_SPEC_VERSION": "MULTI_TABLE_V1",
        "tables": {
            "parents": {"primary_key": "parent_id", "columns": {
                "parent_id": {"sdtype": "id"}, "colour": {"sdtype": "categorical"}}},
            "children": {"primary_key": "child_id", "columns": {
                "child_id": {"sdtype": "id"}, "parent_id": {"sdtype": "id"},
                "weight": {"sdtype": "numerical"}}},
        },
        "relationships": [{"parent_table_name": "parents", "parent_primary_key": "parent_id",
                           "child_table_name": "children", "child_foreign_key": "parent_id"}],
    }
    return {"parents": parents, "children": children}, metadata


@hookimpl
def syntherela_methods():
    return [MethodSpec(name="copycat", factory=CopyCat, summary="gives back the real tables (test plugin)",
                       structures=("linear",))]


@hookimpl
def syntherela_datasets():
    return [DatasetSpec("tiny_plugin_db", ("tinyalias",), "built by the test plugin", builder=_build_tiny)]
'''

BROKEN_MODULE = '''
raise RuntimeError("fake plugin exploded on import")
'''


def _install_fake_distribution(site: Path, module: str, dist_name: str, entry_points: str, source: str) -> None:
    package = site / module
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(textwrap.dedent(source))
    dist_info = site / f"{module}-0.1.0.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist_name}\nVersion: 0.1.0\n")
    (dist_info / "entry_points.txt").write_text(entry_points)
    (dist_info / "RECORD").write_text("")


@pytest.fixture(scope="session")
def plugin_site(tmp_path_factory) -> Path:
    """A folder that, once on sys.path / PYTHONPATH, holds two 'installed' third-party plugins:
    ``copycat`` (works) and ``broken`` (raises on import)."""
    site = tmp_path_factory.mktemp("site-packages")
    _install_fake_distribution(site, "fake_syntherela_plugin", "fake-syntherela-plugin",
                               "[syntherela]\ncopycat = fake_syntherela_plugin\n", COPYCAT_MODULE)
    _install_fake_distribution(site, "broken_syntherela_plugin", "broken-syntherela-plugin",
                               "[syntherela]\nbroken = broken_syntherela_plugin\n", BROKEN_MODULE)
    return site


def _forget_fake_modules() -> None:
    for name in list(sys.modules):
        if name.split(".")[0] in ("fake_syntherela_plugin", "broken_syntherela_plugin"):
            del sys.modules[name]


@pytest.fixture
def installed_plugins(plugin_site, monkeypatch) -> Path:
    """The fake plugins are importable and their entry points visible to importlib.metadata."""
    monkeypatch.syspath_prepend(str(plugin_site))
    yield plugin_site
    _forget_fake_modules()


# --------------------------------------------------------------------------------------
# Isolation
# --------------------------------------------------------------------------------------


class _LoggingState:
    """The CLI calls logging.basicConfig(force=True, stream=<current stderr>); put it back."""

    def __init__(self) -> None:
        root = logging.getLogger()
        self.handlers, self.level = list(root.handlers), root.level

    def restore(self) -> None:
        root = logging.getLogger()
        root.handlers[:] = self.handlers
        root.setLevel(self.level)


@pytest.fixture(autouse=True)
def _isolated(request, monkeypatch):
    """Own working dir and default data dir per test; no download source from the environment.
    (Only for the platform tests in this folder; tests/rgcd/ keeps its own conventions.)"""
    if Path(request.node.path).parent != Path(__file__).parent:
        yield
        return
    tmp_path = request.getfixturevalue("tmp_path")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SYNTHERELA_DATA_DIR", str(tmp_path / "env-data"))
    monkeypatch.delenv("SYNTHERELA_DOWNLOAD_URL", raising=False)
    monkeypatch.setenv("TQDM_DISABLE", "1")
    state = _LoggingState()
    yield
    state.restore()


# --------------------------------------------------------------------------------------
# Data helpers
# --------------------------------------------------------------------------------------


def write_demo_copy(data_dir: Path, name: str = "demo", mutate_tables: Callable | None = None,
                    mutate_metadata: Callable | None = None) -> Path:
    """Write the demo in SyntheRela's layout as ``<data_dir>/original/<name>``, optionally altered."""
    tables = build_demo_tables()
    metadata = copy.deepcopy(METADATA)
    if mutate_tables:
        mutate_tables(tables)
    if mutate_metadata:
        mutate_metadata(metadata)
    target = Path(data_dir) / "original" / name
    write_dataset(target, tables, metadata)
    return target


@pytest.fixture
def demo_copy() -> Callable[..., Path]:
    return write_demo_copy


@pytest.fixture(scope="session")
def demo_data_dir(tmp_path_factory) -> Path:
    """A data dir with the demo already written (treat as read-only)."""
    data_dir = tmp_path_factory.mktemp("demo-data")
    write_demo_copy(data_dir)
    return data_dir


# --------------------------------------------------------------------------------------
# Running the command line
# --------------------------------------------------------------------------------------


def invoke(args: list[str]):
    """``syntherela ARGS`` through click's CliRunner, in this process."""
    state = _LoggingState()
    try:
        return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=True)
    finally:
        state.restore()


@pytest.fixture
def cli_invoke() -> Callable:
    return invoke


@dataclass
class MainResult:
    code: int
    out: str
    err: str


@pytest.fixture
def run_main(monkeypatch, capsys) -> Callable[..., MainResult]:
    """``syntherela ARGS`` through ``syntherela_rgcd.cli.main`` (the console script), in this process."""

    def _run(*args) -> MainResult:
        capsys.readouterr()
        monkeypatch.setattr(sys, "argv", ["syntherela", *[str(a) for a in args]])
        state = _LoggingState()
        try:
            main()
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        finally:
            state.restore()
        captured = capsys.readouterr()
        return MainResult(code, captured.out, captured.err)

    return _run


@pytest.fixture
def run_subprocess(tmp_path) -> Callable[..., subprocess.CompletedProcess]:
    """``python -m syntherela_rgcd.cli ARGS`` in a fresh interpreter (cwd = tmp_path)."""

    def _run(*args, pythonpath: Path | None = None, env: dict | None = None, timeout: float = 180):
        # as a user's shell would have it: no download template, no TQDM_DISABLE (tests of --quiet)
        environment = {k: v for k, v in os.environ.items() if k not in ("SYNTHERELA_DOWNLOAD_URL", "TQDM_DISABLE")}
        environment["PYTHONWARNINGS"] = "ignore"
        if pythonpath is not None:
            environment["PYTHONPATH"] = os.pathsep.join(
                p for p in (str(pythonpath), environment.get("PYTHONPATH", "")) if p
            )
        environment.update(env or {})
        return subprocess.run(
            [sys.executable, "-m", "syntherela_rgcd.cli", *[str(a) for a in args]],
            cwd=tmp_path, env=environment, capture_output=True, text=True, timeout=timeout,
        )

    return _run


def assert_user_error(code: int, err: str, *culprits: str) -> str:
    """Non-zero exit, exactly one 'error:' line (the last one), naming every culprit, no traceback."""
    assert code != 0, err
    assert "Traceback" not in err, err
    error_lines = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(error_lines) == 1, err
    assert err.strip().splitlines()[-1] == error_lines[0], err
    for culprit in culprits:
        assert culprit in error_lines[0], f"{culprit!r} not in {error_lines[0]!r}"
    return error_lines[0]


@pytest.fixture
def user_error() -> Callable[..., str]:
    return assert_user_error


def assert_nothing_published(out_dir: Path) -> None:
    """No finished-looking output and no staging leftovers under ``out_dir``."""
    out_dir = Path(out_dir)
    if not out_dir.exists():
        return
    leftovers = [p.name for p in out_dir.iterdir() if p.name.startswith(".staging-")]
    assert not leftovers, leftovers
    for part in ("synthetic", "results", "models"):
        folder = out_dir / part
        runs = [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []
        assert not runs, runs


@pytest.fixture
def nothing_published() -> Callable[[Path], None]:
    return assert_nothing_published


# --------------------------------------------------------------------------------------
# The one expensive run: SDV on the demo, scored with DDA and cardinality.
# --------------------------------------------------------------------------------------


@dataclass
class SDVRun:
    data_dir: Path
    out_dir: Path
    exit_code: int
    output: str
    plugin_failures: dict
    run_id: str = "default-seed0"

    @property
    def synthetic_dir(self) -> Path:
        return self.out_dir / "synthetic" / "demo" / "sdv" / self.run_id

    @property
    def results_dir(self) -> Path:
        return self.out_dir / "results" / "demo" / "sdv" / self.run_id


@pytest.fixture(scope="session")
def sdv_run(tmp_path_factory, plugin_site) -> SDVRun:
    """``syntherela run --method sdv --dataset demo --metrics dda,cardinality``, once.

    It runs with the third-party plugins installed, the broken one included, so it also shows
    that one plugin failing to import does not stop the others.
    """
    from syntherela_rgcd.plugins import build_registry

    root = tmp_path_factory.mktemp("sdv-run")
    data_dir, out_dir = root / "data", root / "out"
    with pytest.MonkeyPatch.context() as patch:
        patch.syspath_prepend(str(plugin_site))
        patch.setenv("TQDM_DISABLE", "1")
        patch.chdir(root)
        failures = dict(build_registry().failures)
        result = invoke(["run", "--method", "sdv", "--dataset", "demo", "--data-dir", data_dir,
                         "--output-dir", out_dir, "--metrics", "dda,cardinality", "--seed", "0"])
    _forget_fake_modules()
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        import traceback

        raise AssertionError("".join(traceback.format_exception(result.exception)) + result.output)
    return SDVRun(data_dir, out_dir, result.exit_code, result.output, failures)


@pytest.fixture
def sdv_output_copy(sdv_run, tmp_path) -> Path:
    """A private copy of the SDV run's output folder, for tests that write into it."""
    target = tmp_path / "out-copy"
    shutil.copytree(sdv_run.out_dir, target)
    return target
