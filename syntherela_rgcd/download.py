"""``syntherela download``: fetch a dataset and unpack it into the data dir.

Sources, in order: ``--archive`` (a local copy of SyntheRela's ``original.zip``), ``--url``
(any URL urllib opens: https://, http://, file://), the ``SYNTHERELA_DOWNLOAD_URL`` template
(``{name}`` is replaced by the dataset name), the dataset spec's own ``url``, SyntheRela's
``original.zip`` on Google Drive for the datasets it holds (``DatasetSpec.in_archive``; the
data the SyntheRela paper used), and for SDV's relational demo datasets that the archive
turns out not to hold, SDV's public demo bucket.

``original.zip`` (about 100 MB, every SyntheRela dataset as ``original/<name>/``) is
downloaded once with ``gdown`` into a per-user cache (``$SYNTHERELA_ARCHIVE_CACHE``) and
reused; a cached copy that is not a sound zip, or that lacks the dataset asked for, is
downloaded again once. Only the requested dataset's members are extracted. Whatever the
source, the dataset is unpacked into a hidden staging folder, loaded and validated like
any dataset, and only then moved into place, so nothing half-written is ever installed.
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
import zlib
from pathlib import Path, PurePosixPath
from typing import Callable, Iterable

import gdown
import platformdirs
import requests
from sdv.datasets.demo import download_demo

from .contract import DatasetSpec
from .datasets import dataset_dir, load_dataset
from .errors import DataError, NetworkError, SyntheRelaError

logger = logging.getLogger(__name__)
URL_ENV = "SYNTHERELA_DOWNLOAD_URL"
ARCHIVE_CACHE_ENV = "SYNTHERELA_ARCHIVE_CACHE"
#: SyntheRela's ``original.zip`` on Google Drive (the file its own download script fetches).
DRIVE_FILE_ID = "1FIBnmdQSVUK4xi5uFpzb_vFseK_KLQUG"
ARCHIVE_NAME = "original.zip"
DRIVE_URL = f"https://drive.google.com/uc?id={DRIVE_FILE_ID}"


def source_url(spec: DatasetSpec, url: str | None) -> str | None:
    if url:
        return url
    if os.environ.get(URL_ENV):
        return os.environ[URL_ENV].replace("{name}", spec.name)
    return spec.url


def download(spec: DatasetSpec, data_dir: Path, url: str | None = None, timeout: float = 60.0,
             archive: str | os.PathLike | None = None, quiet: bool = False) -> Path:
    """Fetch, unpack, validate and install ``spec`` under ``<data_dir>/original/<name>``.

    ``archive`` is a local ``original.zip`` to use instead of Google Drive (offline use);
    ``quiet`` silences gdown's progress bar.
    """
    if spec.builder is not None:
        raise SyntheRelaError(f"dataset {spec.name!r} is built by this package; nothing to download")
    if url and archive is not None:
        raise SyntheRelaError("--url and --archive are two sources for the same dataset; pass one of them")
    if archive is not None:
        return install_from_archive(local_archive(archive), spec.name, data_dir, f"the archive {archive}")
    address = source_url(spec, url)
    if address:
        return install(spec.name, data_dir, lambda staging: fetch_and_unpack(address, staging, spec.name, timeout))
    if spec.in_archive:
        zipped = cached_archive(f"dataset {spec.name!r}", quiet, wanted=spec.name)  # checked sound
        if spec.name in archive_datasets(zipped) or not spec.sdv_demo:
            return install_from_archive(zipped, spec.name, data_dir, _DRIVE_ARCHIVE)
        logger.warning("%s does not hold %r; falling back to SDV's demo bucket", _DRIVE_ARCHIVE, spec.name)
    if spec.sdv_demo:
        return install(spec.name, data_dir, lambda staging: fetch_sdv_demo(spec.sdv_demo, staging / "unpacked"))
    raise SyntheRelaError(
        f"no download source known for dataset {spec.name!r}; pass --url or --archive, or set {URL_ENV}"
    )


def download_all(specs: Iterable[DatasetSpec], data_dir: Path, archive: str | os.PathLike | None = None,
                 quiet: bool = False) -> list[tuple[str, Path]]:
    """Install every dataset of ``specs`` that ``original.zip`` holds (``archive``, else the
    cached or freshly downloaded Drive copy): one download serves them all.

    Each dataset is installed atomically; the first one that fails validation stops the
    run with its error, and those installed before it stay (they are complete).
    """
    wanted = sorted((s for s in specs if s.builder is None), key=lambda s: s.name.lower())
    if archive is not None:
        zipped, where = local_archive(archive), f"the archive {archive}"
    else:
        zipped, where = cached_archive("the catalogue's datasets (--all)", quiet), _DRIVE_ARCHIVE
    held = archive_datasets(zipped)
    chosen = [s for s in wanted if s.name in held]
    if not chosen:
        raise DataError(
            f"{where} holds none of the catalogue's datasets ({', '.join(s.name for s in wanted)}); "
            f"it holds: {', '.join(sorted(held)) or 'nothing in SyntheRela layout'}"
        )
    return [(spec.name, install_from_archive(zipped, spec.name, data_dir, where)) for spec in chosen]


def install(name: str, data_dir: Path, produce: Callable[[Path], Path]) -> Path:
    """Let ``produce`` fill a hidden staging folder next to the target and return the dataset
    folder in it; load it like any dataset, and only then move it into place."""
    target = dataset_dir(data_dir, name)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{name}-download-", dir=target.parent))
    try:
        folder = produce(staging)
        load_dataset(folder, name)  # refuse to install something we cannot load
        if target.exists():
            shutil.rmtree(target)
        os.replace(folder, target)
        logger.info("installed %r in %s", name, target)
        return target
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def fetch_and_unpack(url: str, staging: Path, name: str, timeout: float) -> Path:
    archive = staging / "archive.zip"
    fetch(url, archive, timeout)
    return unpack(archive, staging / "unpacked", name)


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
            _check_safe(zipped.namelist(), name)
            zipped.extractall(into)
    except zipfile.BadZipFile:
        raise DataError(f"the download for {name!r} is not a zip archive") from None
    candidates = sorted(p.parent for p in into.rglob("metadata.json"))
    preferred = [p for p in candidates if p.name == name] or candidates
    if not preferred:
        raise DataError(f"the archive for {name!r} holds no metadata.json")
    return preferred[0]


def _check_safe(members: Iterable[str], name: str) -> None:
    """Refuse members that would land outside the extraction folder."""
    for member in members:
        if member.startswith("/") or ".." in Path(member).parts:
            raise DataError(f"archive for {name!r} has an unsafe path {member!r}")


# --- SyntheRela's original.zip ----------------------------------------------------------

_DRIVE_ARCHIVE = f"SyntheRela's {ARCHIVE_NAME} (Google Drive file id {DRIVE_FILE_ID})"


def archive_cache_path() -> Path:
    """``$SYNTHERELA_ARCHIVE_CACHE/original.zip``, else ``<user cache>/syntherela/archives/original.zip``."""
    folder = os.environ.get(ARCHIVE_CACHE_ENV)
    root = Path(folder).expanduser() if folder else Path(platformdirs.user_cache_dir("syntherela")) / "archives"
    return root / ARCHIVE_NAME


def cached_archive(purpose: str, quiet: bool, wanted: str | None = None) -> Path:
    """The cached ``original.zip``, downloaded from Google Drive when missing.

    A cached copy that is not a sound zip (an interrupted copy, a damaged disk) or that lacks
    ``wanted`` (an older archive) is downloaded again, once: a fresh download that still
    fails its checks is an error, not a loop.
    """
    path = archive_cache_path()
    if path.is_file():
        problem = archive_problem(path)
        if problem is None and (wanted is None or wanted in archive_datasets(path)):
            logger.info("using the cached %s", path)
            return path
        logger.warning("the cached %s is unusable (%s); downloading it again",
                       path, problem or f"it does not hold {wanted!r}")
        path.unlink(missing_ok=True)  # another process may have replaced it already
    fetch_drive_archive(path, purpose, quiet)
    return path


def fetch_drive_archive(destination: Path, purpose: str, quiet: bool) -> None:
    """Download ``original.zip`` with gdown into a temporary folder beside ``destination``
    and move it there only once it is complete and sound (a concurrent or interrupted
    download never leaves a partial file where the cache is read)."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".original-download-", dir=destination.parent))
    try:
        part = staging / ARCHIVE_NAME
        logger.info("downloading %s from Google Drive into %s", ARCHIVE_NAME, destination)
        try:
            result = gdown.download(id=DRIVE_FILE_ID, output=str(part), quiet=quiet)
        except Exception as exc:  # gdown raises its own, requests' and OSError's kinds
            raise NetworkError(_drive_failure(purpose, _drive_reason(exc))) from None
        if result is None or not part.is_file():
            raise NetworkError(_drive_failure(purpose, "Google Drive sent no file"))
        problem = archive_problem(part)
        if problem is not None:
            raise NetworkError(_drive_failure(purpose, f"the downloaded file is unusable: {problem}"))
        os.replace(part, destination)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _drive_failure(purpose: str, reason: str) -> str:
    return (f"could not download {ARCHIVE_NAME} for {purpose} from Google Drive (file id {DRIVE_FILE_ID}): "
            f"{reason}; download {DRIVE_URL} by hand and pass --archive PATH/{ARCHIVE_NAME}")


