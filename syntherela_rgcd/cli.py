"""The ``syntherela`` command. Thin by design: it parses options, calls the library, prints.

Errors a user can cause arrive as :class:`SyntheRelaError` and are printed as one line
with a non-zero exit code; anything else is a bug and keeps its traceback.

Each command imports the library it calls inside its function, on purpose: ``syntherela
--help`` answers in a tenth of a second instead of the seconds torch, SDV and scikit-learn
take to load, and logging (which sets ``TQDM_DISABLE`` for ``--quiet``) is set up before tqdm
is first imported.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import warnings
from pathlib import Path
from statistics import mean

import click

from . import __version__
from .errors import SyntheRelaError

logger = logging.getLogger("syntherela_rgcd")


def _setup_logging(quiet: bool) -> None:
    logging.basicConfig(
        level=logging.WARNING if quiet else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        datefmt="%H:%M:%S",
        stream=sys.stderr,
        force=True,
    )
    for noisy in ("sdv", "rdt", "copulas", "SingleTableSynthesizer", "MultiTableSynthesizer", "matplotlib"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # pandas/rdt deprecation chatter from inside SDV and SyntheRela is not the user's business.
    for category in (FutureWarning, DeprecationWarning, UserWarning):
        warnings.filterwarnings("ignore", category=category, module=r"(rdt|sdv|sdmetrics|syntherela|copulas|pandas|sklearn)")
    warnings.filterwarnings("ignore", category=FutureWarning)
    if quiet:
        os.environ["TQDM_DISABLE"] = "1"


data_dir_option = click.option(
    "--data-dir", type=click.Path(file_okay=False), default=None,
    help="Folder holding original/<dataset>/ (default: $SYNTHERELA_DATA_DIR, else a per-user cache folder).",
)
output_dir_option = click.option(
    "--output-dir", type=click.Path(file_okay=False), default="runs", show_default=True,
    help="Where synthetic/, results/ and models/ are written.",
)
quiet_option = click.option("--quiet", "-q", is_flag=True, help="Only warnings, errors and the final table.")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="syntherela")
def cli() -> None:
    """Train, sample and score relational synthetic data generators on SyntheRela datasets."""


@cli.command("list")
@click.argument("what", type=click.Choice(["methods", "datasets"]))
@data_dir_option
def list_command(what: str, data_dir: str | None) -> None:
    """List installed methods or known datasets (with sizes of those on disk)."""
    from .datasets import dataset_dir, datasets_on_disk, load_dataset, resolve_data_dir
    from .plugins import build_registry

    registry = build_registry()
    if what == "methods":
        for spec in sorted(registry.methods.values(), key=lambda s: s.name):
            click.echo(f"{spec.name:<14} {spec.summary}  [{', '.join(spec.structures)}] (plugin: {spec.plugin})")
        for name, reason in sorted(registry.failures.items()):
            click.echo(f"{name:<14} NOT LOADED: {reason}")
        return
    root = resolve_data_dir(data_dir)
    on_disk = datasets_on_disk(root)
    names = sorted(set(registry.datasets) | set(on_disk), key=str.lower)
    click.echo(f"data dir: {root}")
    for name in names:
        spec = registry.datasets.get(name)
        aliases = f" ({', '.join(spec.aliases)})" if spec and spec.aliases else ""
        if name in on_disk:
            try:
                tables, _ = load_dataset(dataset_dir(root, name), name)
                where = f"on disk: {len(tables)} tables, {sum(len(t) for t in tables.values()):,} rows"
            except SyntheRelaError as exc:
                where = f"on disk but unreadable: {exc}"
        elif spec is not None and spec.builder is not None:
            where = "built-in (made on first use)"
        else:
            where = "not downloaded"
        summary = f" - {spec.summary}" if spec and spec.summary else ""
        click.echo(f"{name}{aliases}: {where}{summary}")


@cli.command()
@click.option("--method", "-m", required=True, help="Method name (see 'syntherela list methods').")
@click.option("--dataset", "-d", default="demo", show_default=True, help="Dataset name or alias.")
@data_dir_option
@output_dir_option
@click.option("--seed", type=int, default=0, show_default=True, help="Seed for fitting and sampling.")
@click.option("--profile", default=None, help="Hyperparameter profile: smoke, cpu or paper (RGCD).")
@click.option("--config", "config_file", type=click.Path(exists=True, dir_okay=False), default=None,
              help="YAML file overriding the method's configuration.")
@click.option("--samples", type=click.IntRange(min=1), default=1, show_default=True,
              help="Number of synthetic databases to sample from the fitted model.")
@click.option("--scale", type=click.FloatRange(min=0, min_open=True), default=1.0, show_default=True,
              help="Size of each sample relative to the real database.")
@click.option("--metrics", default="dda,cardinality", show_default=True,
              help="Comma-separated metrics (dda, cardinality, columns, utility, privacy); 'none' skips scoring.")
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default="auto", show_default=True)
@click.option("--time-budget", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Seconds allowed per trained component (RGCD); the best weights so far are kept.")
@click.option("--threads", type=click.IntRange(min=1), default=None,
              help="Torch threads (default: OMP_NUM_THREADS, else 1, which a busy machine does not slow down; "
                   "see --executor process for both cores).")
@click.option("--executor", type=click.Choice(["inprocess", "process", "ray"]), default="inprocess", show_default=True,
              help="Where per-table training tasks run (RGCD): this process, a local process pool, or Ray. "
                   "The fitted model is the same; tables train together only with budget_flow: false.")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Processes for --executor process, CPUs for a local Ray (default: every core).")
@click.option("--ray-address", default=None,
              help="Ray cluster to join with --executor ray (e.g. auto or ray://host:10001); default: a local Ray.")
@click.option("--options", "method_options", default=None, metavar="JSON",
              help='Settings for methods that take them as a JSON object, e.g. \'{"epochs": 20}\' (peers).')
@click.option("--resume", is_flag=True,
              help="Continue an interrupted run with the same options: the tables already fitted are not fitted again "
                   "(RGCD saves each as it finishes, under <output-dir>/.checkpoints/).")
@click.option("--db", default=None,
              help="Read the real data from a database (SQLAlchemy URL, e.g. sqlite:///shop.db): tables, keys and "
                   "foreign keys from its schema, copied into <data-dir>/original/<dataset>/ first.")
@click.option("--db-metadata", type=click.Path(exists=True, dir_okay=False), default=None,
              help="metadata.json overriding the sdtypes and keys inferred from --db's schema.")
@click.option("--output-db", default=None,
              help="Also write the first synthetic sample into this (empty) database, with the source's tables, "
                   "keys and constraints (needs --db).")
@quiet_option
@click.option("--no-report", is_flag=True, help="Do not write the HTML report next to each sample.")
def run(quiet: bool, config_file: str | None, threads: int | None, db: str | None, db_metadata: str | None,
        output_db: str | None, no_report: bool, **options) -> None:
    """Fit a method on a dataset, sample, write the synthetic tables and score them."""
    _setup_logging(quiet)  # before the imports: tqdm reads TQDM_DISABLE when it is first imported
    from .runner import RunOptions, run as run_method
    from .threads import set_threads

    set_threads(threads)  # one by default: as fast beside a busy process as alone (threads.py)
    if output_db and not db:
        raise click.UsageError("--output-db writes a database shaped like --db's: pass --db too")
    if db:
        options["dataset"] = _import_db(db, db_metadata, options)

    if options.get("method_options"):
        try:
            options["method_options"] = json.loads(options["method_options"])
        except json.JSONDecodeError as exc:
            raise click.UsageError(f"--options is not a JSON object: {exc}") from None
        if not isinstance(options["method_options"], dict):
            raise click.UsageError("--options must be a JSON object")
    result = run_method(RunOptions(quiet=quiet, config_file=config_file, report=not no_report, **options))
    click.echo(format_summary(result.summary))
    click.echo(f"synthetic data: {result.synthetic_dir}\nresults: {result.results_dir}")
    if not no_report:
        click.echo(f"report: {result.synthetic_dir / 'sample1.report.html'}")
    if output_db:
        from .datasets import load_synthetic, prepare_dataset
        from .plugins import build_registry
        from .sql import export_database

        data = prepare_dataset(options["dataset"], options["data_dir"], build_registry())
        export_database(load_synthetic(result.synthetic_dir / "sample1", data), db, output_db)
        click.echo(f"synthetic database: {output_db}")


def _import_db(url: str, metadata_file: str | None, options: dict) -> str:
    """Copy the database into the data dir as a dataset; its name is --dataset unless that is
    left at the default, else the database's own name."""
    from .datasets import dataset_dir, resolve_data_dir
    from .sql import dataset_name, import_database

    name = options["dataset"] if options["dataset"] != "demo" else dataset_name(url)
    import_database(url, dataset_dir(resolve_data_dir(options["data_dir"]), name), metadata_file)
    return name


