"""``syntherela download``: local zip archives over file:// and a local HTTP server (127.0.0.1
only), SyntheRela's original.zip from --archive or from a stand-in for Google Drive (gdown.download
replaced by a copy of a small local original.zip), the archive cache, validation before
installing, and one-line errors. No other network is used."""

from __future__ import annotations

import functools
import http.server
import shutil
import socket
import threading
import zipfile
from pathlib import Path

import gdown
import pytest
import requests
from gdown.exceptions import FileURLRetrievalError

from syntherela_rgcd import download as download_module
from syntherela_rgcd.datasets import datasets_on_disk, load_dataset
from syntherela_rgcd.download import DRIVE_FILE_ID


def _zip_folder(folder: Path, archive: Path, prefix: str = "", skip: tuple[str, ...] = ()) -> Path:
    with zipfile.ZipFile(archive, "w") as zipped:
        for file in sorted(folder.iterdir()):
            if file.name not in skip:
                zipped.write(file, f"{prefix}{file.name}")
    return archive


@pytest.fixture
def walmart_zip(tmp_path, demo_copy) -> Path:
    """A SyntheRela-layout dataset (the demo's tables) zipped as ``walmart_subsampled/...``."""
    source = demo_copy(tmp_path / "source", "walmart_subsampled")
    return _zip_folder(source, tmp_path / "walmart_subsampled.zip", prefix="walmart_subsampled/")


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - signature from the base class
        pass


@pytest.fixture
def http_server(tmp_path):
    """Serves ``tmp_path/www`` on 127.0.0.1 (random port) from a thread; shut down afterwards."""
    root = tmp_path / "www"
    root.mkdir()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield root, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def _closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _nothing_installed(data_dir: Path) -> None:
    original = data_dir / "original"
    assert not (original / "walmart_subsampled").exists()
    if original.exists():
        assert not [p.name for p in original.iterdir()], "staging or partial install left behind"


def _installed_ok(data_dir: Path) -> None:
    target = data_dir / "original" / "walmart_subsampled"
    tables, metadata = load_dataset(target, "walmart_subsampled")
    assert set(tables) == {"stores", "customers", "purchases"}
    assert datasets_on_disk(data_dir) == ["walmart_subsampled"]
    assert [p.name for p in (data_dir / "original").iterdir()] == ["walmart_subsampled"]  # no staging left


def test_download_from_file_url(walmart_zip, cli_invoke, tmp_path):
    data_dir = tmp_path / "data"
    result = cli_invoke(["download", "--dataset", "walmart", "--url", walmart_zip.as_uri(), "--data-dir", data_dir])
    assert result.exit_code == 0, result.output
    assert f"walmart_subsampled: installed in {data_dir / 'original' / 'walmart_subsampled'}" in result.output
    _installed_ok(data_dir)
    listing = cli_invoke(["list", "datasets", "--data-dir", data_dir])
    assert "walmart_subsampled (walmart): on disk: 3 tables" in listing.output


def test_download_archive_without_folder_and_into_env_data_dir(tmp_path, demo_copy, cli_invoke, monkeypatch):
    source = demo_copy(tmp_path / "source", "whatever")
    archive = _zip_folder(source, tmp_path / "flat.zip")
    monkeypatch.setenv("SYNTHERELA_DATA_DIR", str(tmp_path / "env-data"))
    result = cli_invoke(["download", "--dataset", "walmart_subsampled", "--url", archive.as_uri()])
    assert result.exit_code == 0, result.output
    _installed_ok(tmp_path / "env-data")


def test_download_replaces_an_older_copy(walmart_zip, cli_invoke, tmp_path):
    data_dir = tmp_path / "data"
    stale = data_dir / "original" / "walmart_subsampled"
    stale.mkdir(parents=True)
    (stale / "stale.csv").write_text("x\n1\n")
    result = cli_invoke(["download", "--dataset", "walmart", "--url", walmart_zip.as_uri(), "--data-dir", data_dir])
    assert result.exit_code == 0, result.output
    assert not (stale / "stale.csv").exists()
    _installed_ok(data_dir)


