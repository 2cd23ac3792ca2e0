"""The documentation: the site builds with ``mkdocs build --strict`` and not one warning, and the
README stays an entry point whose links lead somewhere and whose test command is CI's."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_site_builds_strict_without_warnings(tmp_path):
    site = tmp_path / "site"
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--config-file", str(ROOT / "mkdocs.yml"),
         "--site-dir", str(site)],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "WARNING" not in output, output
    # the API reference is rendered from docstrings, the results page from results/
    assert "MethodSpec" in (site / "api" / "contract" / "index.html").read_text(encoding="utf-8")
    assert "class=\"doc doc-object doc-class\"" in (site / "api" / "rgcd" / "index.html").read_text(encoding="utf-8")
    leaderboard = (site / "leaderboard" / "index.html").read_text(encoding="utf-8")
    assert "walmart_subsampled" in leaderboard and "<!-- include:" not in leaderboard
    assert (site / "results" / "guard_ablation" / "index.html").is_file()
    assert (site / "images" / "report_walmart.png").is_file()


def test_readme_is_an_entry_point():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme.splitlines()) <= 250
    for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", readme):
        if "://" not in target:
            assert (ROOT / target).exists(), f"README links to {target}, which is not in the repository"
    # .ci/run is exactly the README's test command (with pip's -q)
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").strip().splitlines()[-1]
    assert ci.replace("pip install -q ", "pip install ") in readme