@cli.command()
@click.option("--method", "-m", required=True, help="Method folder name under synthetic/<dataset>/.")
@click.option("--dataset", "-d", required=True, help="Dataset name or alias.")
@click.option("--run-id", default=None, help="Score only this run (default: every run on disk).")
@click.option("--metrics", default="dda,cardinality", show_default=True,
              help="Comma-separated metrics (dda, cardinality, columns, utility, privacy).")
@data_dir_option
@output_dir_option
@quiet_option
def evaluate(quiet: bool, **options) -> None:
    """Score synthetic data already on disk in SyntheRela's layout."""
    _setup_logging(quiet)  # before the imports: tqdm reads TQDM_DISABLE when it is first imported
    from .runner import evaluate as evaluate_runs

    for result in evaluate_runs(**options):
        click.echo(format_summary(result.summary))


@cli.command()
@click.option("--method", "-m", required=True, help="Method folder name under synthetic/<dataset>/.")
@click.option("--dataset", "-d", required=True, help="Dataset name or alias.")
@click.option("--run-id", default=None, help="Only this run (default: every run on disk).")
@click.option("--no-giveaway", is_flag=True, help="Skip rerunning the DDA classifier for its top features.")
@data_dir_option
@output_dir_option
@quiet_option
def report(quiet: bool, no_giveaway: bool, **options) -> None:
    """Write the HTML report of each sample of runs on disk (<sample>.report.html beside it)."""
    _setup_logging(quiet)
    from .runner import report as write_reports

    for path in write_reports(giveaway=not no_giveaway, **options):
        click.echo(f"report: {path}")


