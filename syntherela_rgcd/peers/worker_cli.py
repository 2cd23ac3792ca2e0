"""The command line every peer worker shares: ``fit --data DIR --model DIR --options JSON``
and ``sample --model DIR --out DIR --seed N --scale S`` (the protocol of
:mod:`syntherela_rgcd.isolated`). A failure leaves one line in ``error.txt`` of the folder the
command writes and exits 1; the traceback stays on stderr.

Standard library only: it runs in the peer's environment, imported by the worker scripts
beside it (a script's folder is on its ``sys.path``), not through this package.
"""

import argparse
import sys
import traceback
from pathlib import Path


def run_worker(fit, sample):
    """Parse the command line and call ``fit(arguments)`` or ``sample(arguments)``."""
    parser = argparse.ArgumentParser()
    commands = parser.add_subparsers(dest="command", required=True)
    fit_parser = commands.add_parser("fit")
    fit_parser.add_argument("--data")
    fit_parser.add_argument("--model")
    fit_parser.add_argument("--options", default="{}")
    sample_parser = commands.add_parser("sample")
    sample_parser.add_argument("--model")
    sample_parser.add_argument("--out")
    sample_parser.add_argument("--seed", default="0")
    sample_parser.add_argument("--scale", default="1.0")
    arguments = parser.parse_args()
    folder = arguments.model if arguments.command == "fit" else arguments.out
    try:
        {"fit": fit, "sample": sample}[arguments.command](arguments)
    except Exception as exc:
        traceback.print_exc()
        Path(folder, "error.txt").write_text(f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}\n")
        sys.exit(1)
