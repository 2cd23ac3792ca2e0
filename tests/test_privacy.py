"""The DCR privacy score: the exact pair probability, the encoding, and the directions that
matter (copies score low, fresh samples about 0.5, far-away noise near 1)."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from syntherela.metadata import Metadata

from syntherela_rgcd.demo import METADATA, build_demo_tables
from syntherela_rgcd.errors import DataError
from syntherela_rgcd.evaluation.privacy import (
    RowEncoder,
    dcr_score,
    evaluate_privacy,
    modelled_columns,
    plot_dcr_histogram,
    split_rows,
    table_rng,
)

sys.path.insert(0, str(Path(__file__).parent / "rgcd"))
from rgcd_helpers import load_shared, make_metadata  # noqa: E402

AIRBNB = "airbnb-simplified_subsampled"


PEOPLE = make_metadata({"people": ("pid", {"pid": "id", "height": "numerical", "colour": "categorical",
                                          "member": "boolean", "joined": "datetime"})})


def people(n: int, seed: int) -> pd.DataFrame:
    """Rows from one fixed distribution (a new ``seed`` is a fresh sample of it), with gaps."""
    rng = np.random.default_rng(seed)
    colour = rng.choice(["red", "green", "blue", "black"], size=n, p=[0.4, 0.3, 0.2, 0.1])
    height = rng.normal(170, 10, n) + np.where(colour == "red", 8.0, 0.0)
    height[rng.random(n) < 0.1] = np.nan
    return pd.DataFrame({
        "pid": np.arange(n),
        "height": height,
        "colour": colour,
        "member": rng.random(n) < 0.3,
        "joined": pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 1500, n), unit="D"),
    })


def score(real: pd.DataFrame, synthetic: pd.DataFrame, **kwargs) -> float:
    return evaluate_privacy({"people": real}, {"people": synthetic}, PEOPLE, **kwargs)["people"]["score"]


# --------------------------------------------------------------------------------------
# dcr_score
# --------------------------------------------------------------------------------------


def test_dcr_score_extremes_and_ties():
    assert dcr_score(np.array([0.0, 0.1, 0.2]), np.array([1.0, 2.0])) == 1.0
    assert dcr_score(np.array([1.0, 2.0]), np.array([0.0, 0.1, 0.2])) == 0.0
    same = np.array([0.3, 0.3, 0.7])
    assert dcr_score(same, same) == 0.5
    # holdout 1 < 2, 2 ties, 3 > 2: (1 + 0.5) / 3
    assert dcr_score(np.array([3.0, 1.0, 2.0]), np.array([2.0])) == pytest.approx(0.5)
    assert dcr_score(np.array([1.0, 2.0, 3.0, 4.0]), np.array([2.5, 0.0])) == pytest.approx((2 + 0) / 8)


def test_dcr_score_matches_counting_every_pair():
    rng = np.random.default_rng(3)
    holdout, synthetic = rng.integers(0, 6, 40).astype(float), rng.integers(0, 6, 30).astype(float)
    pairs = (holdout[:, None] < synthetic[None, :]) + 0.5 * (holdout[:, None] == synthetic[None, :])
    assert dcr_score(holdout, synthetic) == pytest.approx(pairs.mean())


def test_dcr_score_rejects_empty_input():
    with pytest.raises(ValueError):
        dcr_score(np.array([]), np.array([1.0]))


# --------------------------------------------------------------------------------------
# Encoding
# --------------------------------------------------------------------------------------


def test_encoder_unseen_levels_out_of_range_values_and_gaps():
    columns = {"height": "numerical", "colour": "categorical", "member": "boolean"}
    train = pd.DataFrame({"height": [150.0, 160.0, 170.0, 180.0], "colour": ["red", "red", "blue", "green"],
                          "member": [True, False, True, True]})
    encoder = RowEncoder(columns).fit(train)
    other = pd.DataFrame({"height": [180.0 + 30.0, np.nan], "colour": ["purple", "red"], "member": ["True", False]})
    encoded = encoder.transform(other)
    # height: rank 1 plus one real range (30) beyond the maximum; then the missing indicator
    assert encoded[0, :2] == pytest.approx([2.0, 0.0])
    assert encoded[1, :2] == pytest.approx([0.5, 1.0])
    colour = encoded[:, 2:5]  # levels by frequency: red, blue, green
    assert (colour[0] == 0).all(), "an unseen level is all zeros"
    assert colour[1] == pytest.approx([2 ** -0.5, 0, 0])
    member = encoded[:, 5:]
    assert member[0] == pytest.approx([2 ** -0.5, 0]), "'True' read back from a CSV is the level True"
    assert not np.isnan(encoded).any()


def test_declared_but_unseen_category_is_unseen():
    """A pandas categorical declares levels the training half may never show; those are
    unseen (all zeros), not levels of their own."""
    dtype = pd.CategoricalDtype(["a", "b", "c"])
    encoder = RowEncoder({"letter": "categorical"}).fit(pd.DataFrame({"letter": pd.Series(["a", "b"], dtype=dtype)}))
    encoded = encoder.transform(pd.DataFrame({"letter": pd.Series(["c", "a"], dtype=dtype)}))
    assert encoded.shape == (2, 2)
    assert (encoded[0] == 0).all() and encoded[1] == pytest.approx([2 ** -0.5, 0])


def test_modelled_columns_drop_keys():
    demo = Metadata.load_from_dict(METADATA)
    assert modelled_columns(demo, "purchases") == {"amount": "numerical", "items": "numerical",
                                                   "timestamp": "datetime", "returned": "boolean"}


# --------------------------------------------------------------------------------------
# Directions
# --------------------------------------------------------------------------------------


def test_fresh_sample_from_the_same_distribution_scores_about_half():
    assert score(people(3000, seed=1), people(3000, seed=2), repeats=3) == pytest.approx(0.5, abs=0.04)


def test_copy_of_the_training_half_is_caught():
    """What DCR measures directly: rows that are in the training half sit at distance 0."""
    real = people(2000, seed=1)
    train = split_rows(real, real, table_rng(0, "people", 0), max_rows=10_000).train
    assert score(real, train, repeats=1, seed=0) < 0.05


def test_copy_of_the_whole_real_table_scores_about_a_quarter():
    """The leak a benchmark sees: a generator fitted on all real rows that gives them back. Half
    the copies are training rows (distance 0), the other half are holdout rows (scored like
    the holdout, 0.5), so the score is about 0.25, well below a fresh sample's 0.5."""
    real = people(2000, seed=1)
    assert score(real, real.copy()) == pytest.approx(0.25, abs=0.03)