@cli.command()
@click.option("--dataset", "-d", default=None, help="Dataset name or alias.")
@click.option("--all", "all_datasets", is_flag=True,
              help="Every catalogue dataset that SyntheRela's original.zip holds (one download).")
@click.option("--url", default=None, help="Archive URL (https://, http:// or file://) overriding the default source.")
@click.option("--archive", type=click.Path(exists=True, dir_okay=False), default=None,
              help="A local copy of SyntheRela's original.zip to unpack instead of downloading it (offline use).")
@data_dir_option
@quiet_option
def download(dataset: str | None, all_datasets: bool, url: str | None, archive: str | None, data_dir: str | None,
             quiet: bool) -> None:
    """Fetch a dataset and unpack it into <data-dir>/original/.

    By default from SyntheRela's original.zip on Google Drive, downloaded once into
    $SYNTHERELA_ARCHIVE_CACHE (default: a per-user cache folder) and reused.
    """
    if (dataset is None) == (not all_datasets):
        raise click.UsageError("pass either --dataset NAME or --all")
    if all_datasets and url:
        raise click.UsageError("--url fetches one dataset: use it with --dataset, not --all")
    _setup_logging(quiet)  # before the imports: tqdm reads TQDM_DISABLE when it is first imported
    from .datasets import canonical_name, resolve_data_dir
    from .download import download as fetch_dataset, download_all
    from .plugins import build_registry

    registry = build_registry()
    root = resolve_data_dir(data_dir)
    if all_datasets:
        for name, target in download_all(registry.datasets.values(), root, archive=archive, quiet=quiet):
            click.echo(f"{name}: installed in {target}")
        return
    name = canonical_name(dataset, registry.datasets, root)
    spec = registry.datasets.get(name)
    if spec is None:
        raise SyntheRelaError(f"dataset {name!r} is on disk but not in any catalogue; nothing to download")
    target = fetch_dataset(spec, root, url, archive=archive, quiet=quiet)
    click.echo(f"{name}: installed in {target}")


