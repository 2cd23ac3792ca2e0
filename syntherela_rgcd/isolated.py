"""Methods that run in their own environment (:mod:`.environments`), in a worker process.

A peer's code cannot be imported here (another Python, another pandas), so the method is a
proxy: :meth:`IsolatedMethod.fit` writes the tables and ``metadata.json`` in SyntheRela's
layout into a folder and runs ``<env python> <worker> fit --data DIR --model DIR --options
JSON`` (``metadata_v0.json`` too, SDV 0.x's layout); :meth:`~IsolatedMethod.sample` runs ``... sample --model DIR --out DIR --seed N
--scale S`` and reads the CSVs back with our loader, so a peer's output is checked like any
method's. The worker's stderr lines are passed on as our log (its progress), and a failure
comes back as one line: the worker's ``error.txt`` if it wrote one, else its last stderr line.
The fitted model is the worker's model folder; :meth:`~IsolatedMethod.save` copies it.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

from syntherela.metadata import convert_metadata_to_v0

from .contract import RunContext
from .environments import require
from .errors import DataError, SyntheRelaError
from .metadata import RelationalMetadata
from .table_files import read_tables, write_tables
from .threads import torch_threads

logger = logging.getLogger(__name__)
ERROR_FILE = "error.txt"
PROGRESS_BAR = re.compile(r"\d+%\|")
PROGRESS_SECONDS = 30.0
PEER_FILE = "peer.json"


@dataclass(frozen=True)
class PeerSpec:
    """A peer: its method name, the environment it runs in, its worker script and default
    options (overridden by a run's ``options``)."""

    name: str
    environment: str
    worker: str
    options: Mapping[str, Any] = field(default_factory=dict)
    #: What the peer cannot model: metadata -> a sentence naming the structure, or None. Checked
    #: here before anything is written, so a refusal needs no environment and costs no fit.
    refuses: Callable[[Any], str | None] | None = field(default=None, compare=False)
    #: A peer that is not a package: the environment variable naming the user's checkout of it
    #: and what that checkout is (``option source=PATH`` wins); the worker gets it as ``source``.
    source: tuple[str, str] | None = None
    #: The options the worker reads (None: not checked); any other is refused in one line
    #: rather than named in the run's label and silently ignored.
    allowed: tuple[str, ...] | None = None


def budget_label(options: Mapping[str, Any]) -> str:
    """Settings as a folder-safe label: ``{"epochs": 60}`` -> ``epochs60`` (a checkout's path
    and the dataset's name say where the peer lives and what it learns, not its budget)."""
    return "_".join(f"{k}{v}" for k, v in sorted(options.items()) if k not in ("source", "dataset")).replace(" ", "").replace(
        "/", "-").replace("[", "").replace("]", "").replace(",", "-")


class IsolatedMethod:
    """A :class:`~syntherela_rgcd.contract.Method` whose fit and sample run in the peer's
    environment (see the module docstring)."""

    def __init__(self, peer: PeerSpec, config: Mapping[str, Any] | None = None):
        self.peer = peer
        config = dict(config or {})
        given = config.get("options") or {}
        unknown = sorted(set(given) - set(peer.allowed) - {"source"}) if peer.allowed is not None else []
        if unknown:
            raise SyntheRelaError(f"method {peer.name!r} has no option {', '.join(map(repr, unknown))}; its options: "
                                  f"{', '.join(sorted({*peer.allowed, 'source'}))}")
        self.options = {**peer.options, **given}
        if config.get("seed") is not None:
            self.options.setdefault("seed", config["seed"])
        if peer.source and config.get("dataset"):
            # a peer run from its authors' checkout may hold their settings for this dataset
            self.options.setdefault("dataset", config["dataset"])
        self.env_dir = config.get("env_dir")
        # the run's label (and so its run id) names the budget it was given: epochs60-seed0
        self.label = budget_label(config.get("options") or {}) or None
        self.settings = {"method": peer.name, "environment": peer.environment, "options": self.options}
        self._model: Path | None = None
        self._metadata: dict | None = None
        self._scratch = tempfile.TemporaryDirectory(prefix=f"syntherela-{peer.name}-")

    def fit(self, tables: dict, metadata, context: RunContext | None = None) -> "IsolatedMethod":
        problem = self.peer.refuses(metadata) if self.peer.refuses else None
        if problem:
            raise DataError(f"method {self.peer.name!r} cannot model this database: {problem}; "
                            "choose another method (rgcd models any structure)")
        if self.peer.source:
            self.options["source"] = self._source()
        python = require(self.peer.environment, self.env_dir)
        data = Path(self._scratch.name) / "data"
        self._metadata = metadata.to_dict()
        write_tables(tables, data, metadata)
        (data / "metadata.json").write_text(json.dumps(self._metadata, indent=1))
        # SDV's v0 layout too, for peers built on SDV 0.x (RCTGAN), converted as SyntheRela does
        (data / "metadata_v0.json").write_text(json.dumps(convert_metadata_to_v0(metadata), indent=1))
        self._model = Path(self._scratch.name) / "model"
        self._model.mkdir(exist_ok=True)
        self._work(python, ["fit", "--data", str(data), "--model", str(self._model), "--options",
                            json.dumps(self.options)], self._model)
        return self

    def _source(self) -> str:
        """The user's checkout of a peer that is not a package, or a one-line error saying how to give it."""
        assert self.peer.source is not None
        variable, what = self.peer.source
        given = self.options.get("source") or os.environ.get(variable)
        if not given:
            raise SyntheRelaError(f"method {self.peer.name!r} runs from a checkout of {what}, which is not shipped "
                                  f"here: set {variable}=PATH or pass --options '{{\"source\": \"PATH\"}}'")
        if not Path(given).expanduser().is_dir():
            raise SyntheRelaError(f"method {self.peer.name!r}: the checkout {given} (from "
                                  f"{'options' if self.options.get('source') else variable}) is not a folder; "
                                  f"it should hold {what}")
        return str(Path(given).expanduser().resolve())

    def sample(self, seed: int | None = None, scale: float = 1.0) -> dict:
        if self._model is None or self._metadata is None:
            raise SyntheRelaError(f"method {self.peer.name!r}: sample() called before fit()")
        python = require(self.peer.environment, self.env_dir)
        out = Path(tempfile.mkdtemp(prefix="sample-", dir=self._scratch.name))
        self._work(python, ["sample", "--model", str(self._model), "--out", str(out), "--seed", str(seed or 0),
                            "--scale", str(scale)], out)
        metadata = RelationalMetadata.load_from_dict(self._metadata)
        missing = [t for t in metadata.get_tables() if not (out / f"{t}.csv").is_file()]
        if missing:
            raise SyntheRelaError(f"method {self.peer.name!r} wrote no CSV for table(s) {', '.join(missing)}")
        return read_tables(out, metadata, f"{self.peer.name} output")

    def save(self, path: str | Path) -> None:
        if self._model is None:
            raise SyntheRelaError(f"method {self.peer.name!r}: save() called before fit()")
        shutil.copytree(self._model, Path(path), dirs_exist_ok=True)
        (Path(path) / PEER_FILE).write_text(json.dumps({
            "name": self.peer.name, "environment": self.peer.environment, "worker": self.peer.worker,
            "options": self.options, "metadata": self._metadata}, indent=1))

    @classmethod
    def load(cls, path: str | Path) -> "IsolatedMethod":
        saved = json.loads((Path(path) / PEER_FILE).read_text())
        method = cls(PeerSpec(saved["name"], saved["environment"], saved["worker"], saved["options"]))
        method._model, method._metadata = Path(path), saved["metadata"]
        return method

    def _work(self, python: Path, arguments: list[str], error_dir: Path) -> None:
        """Run the worker, pass its stderr on as log lines, and turn a failure into one line."""
        command = [str(python), self.peer.worker, *arguments]
        logger.info("%s: %s in environment %r", self.peer.name, arguments[0], self.peer.environment)
        # in the scratch folder: peers write temporary files into their working directory (RCTGAN's
        # SDV 0.x leaves .sample.csv.temp behind)
        # the run's thread count (--threads, a profile's default) holds in the worker too, unless set outside
        threads = str(torch_threads())
        environment = {"OMP_NUM_THREADS": threads, "MKL_NUM_THREADS": threads, **os.environ}
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                                   cwd=self._scratch.name, env=environment)
        last, bar_logged = "", float("-inf")
        assert process.stderr is not None
        for line in process.stderr:
            if line.strip():
                last = line.strip()
                # a peer's tqdm bar redraws with carriage returns, each read as a line: one every
                # PROGRESS_SECONDS is progress enough, the rest would bury the log
                if PROGRESS_BAR.search(last):
                    if time.monotonic() - bar_logged < PROGRESS_SECONDS:
                        continue
                    bar_logged = time.monotonic()
                logger.info("%s: %s", self.peer.name, last)
        if process.wait() != 0:
            error_file = error_dir / ERROR_FILE
            reason = error_file.read_text().strip().splitlines()[0] if error_file.is_file() else last
            if process.returncode < 0:  # killed: its last line says nothing about why
                name = signal.Signals(-process.returncode).name
                reason = f"the worker was killed by {name}" + (
                    " (the system's out-of-memory killer is the usual sender; see dmesg)"
                    if name == "SIGKILL" else "")
            raise SyntheRelaError(f"method {self.peer.name!r} failed in environment {self.peer.environment!r} "
                                  f"({arguments[0]}): {reason or f'exit code {process.returncode}'}")
