"""Peer environments: a virtual environment per peer generator, made once from a named
interpreter with the peer's pinned requirements.

Peers do not install beside RGCD: RCTGAN needs Python < 3.10 and pandas < 2, MOSTLY AI's SDK
numpy >= 2. SyntheRela's own experiments keep one conda environment per method by hand; here
``syntherela env create NAME`` makes ``<env dir>/NAME`` (``$SYNTHERELA_ENV_DIR``, else a
per-user data folder) with ``virtualenv`` from the spec's interpreter and ``pip install``
of its requirements; a marker file written last says it is complete and a failed install is
removed, so a broken install never looks like an environment. A method that runs in an environment
(:mod:`.isolated`) asks :func:`require` for it and gets a one-line error with the command that
creates it when it is missing.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import platformdirs

from .contract import EnvironmentSpec
from .errors import SyntheRelaError

ENV_DIR_ENV = "SYNTHERELA_ENV_DIR"
MARKER = "syntherela-env.json"


class EnvironmentError_(SyntheRelaError):
    """A peer environment that is missing or could not be made."""


def env_root(env_dir: str | os.PathLike | None = None) -> Path:
    if env_dir:
        return Path(env_dir).expanduser()
    if os.environ.get(ENV_DIR_ENV):
        return Path(os.environ[ENV_DIR_ENV]).expanduser()
    return Path(platformdirs.user_data_dir("syntherela")) / "envs"


def env_python(name: str, env_dir: str | os.PathLike | None = None) -> Path:
    return env_root(env_dir) / name / "bin" / "python"


def describe(name: str, env_dir: str | os.PathLike | None = None) -> dict | None:
    """The marker of a finished environment (interpreter version, requirements), or None."""
    marker = env_root(env_dir) / name / MARKER
    return json.loads(marker.read_text()) if marker.is_file() else None


def require(name: str, env_dir: str | os.PathLike | None = None) -> Path:
    """The environment's interpreter, or a one-line error saying how to create it."""
    if describe(name, env_dir) is None or not env_python(name, env_dir).exists():
        raise EnvironmentError_(f"environment {name!r} does not exist in {env_root(env_dir)}; create it with "
                                f"'syntherela env create {name}'")
    return env_python(name, env_dir)


def create(spec: EnvironmentSpec, python: str | None = None, env_dir: str | os.PathLike | None = None,
           quiet: bool = False) -> Path:
    """Make the environment (replacing an older one) and return its interpreter."""
    interpreter = python or spec.python
    if shutil.which(interpreter) is None and not Path(interpreter).is_file():
        raise EnvironmentError_(f"environment {spec.name!r}: interpreter {interpreter!r} not found; pass "
                                "--python with a path or a command on PATH")
    target = env_root(env_dir) / spec.name
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(target, ignore_errors=True)
    try:  # made in place (a venv's scripts name their folder); the marker, written last, makes it usable
        # virtualenv rather than the interpreter's own venv: it seeds pip from its own wheels, so an
        # interpreter without ensurepip (Debian's python3.9 has none without python3.9-venv) works too
        _call([sys.executable, "-m", "virtualenv", "--quiet", "--python", interpreter,
               *([] if spec.requirements else ["--no-seed"]), str(target)], spec, "make the virtual environment", quiet)
        python_path = target / "bin" / "python"
        _pip_without_distutils(python_path)
        if spec.requirements:
            _call([str(python_path), "-m", "pip", "install", "--disable-pip-version-check", *spec.pip_args,
                   *spec.requirements], spec, "install the requirements", quiet)
        if spec.remove:
            _call([str(python_path), "-m", "pip", "uninstall", "--yes", *spec.remove], spec,
                  "remove the packages that break it", quiet)
        version = subprocess.run([str(python_path), "-c", "import sys; print(sys.version.split()[0])"],
                                 capture_output=True, text=True, check=True).stdout.strip()
        (target / MARKER).write_text(json.dumps({"name": spec.name, "python": version, "interpreter": interpreter,
                                                 "requirements": list(spec.requirements),
                                                 "removed": list(spec.remove)}, indent=1))
    except BaseException:
        shutil.rmtree(target, ignore_errors=True)
        raise
    return target / "bin" / "python"


def _call(command: list[str], spec: EnvironmentSpec, what: str, quiet: bool) -> None:
    done = subprocess.run(command, capture_output=quiet, text=True)
    if done.returncode != 0:
        tail = (done.stderr or "").strip().splitlines()[-1:] if quiet else []
        raise EnvironmentError_(f"environment {spec.name!r}: could not {what} ({' '.join(command[:3])} ... exited "
                                f"{done.returncode}{': ' + tail[0] if tail else ''})")


def _pip_without_distutils(python: Path) -> None:
    """Let pip run on an interpreter whose distutils is a stub (Debian's python3.9 ships the
    rest in python3-distutils, which cannot be installed beside bookworm's): pip below Python
    3.10 reads install paths through distutils unless ``sysconfig._PIP_USE_SYSCONFIG`` is set,
    which a ``.pth`` line in the environment does at every start (from 3.10 on it is pip's
    default, so the line changes nothing there)."""
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    Path(site, "_pip_use_sysconfig.pth").write_text("import sysconfig; sysconfig._PIP_USE_SYSCONFIG = True\n")