@cli.command()
@click.option("--dataset", "-d", default=None, help="Only this dataset (name or alias); default: all.")
@click.option("--metric", type=click.Choice(["dda", "utility", "privacy"]), default="dda", show_default=True,
              help="dda: detection accuracy (paper Table 1); utility: ML score, model and feature selection "
                   "(Table 2); privacy: DCR score (Appendix B).")
@click.option("--format", "fmt", type=click.Choice(["md", "csv", "json"]), default="md", show_default=True,
              help="GitHub Markdown with a legend, CSV or JSON.")
@click.option("--results-dir", "results_dirs", multiple=True, type=click.Path(file_okay=False),
              help="Folder holding <dataset>/<method>/<run_id>/summary.json; repeatable "
                   "(default: runs/results and results/runs, those that exist).")
@click.option("--output", "-o", type=click.Path(dir_okay=False), default=None,
              help="Write the table to this file instead of standard output.")
@click.option("--plot", "plot_file", type=click.Path(dir_okay=False), default=None,
              help="Also draw the metric per dataset, one marker per method, to this PNG.")
def leaderboard(dataset: str | None, metric: str, fmt: str, results_dirs: tuple[str, ...], output: str | None,
                plot_file: str | None) -> None:
    """The paper's published numbers and every local run in one table, best per dataset marked.

    Local runs are grouped by dataset, method and profile and shown as mean ± standard error
    over runs and samples; the same run found in two folders counts once (the newest).
    """
    from .leaderboard import DEFAULT_RESULTS_DIRS, build_leaderboard, collect_runs, plot, render

    dirs = list(results_dirs) or list(DEFAULT_RESULTS_DIRS)
    runs = collect_runs(dirs, missing_ok=not results_dirs)
    rows = build_leaderboard(runs, metric, dataset)
    text = render(rows, fmt, metric=metric, results_dirs=dirs)
    if plot_file:
        click.echo(f"plot: {plot(rows, plot_file, metric=metric)}", err=True)
    if output:
        Path(output).parent.mkdir(parents=True, exist_ok=True)
        Path(output).write_text(text, encoding="utf-8")
        click.echo(f"leaderboard: {output}", err=True)
    else:
        click.echo(text, nl=False)


@cli.group()
def env() -> None:
    """Environments of peer methods that cannot install beside RGCD (another Python, pins)."""


env_dir_option = click.option("--env-dir", type=click.Path(file_okay=False), default=None,
                              help="Where environments live (default: $SYNTHERELA_ENV_DIR, else a per-user folder).")


@env.command("create")
@click.argument("name")
@click.option("--python", "python", default=None, help="Interpreter to make it from (a command or a path).")
@env_dir_option
@quiet_option
def env_create(name: str, python: str | None, env_dir: str | None, quiet: bool) -> None:
    """Make (or remake) the environment NAME with its pinned requirements."""
    _setup_logging(quiet)
    from .environments import create
    from .errors import UnknownNameError
    from .plugins import build_registry

    registry = build_registry()
    if name not in registry.environments:
        raise UnknownNameError(f"unknown environment {name!r} (known: {', '.join(sorted(registry.environments)) or 'none'})")
    click.echo(f"{name}: {create(registry.environments[name], python, env_dir, quiet)}")


@env.command("list")
@env_dir_option
def env_list(env_dir: str | None) -> None:
    """Known environments and whether each exists."""
    from .environments import describe, env_root
    from .plugins import build_registry

    click.echo(f"environment dir: {env_root(env_dir)}")
    for name, spec in sorted(build_registry().environments.items()):
        made = describe(name, env_dir)
        state = f"ready (Python {made['python']})" if made else f"missing: syntherela env create {name}"
        click.echo(f"{name:<14} {state}  [{spec.python}; {', '.join(spec.requirements) or 'no requirements'}]"
                   f"{' - ' + spec.summary if spec.summary else ''}")


@cli.command()
@click.argument("study", type=click.Path(exists=True, dir_okay=False))
@data_dir_option
@click.option("--output-dir", type=click.Path(file_okay=False), default=None,
              help="Where the study's runs go (default: runs/bench/<study name>).")
@click.option("--executor", type=click.Choice(["local", "inprocess", "process", "ray"]), default="local",
              show_default=True, help="local: one run after another; process: a local pool; ray: Ray tasks.")
