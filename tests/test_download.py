"""``syntherela download``: local zip archives over file:// and a local HTTP server (127.0.0.1
only), validation before installing, and one-line errors. No other network is used."""

from __future__ import annotations

import functools
import http.server
import socket
import threading
import zipfile
from pathlib import Path

import pytest

from syntherela_rgcd.datasets import datasets_on_disk, load_dataset


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
        ("rossmann", ["'rossmann_subsampled'", "no download source", "--url"]),
        ("nosuchdb", ["unknown dataset 'nosuchdb'", "walmart_subsampled"]),
    ],
)
def test_download_without_a_source(dataset, culprits, run_main, user_error, tmp_path):
    data_dir = tmp_path / "data"
    result = run_main("download", "--dataset", dataset, "--data-dir", data_dir)
    user_error(result.code, result.err, *culprits)
    assert not (data_dir / "original" / "rossmann_subsampled").exists()
    assert not (data_dir / "original" / "demo").exists()