def test_download_url_template_from_environment(walmart_zip, cli_invoke, tmp_path, monkeypatch):
    monkeypatch.setenv("SYNTHERELA_DOWNLOAD_URL", f"file://{walmart_zip.parent}/{{name}}.zip")
    result = cli_invoke(["download", "--dataset", "walmart", "--data-dir", tmp_path / "data"])
    assert result.exit_code == 0, result.output
    _installed_ok(tmp_path / "data")


def test_download_over_http(walmart_zip, http_server, cli_invoke, tmp_path):
    root, base = http_server
    (root / "walmart.zip").write_bytes(walmart_zip.read_bytes())
    data_dir = tmp_path / "data"
    result = cli_invoke(["download", "--dataset", "walmart", "--url", f"{base}/walmart.zip", "--data-dir", data_dir])
    assert result.exit_code == 0, result.output
    _installed_ok(data_dir)


def test_download_http_not_found(http_server, run_main, user_error, tmp_path):
    _, base = http_server
    data_dir = tmp_path / "data"
    result = run_main("download", "--dataset", "walmart", "--url", f"{base}/missing.zip", "--data-dir", data_dir)
    user_error(result.code, result.err, f"{base}/missing.zip", "HTTP 404")
    _nothing_installed(data_dir)


def test_zip_without_metadata(tmp_path, demo_copy, run_main, user_error):
    source = demo_copy(tmp_path / "source", "walmart_subsampled")
    archive = _zip_folder(source, tmp_path / "nometa.zip", prefix="walmart_subsampled/", skip=("metadata.json",))
    data_dir = tmp_path / "data"
    result = run_main("download", "--dataset", "walmart", "--url", archive.as_uri(), "--data-dir", data_dir)
    user_error(result.code, result.err, "'walmart_subsampled'", "no metadata.json")
    _nothing_installed(data_dir)


def test_not_a_zip(tmp_path, run_main, user_error):
    archive = tmp_path / "page.zip"
    archive.write_text("<html>not found</html>")
    data_dir = tmp_path / "data"
    result = run_main("download", "--dataset", "walmart", "--url", archive.as_uri(), "--data-dir", data_dir)
    user_error(result.code, result.err, "'walmart_subsampled'", "not a zip")
    _nothing_installed(data_dir)


def test_archive_with_broken_data_is_not_installed(tmp_path, demo_copy, run_main, user_error):
    def orphan(tables):
        tables["purchases"].loc[0, "store_id"] = 4242

    source = demo_copy(tmp_path / "source", "walmart_subsampled", orphan)
    archive = _zip_folder(source, tmp_path / "broken.zip", prefix="walmart_subsampled/")
    data_dir = tmp_path / "data"
    result = run_main("download", "--dataset", "walmart", "--url", archive.as_uri(), "--data-dir", data_dir)
    user_error(result.code, result.err, "purchases.store_id", "4242")
    _nothing_installed(data_dir)


def test_archive_with_unsafe_path(tmp_path, run_main, user_error):
    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("../evil/metadata.json", "{}")
    data_dir = tmp_path / "data"
    result = run_main("download", "--dataset", "walmart", "--url", archive.as_uri(), "--data-dir", data_dir)
    user_error(result.code, result.err, "unsafe path")
    _nothing_installed(data_dir)
    assert not (tmp_path / "evil").exists()


def test_unreachable_url(run_subprocess, user_error, tmp_path):
    url = f"http://127.0.0.1:{_closed_port()}/x.zip"
    data_dir = tmp_path / "data"
    process = run_subprocess("download", "--dataset", "walmart", "--url", url, "--data-dir", data_dir)
    line = user_error(process.returncode, process.stderr, url)
    assert "network" in line
    _nothing_installed(data_dir)


@pytest.mark.parametrize(
    "dataset, culprits",
    [
        ("demo", ["'demo'", "built by this package"]),
        ("imdb-noratings", ["'imdb_MovieLens_v1_noratings'", "no download source", "--url", "--archive"]),
        ("nosuchdb", ["unknown dataset 'nosuchdb'", "walmart_subsampled"]),
    ],
)
def test_download_without_a_source(dataset, culprits, run_main, user_error, tmp_path):
    data_dir = tmp_path / "data"
    result = run_main("download", "--dataset", dataset, "--data-dir", data_dir)
    user_error(result.code, result.err, *culprits)
    assert not (data_dir / "original" / "rossmann_subsampled").exists()
    assert not (data_dir / "original" / "demo").exists()