@click.option("--workers", type=click.IntRange(min=1), default=None, help="Runs at a time (process, ray).")
@click.option("--ray-address", default=None, help="A Ray cluster's address (with --executor ray).")
@click.option("--resume", is_flag=True, help="Continue interrupted fits from their checkpoints.")
@click.option("--threads", type=click.IntRange(min=1), default=None,
              help="Torch/OpenMP threads per run, peers included (default with --executor process: the cores "
                   "divided by --workers; otherwise each run's own default).")
@quiet_option
def bench(study: str, data_dir: str | None, output_dir: str | None, executor: str, workers: int | None,
          ray_address: str | None, resume: bool, threads: int | None, quiet: bool) -> None:
    """Run a study (datasets x methods x seeds) from a YAML file, then its leaderboard.

    Runs already finished in the output folder are skipped; a failed run is reported and the
    rest go on (the exit code is then 1).
    """
    _setup_logging(quiet)
    from .bench import run_study

    outcome = run_study(study, output_dir, data_dir, "inprocess" if executor == "local" else executor, workers,
                        ray_address, resume, threads)
    click.echo(outcome["leaderboard"].read_text(encoding="utf-8"), nl=False)
    click.echo(f"ran {len(outcome['ran'])}, skipped {len(outcome['skipped'])} finished, "
               f"failed {len(outcome['failed'])}; leaderboard: {outcome['leaderboard']}")
    for run, error in outcome["failed"]:
        click.echo(f"failed: {run.dataset} / {run.method} / seed {run.seed}: {error}", err=True)
    if outcome["failed"]:
        raise SystemExit(1)


def format_summary(summary: dict) -> str:
    """The short table printed after a run: DDA per table, cardinality, timings, memory."""
    scores = summary.get("scores", {})
    lines = [f"{summary.get('dataset')} / {summary.get('method')} / {summary.get('run_id')}"]
    timing = []
    if "fit_seconds" in summary:
        timing.append(f"fit {summary['fit_seconds']:.1f} s")
    known = [s for s in summary.get("sample_seconds") or [] if s is not None]  # a summary kept by hand may lack them
    if known:
        timing.append(f"sample {mean(known):.1f} s")
    if "peak_memory_mb" in summary:
        timing.append(f"peak memory {summary['peak_memory_mb']:.0f} MiB")
    if timing:
        lines.append("  " + ", ".join(timing))
    dda = [s["dda"] for s in scores.values() if "dda" in s]
    if dda:
        lines.append(f"  {'table':<24} DDA accuracy (0.5 = indistinguishable)")
        for table in sorted(dda[0]):
            accuracies = [d[table]["accuracy"] for d in dda if table in d]
            ses = [d[table]["se"] for d in dda if table in d]
            lines.append(f"  {table:<24} {mean(accuracies):.3f} ± {mean(ses):.3f}")
    lines.extend(_detection_lines([s["detection"] for s in scores.values() if "detection" in s]))
    cardinality = [s["cardinality"] for s in scores.values() if "cardinality" in s]
    if cardinality:
        lines.append(f"  {'relationship':<24} cardinality KS (0 = same shape)")
        for rel in sorted(cardinality[0]):
            lines.append(f"  {rel:<24} {mean(c[rel] for c in cardinality):.3f}")
    passing = [s["columns_passing"] for s in scores.values() if s.get("columns_passing") is not None]
    if passing:
        lines.append(f"  columns passing marginal tests (p > 0.05): {mean(passing):.0%}")
    lines.extend(_utility_lines([s["utility"] for s in scores.values() if "utility" in s]))
    dcr = [s["dcr"] for s in scores.values() if "dcr" in s]
    if dcr:
        lines.append(f"  {'table':<24} DCR score (0.5 or more = no sign of copying)")
        for table in sorted(dcr[0]):
            lines.append(f"  {table:<24} {mean(d[table]['score'] for d in dcr):.3f} ± {mean(d[table]['se'] for d in dcr):.3f}")
    lines.extend(_copying_lines([s["copying"] for s in scores.values() if "copying" in s]))
    if summary.get("profile") == "smoke":
        lines.append("  smoke profile: a few hundred optimiser steps, to check that the pipeline runs on this schema; "
                     "its scores say nothing about the method (use --profile cpu)")
    return "\n".join(lines)


