"""``syntherela download``: fetch a dataset archive and unpack it into the data dir.

Sources, in order: ``--url`` (any URL urllib opens: https://, http://, file://), the
``SYNTHERELA_DOWNLOAD_URL`` template (``{name}`` is replaced by the dataset name), the
dataset spec's own ``url``, and for SDV's relational demo datasets SDV's public demo
bucket. The archive is a zip holding ``metadata.json`` and the CSVs, either at its top
level or in a folder (``<name>/`` or ``original/<name>/``). It is unpacked to a temporary
folder, loaded and validated like any dataset, and only then moved into place.
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import tempfile
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

from .datasets import DatasetSpec, dataset_dir, load_dataset
from .errors import DataError, NetworkError, SyntheRelaError

logger = logging.getLogger(__name__)
URL_ENV = "SYNTHERELA_DOWNLOAD_URL"


def source_url(spec: DatasetSpec, url: str | None) -> str | None:
    if url:
        return url
    if os.environ.get(URL_ENV):
        return os.environ[URL_ENV].replace("{name}", spec.name)
    return spec.url


def download(spec: DatasetSpec, data_dir: Path, url: str | None = None, timeout: float = 60.0) -> Path:
    """Fetch, unpack, validate and install ``spec`` under ``<data_dir>/original/<name>``."""
    if spec.builder is not None:
        raise SyntheRelaError(f"dataset {spec.name!r} is built by this package; nothing to download")
    target = dataset_dir(data_dir, spec.name)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{spec.name}-download-", dir=target.parent))
    try:
        address = source_url(spec, url)
        if address:
            archive = staging / "archive.zip"
            fetch(address, archive, timeout)
            folder = unpack(archive, staging / "unpacked", spec.name)
        elif spec.sdv_demo:
            folder = fetch_sdv_demo(spec.sdv_demo, staging / "unpacked")
        else:
            raise SyntheRelaError(
                f"no download source known for dataset {spec.name!r}; pass --url or set {URL_ENV}"
            )
        load_dataset(folder, spec.name)  # refuse to install something we cannot load
        if target.exists():
            shutil.rmtree(target)
        os.replace(folder, target)
        return target
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def fetch(url: str, destination: Path, timeout: float) -> None:
    logger.info("downloading %s", url)
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response, open(destination, "wb") as out:
            shutil.copyfileobj(response, out)
    except urllib.error.HTTPError as exc:
        raise NetworkError(f"download of {url} failed: HTTP {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, socket.timeout, ConnectionError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise NetworkError(f"could not download {url}: {reason} (is the network reachable?)") from None


def unpack(archive: Path, into: Path, name: str) -> Path:
    """Extract the zip and return the folder that holds ``metadata.json``."""
    try:
        with zipfile.ZipFile(archive) as zipped:
            for member in zipped.namelist():
                if member.startswith("/") or ".." in Path(member).parts:
                    raise DataError(f"archive for {name!r} has an unsafe path {member!r}")
            zipped.extractall(into)
    except zipfile.BadZipFile:
        raise DataError(f"the download for {name!r} is not a zip archive") from None
    candidates = sorted(p.parent for p in into.rglob("metadata.json"))
    preferred = [p for p in candidates if p.name == name] or candidates
    if not preferred:
        raise DataError(f"the archive for {name!r} holds no metadata.json")
    return preferred[0]


def fetch_sdv_demo(demo_name: str, into: Path) -> Path:
    """SDV's relational demo datasets (CORA, Biodegradability, IMDB) from SDV's public bucket."""
    from sdv.datasets.demo import download_demo

    try:
        download_demo("multi_table", demo_name, output_folder_name=str(into))
    except Exception as exc:
        raise NetworkError(f"could not download SDV demo {demo_name!r}: {str(exc).splitlines()[0]}") from None
    return into
