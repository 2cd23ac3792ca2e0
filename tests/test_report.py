"""``syntherela report`` and the report ``run`` leaves beside each sample."""

import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest

from syntherela_rgcd.report.associations import association_matrix, cramers_v


@pytest.fixture
def copycat_run(installed_plugins, cli_invoke, demo_data_dir, tmp_path):
    """The copycat plugin (it returns the real tables) run with DDA and privacy: every
    synthetic row equals a real one, so the report must say so."""
    out = tmp_path / "out"
    result = cli_invoke(["run", "--method", "copycat", "--data-dir", demo_data_dir, "--output-dir", out,
                         "--metrics", "dda,privacy", "-q"])
    assert result.exit_code == 0, result.output
    return out, out / "synthetic" / "demo" / "copycat" / "default-seed0" / "sample1.report.html", result.output


def test_run_leaves_a_self_contained_report_beside_the_sample(copycat_run):
    _, report, output = copycat_run
    assert f"report: {report}" in output
    html = report.read_text(encoding="utf-8")
    for section in ("Summary", "Scores", "What gives it away", "Tables", "Relationships", "Privacy"):
        assert f">{section}<" in html
    assert html.count('src="data:image/png;base64,') >= 5
    assert 'src="http' not in html and "<script" not in html, "no server, no CDN"
    assert "sit closer to training rows than unseen real rows" in html, "a copy's DCR is called out"
    assert "synthetic rows equal a real row; the first of them" in html, "the copied rows are shown"


def test_report_command_rewrites_it_and_no_report_skips_it(copycat_run, cli_invoke, demo_data_dir, installed_plugins, tmp_path):
    out, report, _ = copycat_run
    report.unlink()
    result = cli_invoke(["report", "--method", "copycat", "--dataset", "demo", "--data-dir", demo_data_dir,
                         "--output-dir", out, "--no-giveaway", "-q"])
    assert result.exit_code == 0, result.output
    assert report.is_file() and "What gives it away" not in report.read_text(encoding="utf-8")
    other = tmp_path / "other"
    result = cli_invoke(["run", "--method", "copycat", "--data-dir", demo_data_dir, "--output-dir", other,
                         "--metrics", "cardinality", "--no-report", "-q"])
    assert result.exit_code == 0, result.output
    assert not list(other.rglob("*.report.html"))


def test_report_of_a_run_that_does_not_exist_is_a_one_line_error(run_main, user_error, demo_data_dir, tmp_path):
    result = run_main("report", "--method", "rgcd", "--dataset", "demo", "--data-dir", demo_data_dir,
                      "--output-dir", tmp_path / "empty")
    user_error(result.code, result.err, "'rgcd'", "no synthetic data", "syntherela run --method rgcd")


def test_associations_are_on_one_scale():
    rng = np.random.default_rng(0)
    a = pd.Series(rng.integers(0, 3, 500)).astype(str)
    table = pd.DataFrame({"a": a, "same": a, "noise": pd.Series(rng.integers(0, 3, 500)).astype(str),
                          "x": rng.normal(size=500)})
    table["y"] = table["x"] * 2 + 1
    table["z"] = table["a"].astype(int) * 10 + rng.normal(size=500)
    matrix = association_matrix(table)
    assert cramers_v(table["a"], table["same"]) == pytest.approx(1.0)
    assert matrix.loc["a", "noise"] < 0.15 and matrix.loc["x", "y"] == pytest.approx(1.0)
    assert matrix.loc["a", "z"] > 0.95 and ((matrix >= 0) & (matrix <= 1 + 1e-9)).all().all()


@pytest.mark.skipif(shutil.which("chromium") is None, reason="Chromium (Debian package 'chromium') is not installed")
def test_the_report_renders_in_a_headless_browser(copycat_run, tmp_path):
    from PIL import Image

    _, report, _ = copycat_run
    shot = tmp_path / "report.png"
    subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                    "--window-size=1200,1600", f"--screenshot={shot}", report.as_uri()],
                   check=True, capture_output=True, timeout=120)
    pixels = np.asarray(Image.open(shot).convert("RGB"))
    assert pixels.std() > 20, "the screenshot is blank"
    assert len(np.unique(pixels.reshape(-1, 3), axis=0)) > 200, "text and charts, not a flat page"