def _drive_reason(exc: Exception) -> str:
    """Say "unreachable" for what is a network failure (requests' own messages are a screenful)."""
    if isinstance(exc, (requests.ConnectionError, requests.Timeout)):
        return f"Google Drive is unreachable ({type(exc).__name__}; is the network up?)"
    return _one_line(exc)


def _one_line(exc: BaseException) -> str:
    """An exception's message on one line: its first two non-empty lines (gdown's messages
    open with a header such as "Failed to retrieve file url:" before the reason), capped."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    text = " ".join(lines[:2]) if lines else type(exc).__name__
    return text if len(text) <= 200 else text[:197] + "..."


def archive_problem(path: Path) -> str | None:
    """Why ``path`` is not a sound zip (None when it is): unreadable, or a member whose CRC
    does not match, which is what a truncated or damaged download looks like."""
    try:
        with zipfile.ZipFile(path) as zipped:
            bad = zipped.testzip()
    except (zipfile.BadZipFile, OSError, EOFError, zlib.error, ValueError, NotImplementedError) as exc:
        return f"not a readable zip: {_one_line(exc)}"
    return None if bad is None else f"member {bad!r} fails its CRC check"


def local_archive(archive: str | os.PathLike) -> Path:
    """A user's own copy of ``original.zip`` (``--archive``): used as is, so it must be sound."""
    path = Path(archive)
    problem = archive_problem(path)
    if problem is not None:
        raise DataError(f"the archive {archive} is unusable: {problem}; download {DRIVE_URL} again")
    return path