# --- SyntheRela's original.zip: --archive, --all, the Google Drive download and its cache ---------


@pytest.fixture(autouse=True)
def _no_google_drive(tmp_path, monkeypatch):
    """No test reaches Google Drive or the user's archive cache: the cache is per test, and
    gdown.download fails unless a test puts the ``drive`` stand-in in its place."""

    def refuse(*args, **kwargs):
        raise AssertionError("a test tried to reach Google Drive")

    monkeypatch.setenv("SYNTHERELA_ARCHIVE_CACHE", str(tmp_path / "archive-cache"))
    monkeypatch.setattr(gdown, "download", refuse)


def _original_zip(folder: Path, demo_copy, names: tuple[str, ...]) -> Path:
    """``folder/original.zip`` in SyntheRela's layout (``original/<name>/...``), the demo's tables per dataset."""
    source = folder / "archive-source"
    archive = folder / "original.zip"
    folder.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(archive, "w") as zipped:
        for name in names:
            folder = demo_copy(source, name)
            for file in sorted(folder.iterdir()):
                zipped.write(file, f"original/{name}/{file.name}")
    return archive


@pytest.fixture
def original_zip(tmp_path, demo_copy) -> Path:
    return _original_zip(tmp_path, demo_copy, ("walmart_subsampled", "rossmann_subsampled"))


