"""An interrupted fit goes on where it stopped: a real ``syntherela run`` process is killed
after its first table's model is saved, and ``--resume`` gives the uninterrupted run's data."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pandas as pd


def _command(data_dir, out, *extra) -> list[str]:
    return [sys.executable, "-m", "syntherela_rgcd.cli", "run", "--method", "rgcd", "--dataset", "demo",
            "--data-dir", str(data_dir), "--profile", "smoke", "--metrics", "none", "--output-dir", str(out),
            "--threads", "1", *extra]


def _sample(out) -> dict[str, pd.DataFrame]:
    folder = out / "synthetic" / "demo" / "rgcd" / "smoke-seed0" / "sample1"
    return {p.stem: pd.read_csv(p) for p in sorted(folder.glob("*.csv"))}


def test_killed_fit_resumes_to_the_same_data(demo_data_dir, tmp_path):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    whole = tmp_path / "whole"
    subprocess.run(_command(demo_data_dir, whole), check=True, capture_output=True, env=env)

    out = tmp_path / "killed"
    checkpoints = out / ".checkpoints" / "demo" / "rgcd" / "smoke-seed0"
    process = subprocess.Popen(_command(demo_data_dir, out), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               env=env)
    deadline = time.monotonic() + 300
    while not list(checkpoints.glob("*.conditional.pt")) and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert process.returncode == -signal.SIGKILL, "the run ended before it could be killed"
    saved = sorted(p.name for p in checkpoints.glob("*.pt"))
    assert any(name.endswith(".conditional.pt") for name in saved) and len(saved) < 6, saved
    assert not (out / "synthetic" / "demo" / "rgcd" / "smoke-seed0").exists(), "nothing looks finished"

    resumed = subprocess.run(_command(demo_data_dir, out, "--resume"), capture_output=True, text=True, env=env)
    assert resumed.returncode == 0, resumed.stderr
    assert "reusing its conditional" in resumed.stderr and "reusing its vae" in resumed.stderr
    for table, frame in _sample(whole).items():
        pd.testing.assert_frame_equal(_sample(out)[table], frame)
    assert not checkpoints.exists(), "a finished run leaves no checkpoints"
