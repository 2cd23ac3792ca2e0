"""Which thread settings survive a busy machine: the same training work timed idle and beside a
competing process, for torch thread counts and OpenMP wait policies.

The work is what dominates an RGCD fit on CPU: ``--steps`` optimiser steps of the ``cpu``
profile's denoiser (batch 512, widths 256-512-512-256) on random latents. Each setting runs in
its own process (the wait policy is read when torch loads OpenMP), idle and then beside
:class:`scaling.Competitor` (one thread spinning on matrix products). The table gives seconds
and each busy run's ratio to the idle run of the *default* setting (what a user gets).

    python benchmarks/threads_under_load.py --steps 300 --name threads_under_load
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


def timed(threads: int, policy: str | None, steps: int, busy: bool) -> float:
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_WAIT_POLICY", "OMP_NUM_THREADS")}
    env["OMP_NUM_THREADS"] = str(threads)
    if policy:
        env["OMP_WAIT_POLICY"] = policy
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
    args = parser.parse_args()
    cores = os.cpu_count() or 1
    settings = [(cores, None), (cores, "PASSIVE"), (1, None), (1, "PASSIVE")]
    rows = []
    for threads, policy in settings:
        idle = timed(threads, policy, args.steps, busy=False)
        busy = timed(threads, policy, args.steps, busy=True)
        rows.append({"threads": threads, "wait_policy": policy or "default (active spin)", "idle_s": round(idle, 2),
                     "busy_s": round(busy, 2)})
        print(rows[-1], flush=True)
    reference = rows[0]["idle_s"]
    command = "python benchmarks/threads_under_load.py " + " ".join(sys.argv[1:])
    lines = [f"# Thread settings under load ({cores} cores)", "",
             f"Produced by `{command}` on {platform.machine()} with {cores} cores, "
             f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC: {args.steps} optimiser steps of the cpu profile's "
             "denoiser per run, each setting in its own process, idle and beside one process spinning a core on "
             f"matrix products. Ratio: seconds over the idle run with {cores} threads and the default wait policy.", "",
             "| threads | OMP_WAIT_POLICY | idle s | busy s | idle ratio | busy ratio |", "|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['threads']} | {r['wait_policy']} | {r['idle_s']:.1f} | {r['busy_s']:.1f} "
                     f"| {r['idle_s'] / reference:.2f} | {r['busy_s'] / reference:.2f} |")
    results = REPO / "results"
    (results / f"{args.name}.md").write_text("\n".join(lines) + "\n")
    (results / f"{args.name}.json").write_text(json.dumps({"command": command, "rows": rows}, indent=1))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
