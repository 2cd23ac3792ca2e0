"""Which thread settings survive a busy machine: the same training work timed idle and beside a
competing process, for torch thread counts and OpenMP wait policies.

A setting is ``THREADS`` or ``THREADS:VAR=VALUE,...`` (``--setting``, repeatable), e.g.
``2:OMP_WAIT_POLICY=PASSIVE`` or ``2:GOMP_SPINCOUNT=10000`` (how long libgomp's idle threads spin
before they sleep; torch's Linux wheels use libgomp). The work is what dominates an RGCD fit on CPU: ``--steps`` optimiser steps of the ``cpu``
profile's denoiser (batch 512, widths 256-512-512-256) on random latents. Each setting runs in
its own process (the wait policy is read when torch loads OpenMP), idle and then beside
:class:`scaling.Competitor` (one thread spinning on matrix products). The table gives seconds
and each busy run's ratio to the idle run of the *default* setting (what a user gets).

    python benchmarks/threads_under_load.py --steps 300 --name threads_under_load \
        --setting 2 --setting 2:OMP_WAIT_POLICY=PASSIVE --setting 2:GOMP_SPINCOUNT=10000 --setting 1
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

WORK = """
import time, torch
from syntherela_rgcd.rgcd.diffusion import DiffusionConfig, LatentDiffusion
torch.manual_seed(0)
config = DiffusionConfig(hidden=[256, 512, 512, 256], batch_size=512, epochs=1, max_steps={steps}, lr=0.003,
                         grad_clip=1.0, min_steps_per_epoch={steps})
model = LatentDiffusion(16, 64, config)
z, h = torch.randn(512 * 8, 16), torch.randn(512 * 8, 64)
start = time.perf_counter()
model.fit(z, h, device="cpu", seed=0, progress=False)
print(time.perf_counter() - start)
"""


def competitor():
    spec = importlib.util.spec_from_file_location("scaling", REPO / "benchmarks" / "scaling.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.Competitor()


OPENMP_VARIABLES = ("OMP_WAIT_POLICY", "OMP_NUM_THREADS", "GOMP_SPINCOUNT", "KMP_BLOCKTIME")


def parse_setting(text: str) -> tuple[int, dict[str, str]]:
    """``2`` or ``2:OMP_WAIT_POLICY=PASSIVE,GOMP_SPINCOUNT=0`` -> (2, {...})."""
    threads, _, rest = text.partition(":")
    variables = dict(item.split("=", 1) for item in rest.split(",") if item)
    return int(threads), variables


def timed(threads: int, variables: dict[str, str], steps: int, busy: bool) -> float:
    """Seconds of the work in a fresh process with only these OpenMP variables set."""
    env = {k: v for k, v in os.environ.items() if k not in OPENMP_VARIABLES}
    env["OMP_NUM_THREADS"] = str(threads)
    env.update(variables)
    command = [sys.executable, "-c", WORK.format(steps=steps)]
    if busy:
        with competitor():
            out = subprocess.run(command, capture_output=True, text=True, env=env, check=True)
    else:
        out = subprocess.run(command, capture_output=True, text=True, env=env, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--name", default="threads_under_load")
    parser.add_argument("--setting", action="append", default=None,
                        help="THREADS[:VAR=VALUE,...]; repeatable (default: all cores and 1 thread, default and "
                             "passive wait policy). The first is the reference of the ratios.")
    args = parser.parse_args()
    cores = os.cpu_count() or 1
    settings = [parse_setting(s) for s in args.setting] if args.setting else [
        (cores, {}), (cores, {"OMP_WAIT_POLICY": "PASSIVE"}), (1, {}), (1, {"OMP_WAIT_POLICY": "PASSIVE"})]
    rows = []
    for threads, variables in settings:
        idle = timed(threads, variables, args.steps, busy=False)
        busy = timed(threads, variables, args.steps, busy=True)
        described = ", ".join(f"{k}={v}" for k, v in variables.items()) or "none (libgomp defaults: spin, then sleep)"
        rows.append({"threads": threads, "openmp": described, "idle_s": round(idle, 2), "busy_s": round(busy, 2)})
        print(rows[-1], flush=True)
    reference = rows[0]["idle_s"]
    command = "python benchmarks/threads_under_load.py " + " ".join(sys.argv[1:])
    lines = [f"# Thread settings under load ({cores} cores)", "",
             f"Produced by `{command}` on {platform.machine()} with {cores} cores, "
             f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC: {args.steps} optimiser steps of the cpu profile's "
             "denoiser per run, each setting in its own process, idle and beside one process spinning a core on "
             f"matrix products. Ratio: seconds over the first setting's idle run.", "",
             "| threads | OpenMP variables | idle s | busy s | idle ratio | busy ratio | busy / own idle |",
             "|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['threads']} | {r['openmp']} | {r['idle_s']:.1f} | {r['busy_s']:.1f} "
                     f"| {r['idle_s'] / reference:.2f} | {r['busy_s'] / reference:.2f} | {r['busy_s'] / r['idle_s']:.2f} |")
    results = REPO / "results"
    (results / f"{args.name}.md").write_text("\n".join(lines) + "\n")
    (results / f"{args.name}.json").write_text(json.dumps({"command": command, "rows": rows}, indent=1))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