def archive_datasets(path: Path) -> dict[str, str]:
    """Dataset name -> its folder in the archive (``original/<name>/``, or ``<name>/`` at the
    top level), for every folder holding a ``metadata.json``."""
    with zipfile.ZipFile(path) as zipped:
        names = zipped.namelist()
    found: dict[str, str] = {}
    for member in names:
        parts = PurePosixPath(member).parts
        if parts[-1:] != ("metadata.json",):
            continue
        if len(parts) == 3 and parts[0] == "original":
            found[parts[1]] = f"original/{parts[1]}/"  # SyntheRela's layout wins over a top-level copy
        elif len(parts) == 2:
            found.setdefault(parts[0], f"{parts[0]}/")
    return found


def require_dataset(path: Path, name: str, where: str) -> None:
    """One line naming the dataset and what the archive holds, unless the archive holds ``name``."""
    held = archive_datasets(path)
    if name not in held:
        raise DataError(
            f"dataset {name!r} is not in {where} (it holds: {', '.join(sorted(held)) or 'no dataset'}); "
            f"pass --url or set {URL_ENV} to fetch it elsewhere"
        )


def install_from_archive(archive: Path, name: str, data_dir: Path, where: str) -> Path:
    """Install ``name`` from a sound ``original.zip``; ``where`` names the archive in errors."""
    require_dataset(archive, name, where)
    return install(name, data_dir, lambda staging: unpack_dataset(archive, name, staging))


def unpack_dataset(archive: Path, name: str, staging: Path) -> Path:
    """Extract only ``name``'s members of ``archive`` under ``staging``; return its folder."""
    prefix = archive_datasets(archive)[name]
    with zipfile.ZipFile(archive) as zipped:
        members = [m for m in zipped.namelist() if m.startswith(prefix)]
        _check_safe(members, name)
        zipped.extractall(staging / "unpacked", members)
    return staging / "unpacked" / prefix


def fetch_sdv_demo(demo_name: str, into: Path) -> Path:
    """SDV's relational demo datasets (CORA, Biodegradability, IMDB) from SDV's public bucket."""
    try:
        download_demo("multi_table", demo_name, output_folder_name=str(into))
    except Exception as exc:
        raise NetworkError(f"could not download SDV demo {demo_name!r}: {str(exc).splitlines()[0]}") from None
    return into
