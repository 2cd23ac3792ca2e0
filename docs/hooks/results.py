"""MkDocs hook: the site's results come from ``results/``, never from a hand copy.

* Every evidence file under ``results/`` (the study tables, logs, plots and scripts; not the
  run folders, which hold thousands of CSVs) is added to the site at its repository path, so
  ``results/guard_ablation.md`` is a page and a log or plot is a file one can open.
* Pages in ``docs/`` link evidence as ``../results/<file>`` (the link that works when the
  Markdown is read in the repository); the hook rewrites it to the site's ``results/<file>``.
* A results file's ``x['a']['b']`` in prose stays text, not a reference link.
* ``<!-- include: results/LEADERBOARD.md -->`` in a page is replaced by that file without its
  title line; ``<!-- results index -->`` by a list of the ``results/*.md`` files with
  their titles.
"""

from __future__ import annotations

import re
from pathlib import Path

from mkdocs.structure.files import File, Files, InclusionLevel

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "results"
#: run folders (samples and summaries of every run) and archived runs: data, not documents
SKIPPED_DIRS = {"runs", "runs_copy", "runs_issue27", "archive", "toy"}
EVIDENCE_SUFFIXES = {".md", ".png", ".log", ".txt", ".json", ".py", ".sh", ".yaml"}

INCLUDE = re.compile(r"<!-- include: (results/[\w./-]+\.md) -->")
INDEX = "<!-- results index -->"


def _evidence_files() -> list[Path]:
    found = []
    for path in sorted(RESULTS.rglob("*")):
        relative = path.relative_to(RESULTS)
        if not path.is_file() or path.suffix not in EVIDENCE_SUFFIXES:
            continue
        if any(part in SKIPPED_DIRS or part.startswith(".") for part in relative.parts[:-1]):
            continue
        found.append(path)
    return found


def on_files(files: Files, config) -> Files:
    for path in _evidence_files():
        files.append(File(path.relative_to(ROOT).as_posix(), src_dir=str(ROOT), dest_dir=config["site_dir"],
                          use_directory_urls=config["use_directory_urls"], inclusion=InclusionLevel.NOT_IN_NAV))
    return files


def _title(path: Path) -> str:
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("# "):
            return line[2:].strip()
    return path.stem


def _untitled(text: str) -> str:
    """The file without its ``# title`` line: the including page has its own."""
    lines = text.splitlines()
    return "\n".join(lines[1:] if lines and lines[0].startswith("# ") else lines)


def _index(prefix: str) -> str:
    lines = []
    for path in sorted(RESULTS.glob("*.md")):
        if path.name in {"README.md", "LEADERBOARD.md"}:
            continue
        lines.append(f"- [`results/{path.name}`]({prefix}results/{path.name}): {_title(path)}")
    return "\n".join(lines)


def _plain(markdown: str) -> str:
    """A results file is written to be read as text, not for MkDocs: ``x['a']['b']`` in prose is
    not a reference link, so ``][`` outside code is escaped."""
    out, fenced = [], False
    for line in markdown.splitlines():
        if line.lstrip().startswith("```"):
            fenced = not fenced
        elif not fenced:
            parts = re.split(r"(`+[^`]*`+)", line)
            line = "".join(p if p.startswith("`") else p.replace("][", "]\\[") for p in parts)
        out.append(line)
    return "\n".join(out)


def on_page_markdown(markdown: str, page, config, files) -> str:
    source = page.file.src_uri
    if source.startswith("results/"):
        return _plain(markdown)
    depth = source.count("/")
    prefix = "../" * depth
    markdown = INCLUDE.sub(lambda m: _untitled((ROOT / m.group(1)).read_text(encoding="utf-8")), markdown)
    markdown = markdown.replace(INDEX, _index(prefix))
    # ../results/x from docs/page.md (the repository's view) is results/x in the site
    return markdown.replace("](" + "../" * (depth + 1) + "results/", "](" + prefix + "results/")