def test_copy_of_the_holdout_half_is_invisible():
    """From the metric's side a holdout row is an unseen real row, so copying the holdout
    scores 0.5: DCR can only see memorisation of rows in its training half."""
    real = people(2000, seed=1)
    holdout = split_rows(real, real, table_rng(0, "people", 0), max_rows=10_000).holdout
    assert score(real, holdout, repeats=1, seed=0) == pytest.approx(0.5, abs=0.01)


def test_noise_far_from_the_data_scores_near_one():
    rng = np.random.default_rng(5)
    n = 1000
    noise = pd.DataFrame({
        "pid": np.arange(n),
        "height": rng.uniform(-1e5, 1e5, n),
        "colour": rng.choice(["mauve", "teal"], n),
        "member": rng.random(n) < 0.5,
        "joined": pd.Timestamp("1900-01-01") + pd.to_timedelta(rng.integers(0, 10_000, n), unit="D"),
    })
    assert score(people(2000, seed=1), noise, repeats=2) > 0.95


# --------------------------------------------------------------------------------------
# Contract
# --------------------------------------------------------------------------------------


def test_deterministic_per_seed_and_json_serialisable():
    real, synthetic = people(800, seed=1), people(800, seed=2)
    first = evaluate_privacy({"people": real}, {"people": synthetic}, PEOPLE, seed=7, repeats=3)
    again = evaluate_privacy({"people": real}, {"people": synthetic}, PEOPLE, seed=7, repeats=3)
    other = evaluate_privacy({"people": real}, {"people": synthetic}, PEOPLE, seed=8, repeats=3)
    assert first == again
    assert first["people"]["score"] != other["people"]["score"]
    entry = json.loads(json.dumps(first, allow_nan=False))["people"]
    assert set(entry) == {"score", "se", "n_train", "n_holdout", "n_synthetic", "median_distance"}
    assert set(entry["median_distance"]) == {"synthetic", "holdout", "train"}
    assert (entry["n_train"], entry["n_holdout"], entry["n_synthetic"]) == (400, 400, 800)
    assert entry["se"] > 0


