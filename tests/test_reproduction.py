"""Fidelity targets on the shared datasets (``pytest -m reproduction``).

Each test fits RGCD with the profile its dataset config names (``cpu`` unless the dataset's
``profiles/<name>.yaml`` says otherwise), samples once, scores DDA, utility and
privacy exactly as ``syntherela run`` does, and checks the targets of issue 12 - the best
published figures, GCFM's (AAAI-26, Table 1; published.py) - on one seed:

* DDA: the worst table's accuracy at most ``DDA_TARGETS`` + ``DDA_TOLERANCE`` (one seed of a
  figure the papers average over three; Walmart's 45 stores alone move by 0.04 between
  samples of one model); CORA, a network whose structure is copied until the structure issue
  lands, keeps the RGCD paper's figure as its target;
* no table below ``DDA_FLOOR`` (a classifier fooled by near-copies is a defect, not a win),
  networks excepted for the same reason;
* utility no worse than before issue 12: AirBnB AUC at least ``MIN_AUC``, Walmart RMSE at most
  ``MAX_RMSE`` (the RGCD paper's figure);
* privacy: every modelled table's DCR score at least ``MIN_DCR`` less ``DCR_TOLERANCE``.

The 3-seed means these targets are judged on are in ``results/ablation_fidelity.md``. The
tests skip when the data is absent and are not part of the default suite: each one takes
about 10 minutes on a 2-core machine (fit, sample and scoring).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from syntherela_rgcd.published import DDA_TABLE1
from syntherela_rgcd.runner import RunOptions, run

sys.path.insert(0, str(Path(__file__).parent / "rgcd"))
from rgcd_helpers import load_shared, shared_original  # noqa: E402

#: worst-table DDA targets: GCFM's published figures (RGCD paper's for CORA, see above)
DDA_TARGETS = {
    "airbnb-simplified_subsampled": DDA_TABLE1["GCFM (AAAI-26)"]["airbnb-simplified_subsampled"][0],
    "walmart_subsampled": DDA_TABLE1["GCFM (AAAI-26)"]["walmart_subsampled"][0],
    "Biodegradability_v1": DDA_TABLE1["GCFM (AAAI-26)"]["Biodegradability_v1"][0],
    "CORA_v1": DDA_TABLE1["RGCD (paper)"]["CORA_v1"][0],
}
DDA_TOLERANCE = 0.03
DDA_FLOOR = 0.45
NETWORKS = {"CORA_v1"}
MIN_AUC = 0.68
MAX_RMSE = 6092.0
MIN_DCR = 0.5
DCR_TOLERANCE = 0.02

DATASETS = list(DDA_TARGETS)


@pytest.fixture(scope="module", params=DATASETS)
def scored(request, tmp_path_factory):
    name = request.param
    load_shared(name)  # skips when absent
    metrics = "dda,cardinality,privacy" + (",utility" if name in ("airbnb-simplified_subsampled", "walmart_subsampled") else "")
    result = run(RunOptions(method="rgcd", dataset=name, data_dir=shared_original().parent,
                            output_dir=tmp_path_factory.mktemp(name), metrics=metrics, quiet=True))
    summary = json.loads((result.results_dir / "summary.json").read_text())
    print(f"\n{name}: {json.dumps(summary['scores']['sample1'], indent=1)}")
    return name, summary["scores"]["sample1"]


@pytest.mark.reproduction
def test_worst_table_dda_meets_the_target(scored):
    name, scores = scored
    worst_table, worst = max(((t, f["accuracy"]) for t, f in scores["dda"].items()), key=lambda item: item[1])
    target = DDA_TARGETS[name]
    assert worst <= target + DDA_TOLERANCE, f"{name}: DDA {worst:.3f} on {worst_table} vs target {target}"


@pytest.mark.reproduction
def test_no_table_below_the_copy_floor(scored):
    name, scores = scored
    if name in NETWORKS:
        pytest.skip(f"{name} is a network: its copied structure is the structure issue's subject")
    for table, figures in scores["dda"].items():
        assert figures["accuracy"] >= DDA_FLOOR, f"{name}.{table}: DDA {figures['accuracy']:.3f} < {DDA_FLOOR}"


@pytest.mark.reproduction
def test_utility_no_worse_than_before(scored):
    name, scores = scored
    if "utility" not in scores:
        pytest.skip(f"{name} has no utility task in the paper")
    (figures,) = scores["utility"].values()
    if figures["higher_is_better"]:
        assert figures["synthetic"] >= MIN_AUC, f"{name}: AUC {figures['synthetic']:.3f} < {MIN_AUC}"
    else:
        assert figures["synthetic"] <= MAX_RMSE, f"{name}: RMSE {figures['synthetic']:.0f} > {MAX_RMSE:.0f}"


@pytest.mark.reproduction
def test_no_sign_of_memorisation(scored):
    name, scores = scored
    for table, figures in scores["dcr"].items():
        assert figures["score"] >= MIN_DCR - DCR_TOLERANCE, f"{name}.{table}: DCR {figures['score']:.3f} < {MIN_DCR}"
