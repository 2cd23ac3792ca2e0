"""Sibling rules: detection from the real data, repeat-free and shared decoding."""

import numpy as np
import pandas as pd

from syntherela_rgcd.rgcd.sibling_values import assign_distinct, assign_shared, find_sibling_rules, group_ids, is_unique_within


def test_group_ids_split_by_key_and_isolate_missing_keys():
    keys = pd.Series([1, 1, 2, None, None], dtype="Int64")
    ids = group_ids(keys)
    assert list(ids[:3]) == [0, 0, 1]
    assert len(set(ids[3:])) == 2 and not set(ids[3:]) & set(ids[:3])


def test_uniqueness_needs_shared_groups():
    # every row alone in its group: trivially unique, so not a rule
    assert not is_unique_within(np.arange(5), np.zeros(5, dtype=int))
    assert is_unique_within(np.array([0, 0, 1, 1]), np.array([3, 4, 3, 4]))
    assert not is_unique_within(np.array([0, 0, 1, 1]), np.array([3, 3, 3, 4]))


def test_find_sibling_rules_names_unique_columns_and_skips_missing_indicators():
    paper = pd.Series([1, 1, 1, 2, 2, 3])
    word = np.array([[5, 6, 7, 5, 6, 5]]).T  # unique per paper
    topic = np.array([[0, 1, 0, 2, 3, 1]]).T  # repeats in paper 1, varies otherwise
    found = find_sibling_rules(np.hstack([word, topic, word]), ["word", "topic", None], {"paper": paper})
    assert [(u.column, u.kind) for u in found] == [("word", "unique")]


def test_assign_distinct_never_repeats_within_a_group_and_keeps_confident_choices():
    rng = np.random.default_rng(0)
    groups = rng.integers(0, 40, 400)
    logits = rng.normal(size=(400, 30))
    logits[:, 0] += 3.0  # plain argmax would give most rows category 0
    codes = assign_distinct(logits, groups)
    assert not pd.DataFrame({"g": groups, "c": codes}).duplicated().any()
    assert (logits.argmax(1) == 0).mean() > 0.5
    # in every group, the row most sure of category 0 keeps it
    for g in np.unique(groups):
        rows = np.flatnonzero(groups == g)
        probs = np.exp(logits[rows]) / np.exp(logits[rows]).sum(1, keepdims=True)
        best = rows[np.argmax(probs[:, 0])]
        if logits[best].argmax() == 0:
            assert codes[best] == 0


def test_assign_distinct_falls_back_to_argmax_for_rows_beyond_the_categories():
    logits = np.array([[2.0, 0.0], [1.0, 0.0], [0.0, 3.0]])
    codes = assign_distinct(logits, np.zeros(3, dtype=int))
    assert sorted(codes[[0, 2]]) == [0, 1] and codes[1] == 0


def test_a_mostly_constant_column_becomes_a_shared_rule_with_its_real_share():
    user = pd.Series(np.repeat(np.arange(10), 3))
    device = np.repeat(np.arange(10) % 3, 3)
    device[[0, 3]] = 2  # users 0 and 1 switch device once: 8 of 10 users keep one device
    (rule,) = find_sibling_rules(device[:, None], ["device"], {"user": user})
    assert (rule.kind, rule.share) == ("shared", 0.8)


def test_assign_shared_gives_a_group_one_category_as_often_as_the_share_says():
    rng = np.random.default_rng(0)
    groups = np.repeat(np.arange(500), 4)
    logits = rng.normal(size=(2000, 6))
    always = assign_shared(logits, groups, 1.0, np.random.default_rng(1))
    assert (pd.Series(always).groupby(groups).nunique() == 1).all()
    # the shared category is the one most likely for the group as a whole
    log_prob = logits - np.log(np.exp(logits).sum(1, keepdims=True))
    assert always[0] == log_prob[:4].sum(0).argmax()
    half = assign_shared(logits, groups, 0.5, np.random.default_rng(1))
    constant = (pd.Series(half).groupby(groups).nunique() == 1).mean()
    assert 0.4 < constant < 0.65