def test_max_rows_subsamples_every_set():
    result = evaluate_privacy({"people": people(900, seed=1)}, {"people": people(700, seed=2)}, PEOPLE,
                              repeats=2, max_rows=200)["people"]
    assert (result["n_train"], result["n_holdout"], result["n_synthetic"]) == (200, 200, 200)


def test_key_only_table_is_skipped():
    metadata = make_metadata(
        {"papers": ("paper_id", {"paper_id": "id", "topic": "categorical"}),
         "cites": ("cite_id", {"cite_id": "id", "paper_id": "id"})},
        [("papers", "cites", "paper_id")],
    )
    papers = pd.DataFrame({"paper_id": range(40), "topic": ["a", "b", "c", "d"] * 10})
    cites = pd.DataFrame({"cite_id": range(60), "paper_id": [i % 40 for i in range(60)]})
    tables = {"papers": papers, "cites": cites}
    result = evaluate_privacy(tables, tables, metadata, repeats=2)
    assert list(result) == ["papers"]


def test_missing_synthetic_column_is_a_data_error():
    real = people(100, seed=1)
    with pytest.raises(DataError) as error:
        score(real, real.drop(columns=["colour"]))
    message = str(error.value)
    assert "people" in message and "colour" in message and "\n" not in message


def test_histogram_png_is_written(tmp_path):
    plots = tmp_path / "plots"
    evaluate_privacy({"people": people(300, seed=1)}, {"people": people(300, seed=2)}, PEOPLE, repeats=2,
                     plot_dir=plots)
    png = plots / "dcr_people.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 5_000


def test_plot_takes_plain_distances(tmp_path):
    rng = np.random.default_rng(0)
    distances = {"synthetic": rng.random(50), "holdout": rng.random(50), "train": rng.random(50)}
    path = plot_dcr_histogram(distances, tmp_path / "one.png")
    assert path.stat().st_size > 5_000


# --------------------------------------------------------------------------------------
# Realistic data
# --------------------------------------------------------------------------------------


def test_demo_database():
    """The demo against a fresh demo (another seed of its generator) and against itself."""
    metadata = Metadata.load_from_dict(METADATA)
    real = build_demo_tables()
    fresh = evaluate_privacy(real, build_demo_tables(seed=1), metadata, repeats=3)
    copied = evaluate_privacy(real, real, metadata, repeats=3)
    print({t: round(r["score"], 3) for t, r in fresh.items()}, {t: round(r["score"], 3) for t, r in copied.items()})
    assert set(fresh) == {"stores", "customers", "purchases"}
    for table, result in fresh.items():
        assert 0.3 < result["score"] < 0.7, (table, result)
    # purchases have continuous amounts and times, so real rows are rarely duplicates
    assert copied["purchases"]["score"] == pytest.approx(0.25, abs=0.03)
    assert copied["purchases"]["median_distance"]["synthetic"] == 0.0


@pytest.mark.slow
def test_airbnb_half_against_half(tmp_path):
    """AirBnB split in two: one half is the real data, the other plays the synthetic sample,
    which is what an ideal generator would give (score about 0.5)."""
    tables, metadata = load_shared(AIRBNB)
    real, synthetic = {}, {}
    for name, table in tables.items():
        order = np.random.default_rng(1).permutation(len(table))
        real[name] = table.iloc[np.sort(order[: len(table) // 2])]
        synthetic[name] = table.iloc[np.sort(order[len(table) // 2:])]
    start = time.perf_counter()
    result = evaluate_privacy(real, synthetic, metadata, plot_dir=tmp_path)
    seconds = time.perf_counter() - start
    print(f"AirBnB DCR in {seconds:.1f}s:", json.dumps(result, indent=1))
    assert set(result) == {"users", "sessions"}
    for table, entry in result.items():
        assert entry["score"] == pytest.approx(0.5, abs=0.03), table
        assert (tmp_path / f"dcr_{table}.png").stat().st_size > 5_000
