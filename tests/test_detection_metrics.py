"""The ``detection`` metric group: SyntheRela's other detection metrics, scored and summarised
per table (children included), per parent-child pair and for the denormalised join."""

from syntherela.metadata import Metadata

from syntherela_rgcd.demo import METADATA, build_demo_tables
from syntherela_rgcd.evaluation.fidelity import run_report, summarise
from syntherela_rgcd.evaluation.scoring import parse_metrics


def test_detection_scores_every_table_and_relationship_and_finds_what_changed():
    metadata = Metadata.load_from_dict(METADATA)
    real = build_demo_tables()
    synthetic = {t: frame.copy() for t, frame in real.items()}
    synthetic["purchases"]["amount"] = synthetic["purchases"]["amount"] * 3 + 100  # a child table gives it away
    assert parse_metrics("dda,detection") == ["dda", "detection"]
    summary = summarise(run_report(real, synthetic, metadata, ["detection"], "demo", "test", "r", "s").results)
    detection = summary["detection"]
    assert set(detection["single_table"]) == {"stores", "customers", "purchases"}
    assert detection["single_table"]["purchases"]["accuracy"] > 0.9
    assert detection["single_table"]["stores"]["accuracy"] < 0.65, "an unchanged table is not told apart"
    pairs = {"customers_purchases_customer_id", "stores_purchases_store_id"}
    assert set(detection["parent_child"]) == pairs and set(detection["parent_child_aggregation"]) == pairs
    assert detection["parent_child"]["stores_purchases_store_id"]["accuracy"] > 0.9
    assert detection["denormalized"]["accuracy"] > 0.9
    assert "dda" not in summary