class FakeDrive:
    """Stands in for ``gdown.download``: copies ``serve`` to ``output`` (or raises ``error``, or
    answers None like older gdown releases did) and records the file ids asked for."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.serve: Path | None = None
        self.error: Exception | None = None
        self.answer_none = False

    def download(self, url=None, output=None, quiet=False, id=None, **kwargs):  # noqa: A002 - gdown's names
        self.calls.append(id)
        if self.error is not None:
            raise self.error
        if self.answer_none:
            return None
        shutil.copyfile(self.serve, output)
        return output


@pytest.fixture
def drive(monkeypatch, original_zip) -> FakeDrive:
    fake = FakeDrive()
    fake.serve = original_zip
    monkeypatch.setattr(gdown, "download", fake.download)
    return fake


def _cache(tmp_path: Path) -> Path:
    return tmp_path / "archive-cache" / "original.zip"


def _installed(data_dir: Path, *names: str) -> None:
    """Exactly ``names`` are installed, each loadable, with no staging folder left behind."""
    for name in names:
        tables, _ = load_dataset(data_dir / "original" / name, name)
        assert set(tables) == {"stores", "customers", "purchases"}
    assert sorted(p.name for p in (data_dir / "original").iterdir()) == sorted(names)


def _no_cache_leftovers(tmp_path: Path, expect_archive: bool) -> None:
    folder = _cache(tmp_path).parent
    found = sorted(p.name for p in folder.iterdir()) if folder.exists() else []
    assert found == (["original.zip"] if expect_archive else []), found


def test_archive_installs_only_the_requested_dataset(original_zip, cli_invoke, tmp_path, monkeypatch):
    extracted: list[str] = []
    real_extractall = zipfile.ZipFile.extractall

    def spy(self, path=None, members=None, pwd=None):
        extracted.extend(members if members is not None else self.namelist())
        return real_extractall(self, path, members, pwd)

    monkeypatch.setattr(zipfile.ZipFile, "extractall", spy)
    data_dir = tmp_path / "data"
    result = cli_invoke(["download", "--dataset", "walmart", "--archive", original_zip, "--data-dir", data_dir])
    assert result.exit_code == 0, result.output
    assert f"walmart_subsampled: installed in {data_dir / 'original' / 'walmart_subsampled'}" in result.output
    _installed(data_dir, "walmart_subsampled")
    with zipfile.ZipFile(original_zip) as zipped:
        members = [m for m in zipped.namelist() if m.startswith("original/walmart_subsampled/")]
    assert sorted(extracted) == sorted(members)  # rossmann's members were never extracted
    assert sorted(p.name for p in (data_dir / "original" / "walmart_subsampled").iterdir()) == sorted(
        m.rsplit("/", 1)[1] for m in members
    )
    assert not _cache(tmp_path).exists()  # a local archive is used in place, not copied into the cache


def test_all_installs_every_catalogue_dataset_in_the_archive(tmp_path, demo_copy, cli_invoke):
    archive = _original_zip(tmp_path, demo_copy, ("walmart_subsampled", "rossmann_subsampled", "Berka_subsampled"))
    data_dir = tmp_path / "data"
    result = cli_invoke(["download", "--all", "--archive", archive, "--data-dir", data_dir])
    assert result.exit_code == 0, result.output
    assert "rossmann_subsampled: installed in" in result.output
    assert "walmart_subsampled: installed in" in result.output
    # Berka is in the archive but not in the catalogue; the demo is built, never downloaded
    _installed(data_dir, "rossmann_subsampled", "walmart_subsampled")


def test_drive_archive_is_downloaded_once_and_cached(drive, original_zip, cli_invoke, tmp_path):
    data_dir = tmp_path / "data"
    first = cli_invoke(["download", "--dataset", "walmart", "--data-dir", data_dir])
    assert first.exit_code == 0, first.output
    assert drive.calls == [DRIVE_FILE_ID]
    assert _cache(tmp_path).read_bytes() == original_zip.read_bytes()
    second = cli_invoke(["download", "--dataset", "rossmann", "--data-dir", data_dir])
    assert second.exit_code == 0, second.output
    every = cli_invoke(["download", "--all", "--data-dir", tmp_path / "data-all"])
    assert every.exit_code == 0, every.output
    assert drive.calls == [DRIVE_FILE_ID]  # the cached copy served both
    _installed(data_dir, "rossmann_subsampled", "walmart_subsampled")
    _installed(tmp_path / "data-all", "rossmann_subsampled", "walmart_subsampled")
    _no_cache_leftovers(tmp_path, expect_archive=True)


def _truncated(data: bytes) -> bytes:
    return data[: len(data) // 2]


def _crc_mismatch(data: bytes) -> bytes:
    at = data.index(b"store_id")  # inside a stored (uncompressed) member, not a file name
    return data[:at] + b"X" + data[at + 1:]


@pytest.mark.parametrize("damage", [_truncated, _crc_mismatch, lambda data: b"<html>quota exceeded</html>"],
                         ids=["partial", "crc-mismatch", "not-a-zip"])
def test_broken_cached_archive_is_downloaded_again(damage, drive, original_zip, cli_invoke, tmp_path):
    _cache(tmp_path).parent.mkdir(parents=True)
    _cache(tmp_path).write_bytes(damage(original_zip.read_bytes()))
    data_dir = tmp_path / "data"
    result = cli_invoke(["download", "--dataset", "walmart", "--data-dir", data_dir])
    assert result.exit_code == 0, result.output
    assert drive.calls == [DRIVE_FILE_ID]
    assert _cache(tmp_path).read_bytes() == original_zip.read_bytes()
    _installed(data_dir, "walmart_subsampled")


def test_cached_archive_without_the_dataset_is_downloaded_again(drive, original_zip, demo_copy, cli_invoke,
                                                                  tmp_path):
    older = _original_zip(tmp_path / "older", demo_copy, ("rossmann_subsampled",))
    _cache(tmp_path).parent.mkdir(parents=True)
    shutil.copyfile(older, _cache(tmp_path))
    result = cli_invoke(["download", "--dataset", "walmart", "--data-dir", tmp_path / "data"])
    assert result.exit_code == 0, result.output
    assert drive.calls == [DRIVE_FILE_ID]
    assert _cache(tmp_path).read_bytes() == original_zip.read_bytes()
    _installed(tmp_path / "data", "walmart_subsampled")


@pytest.mark.parametrize("args, culprit", [(["--dataset", "walmart"], "'walmart_subsampled'"), (["--all"], "--all")],
                         ids=["dataset", "all"])
@pytest.mark.parametrize(
    "failure",
    ["offline", "os-error", "drive-refuses", "no-file", "html-page"],
)
def test_unreachable_drive_is_one_line(failure, args, culprit, drive, run_main, user_error, tmp_path):
    if failure == "offline":
        drive.error = requests.ConnectionError("HTTPSConnectionPool(host='drive.google.com', port=443): Max "
                                               "retries exceeded (Caused by NameResolutionError(...))")
    elif failure == "os-error":
        drive.error = OSError("[Errno -3] Temporary failure in name resolution")
    elif failure == "drive-refuses":
        drive.error = FileURLRetrievalError("Failed to retrieve file url:\n\n\tToo many users have viewed or "
                                            "downloaded this file recently.\n\nYou may still be able to ...")
    elif failure == "no-file":
        drive.answer_none = True
    else:
        drive.serve = tmp_path / "page.html"
        drive.serve.write_text("<html>Google Drive - Virus scan warning</html>")
    data_dir = tmp_path / "data"
    result = run_main("download", *args, "--data-dir", data_dir)
    line = user_error(result.code, result.err, culprit, DRIVE_FILE_ID, "Google Drive", "--archive")
    assert {"offline": "Google Drive is unreachable", "os-error": "name resolution", "drive-refuses": "Too many users",
            "no-file": "no file", "html-page": "not a readable zip"}[failure] in line
    assert not (data_dir / "original").exists() or not list((data_dir / "original").iterdir())
    _no_cache_leftovers(tmp_path, expect_archive=False)  # nothing partial is left where the cache is read


def test_dataset_missing_from_a_local_archive(original_zip, run_main, user_error, tmp_path):
    data_dir = tmp_path / "data"
    result = run_main("download", "--dataset", "airbnb", "--archive", original_zip, "--data-dir", data_dir)
    user_error(result.code, result.err, "'airbnb-simplified_subsampled'", str(original_zip), "walmart_subsampled")
    assert not (data_dir / "original" / "airbnb-simplified_subsampled").exists()


def test_dataset_missing_from_the_drive_archive(drive, run_main, user_error, tmp_path):
    data_dir = tmp_path / "data"
    result = run_main("download", "--dataset", "airbnb", "--data-dir", data_dir)
    user_error(result.code, result.err, "'airbnb-simplified_subsampled'", DRIVE_FILE_ID, "rossmann_subsampled")
    assert drive.calls == [DRIVE_FILE_ID]
    assert not (data_dir / "original" / "airbnb-simplified_subsampled").exists()


def test_sdv_bucket_only_for_what_the_archive_lacks(drive, demo_copy, cli_invoke, tmp_path, monkeypatch):
    asked = []

    def fake_sdv(demo_name, into):
        asked.append(demo_name)
        return demo_copy(into, demo_name)

    monkeypatch.setattr(download_module, "fetch_sdv_demo", fake_sdv)
    data_dir = tmp_path / "data"
    result = cli_invoke(["download", "--dataset", "cora", "--data-dir", data_dir])
    assert result.exit_code == 0, result.output
    assert drive.calls == [DRIVE_FILE_ID] and asked == ["CORA_v1"]
    walmart = cli_invoke(["download", "--dataset", "walmart", "--data-dir", data_dir])
    assert walmart.exit_code == 0, walmart.output
    assert asked == ["CORA_v1"]  # the archive holds walmart: no SDV
    _installed(data_dir, "CORA_v1", "walmart_subsampled")


def test_broken_local_archive(tmp_path, run_main, user_error):
    archive = tmp_path / "original.zip"
    archive.write_bytes(b"PK\x03\x04 cut short")
    result = run_main("download", "--dataset", "walmart", "--archive", archive, "--data-dir", tmp_path / "data")
    user_error(result.code, result.err, str(archive), "not a readable zip")


@pytest.mark.parametrize(
    "args, message",
    [
        (["--all", "--dataset", "walmart"], "either --dataset NAME or --all"),
        ([], "either --dataset NAME or --all"),
        (["--all", "--url", "file:///x.zip"], "--url"),
    ],
    ids=["both", "neither", "all-with-url"],
)
def test_download_usage_errors(args, message, run_main, tmp_path):
    result = run_main("download", *args, "--data-dir", tmp_path / "data")
    assert result.code == 2 and message in result.err and "Traceback" not in result.err


def test_url_and_archive_together(original_zip, run_main, user_error, tmp_path):
    result = run_main("download", "--dataset", "walmart", "--url", original_zip.as_uri(), "--archive", original_zip,
                      "--data-dir", tmp_path / "data")
    user_error(result.code, result.err, "--url", "--archive")