def _detection_lines(detection: list[dict]) -> list[str]:
    """SyntheRela's other detection metrics (averaged over samples): every table alone, each
    parent-child pair plain and with aggregates, the denormalised join."""
    if not detection:
        return []

    def figure(key: str, part: str | None = None) -> str:
        values = [d[key][part] if part else d[key] for d in detection if key in d and (part is None or part in d[key])]
        return f"{mean(v['accuracy'] for v in values):.3f} ± {mean(v['se'] for v in values):.3f}" if values else "-"

    lines = []
    if "single_table" in detection[0]:
        lines.append(f"  {'table':<24} single-table detection accuracy (every table, children too)")
        lines.extend(f"  {table:<24} {figure('single_table', table)}" for table in sorted(detection[0]["single_table"]))
    pairs = sorted(set(detection[0].get("parent_child", {})) | set(detection[0].get("parent_child_aggregation", {})))
    if pairs:
        lines.append(f"  {'parent_child_fk':<24} parent-child detection / with children's aggregates")
        lines.extend(f"  {pair:<24} {figure('parent_child', pair)} / {figure('parent_child_aggregation', pair)}"
                     for pair in pairs)
    if "denormalized" in detection[0]:
        lines.append(f"  {'denormalised join':<24} {figure('denormalized')}")
    return lines


def _copying_lines(copying: list[dict]) -> list[str]:
    """Copied rows against the real-halves baseline, real edges and graph hashes (first sample's
    keys; figures averaged over samples)."""
    if not copying:
        return []
    lines = [f"  {'table':<24} rows equal to a real row: synthetic / between real halves"
             + (" / equal to their twin" if copying[0].get("twins") else "")]
    for table, first in sorted(copying[0]["rows"].items()):
        text = f"  {table:<24} {mean(c['rows'][table]['synthetic'] for c in copying):.1%} / {first['real_halves']:.1%}"
        if table in copying[0].get("twins", {}) and copying[0]["twins"][table] is not None:
            text += f" / {mean(c['twins'][table] for c in copying):.1%}"
        lines.append(text)
    for table in sorted(copying[0]["real_edges"]):
        lines.append(f"  {table:<24} {mean(c['real_edges'][table] for c in copying):.1%} of rows link real pairs"
                     + (f", WL hash {'equal to' if copying[0]['wl_hash_equal'][table] else 'unlike'} the real graph's"
                        if table in copying[0]["wl_hash_equal"] else ""))
    if copying[0].get("max_degree_ks") is not None:
        lines.append(f"  largest degree KS over relationships: {mean(c['max_degree_ks'] for c in copying):.3f}"
                     " (details: <sample>.copying.json)")
    return lines


def _utility_lines(utility: list[dict]) -> list[str]:
    """Per task: the score trained on real, on synthetic and the naive one; rank agreements."""
    lines = []
    for task in sorted(utility[0]) if utility else []:
        runs = [u[task] for u in utility if task in u]
        first = runs[0]
        arrow = "higher" if first["higher_is_better"] else "lower"
        lines.append(f"  utility {first['table']}.{first['target']} ({first['metric']}, {arrow} is better; "
                     f"real test rows: {first['holdout']})")
        lines.append(f"    {first['metric']}: real {first['real']:.4g} ± {first['real_se']:.2g}, "
                     f"synthetic {mean(r['synthetic'] for r in runs):.4g} ± {mean(r['synthetic_se'] for r in runs):.2g}, "
                     f"naive {first['naive']:.4g}")
        lines.append(f"    model selection {mean(r['model_selection'] for r in runs):.2f} ± "
                     f"{mean(r['model_selection_se'] for r in runs):.2f}, feature selection "
                     f"{mean(r['feature_selection'] for r in runs):.2f} ± {mean(r['feature_selection_se'] for r in runs):.2f}"
                     " (weighted rank correlation, 1 = same ranking as on real data)")
    return lines


def main() -> None:
    """Console-script entry point: one-line errors, non-zero exit codes, no tracebacks for user errors."""
    try:
        cli.main(standalone_mode=False)
    except SyntheRelaError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        click.echo("interrupted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(130)


if __name__ == "__main__":
    main()
