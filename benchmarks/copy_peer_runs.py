"""Copy the peer runs' results into results/runs/, naming each run after its budget (they were
run as default-seed0 before a peer's run id carried its --options)."""
import json
import shutil
from pathlib import Path

from syntherela_rgcd.isolated import budget_label
for source in ("runs/peers/results", "runs/peers300/results"):
    for summary_file in Path(source).glob("*/*/*/summary.json"):
        summary = json.loads(summary_file.read_text())
        given = {k: v for k, v in summary["config"]["options"].items()
                 if k in ("epochs", "max_training_time")}
        budget = budget_label(given)
        run_id = f"{budget}-seed{summary['seed']}"
        target = Path("results/runs") / summary["dataset"] / summary["method"] / run_id
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(summary_file.parent, target)
        summary.update(run_id=run_id, profile=budget)
        (target / "summary.json").write_text(json.dumps(summary, indent=2))
        print(target)
