"""Issue 27's targets on the shared datasets (``pytest -m reproduction``).

Each test fits RGCD with the one default (``cpu``; dataset files state facts only), samples
once, scores DDA, SyntheRela's other detection metrics, utility and privacy exactly as
``syntherela run`` does, and checks issue 27's targets - GCFM's published figures (AAAI-26,
Table 1; ``published.py``) with the privacy targets beside them - on one seed:

* DDA: the worst table's accuracy at most ``DDA_TARGETS`` + ``DDA_TOLERANCE`` (one seed of a
  figure the papers average over three; Walmart's 45 stores alone move by 0.04 between
  samples of one model); CORA with a generated graph at GCFM's 0.60;
* no table below ``DDA_FLOOR`` (a classifier fooled by near-copies is a defect, not a win);
* single-table detection at most ``MAX_SINGLE_TABLE`` on every table, children included;
* privacy: every modelled table's DCR score at least ``MIN_DCR``, and its share of rows equal to
  a real row at most ``COPY_MARGIN`` above the real halves' share (mean over 200 splits);
* utility no worse than before: AirBnB AUC at least ``MIN_AUC``, Walmart RMSE at most
  ``MAX_RMSE`` (the RGCD paper's figure).

The tests skip when the data is absent and are not part of the default suite: each dataset
takes about 10 minutes on a 2-core machine (fit, sample and scoring). The membership-inference
target of issue 27 has no test yet (no attack is implemented).
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

GCFM = DDA_TABLE1["GCFM (AAAI-26)"]
#: worst-table DDA targets: GCFM's published figures
DDA_TARGETS = {name: GCFM[name][0] for name in ("airbnb-simplified_subsampled", "walmart_subsampled",
                                                 "Biodegradability_v1", "CORA_v1", "rossmann_subsampled")}
DDA_TOLERANCE = 0.03
DDA_FLOOR = 0.45
MAX_SINGLE_TABLE = 0.65
MIN_AUC = 0.68
MAX_RMSE = 6092.0
MIN_DCR = 0.49
COPY_MARGIN = 0.02
UTILITY = ("airbnb-simplified_subsampled", "walmart_subsampled", "rossmann_subsampled")

DATASETS = list(DDA_TARGETS)


@pytest.fixture(scope="module", params=DATASETS)
def scored(request, tmp_path_factory):
    name = request.param
    load_shared(name)  # skips when absent
    metrics = "dda,detection,cardinality,privacy" + (",utility" if name in UTILITY else "")
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
    for table, figures in scores["dda"].items():
        assert figures["accuracy"] >= DDA_FLOOR, f"{name}.{table}: DDA {figures['accuracy']:.3f} < {DDA_FLOOR}"


@pytest.mark.reproduction
def test_utility_no_worse_than_before(scored):
    name, scores = scored
    if "utility" not in scores:
        pytest.skip(f"{name} has no utility task in the paper")
    (figures,) = scores["utility"].values()
    if name == "rossmann_subsampled":
        pytest.skip("Rossmann's utility has no before-figure to stay within; it is reported, not asserted")
    if figures["higher_is_better"]:
        assert figures["synthetic"] >= MIN_AUC, f"{name}: AUC {figures['synthetic']:.3f} < {MIN_AUC}"
    else:
        assert figures["synthetic"] <= MAX_RMSE, f"{name}: RMSE {figures['synthetic']:.0f} > {MAX_RMSE:.0f}"


@pytest.mark.reproduction
def test_no_sign_of_memorisation(scored):
    name, scores = scored
    for table, figures in scores["dcr"].items():
        assert figures["score"] >= MIN_DCR, f"{name}.{table}: DCR {figures['score']:.3f} < {MIN_DCR}"


@pytest.mark.reproduction
def test_no_more_copied_rows_than_real_rows_share(scored):
    name, scores = scored
    for table, figures in scores["copying"]["rows"].items():
        assert figures["synthetic"] <= figures["real_halves"] + COPY_MARGIN, \
            f"{name}.{table}: {figures['synthetic']:.1%} rows equal a real row, real halves {figures['real_halves']:.1%}"


@pytest.mark.reproduction
def test_every_table_passes_single_table_detection(scored):
    name, scores = scored
    for table, figures in scores["detection"]["single_table"].items():
        assert figures["accuracy"] <= MAX_SINGLE_TABLE, \
            f"{name}.{table}: single-table detection {figures['accuracy']:.3f} > {MAX_SINGLE_TABLE}"
