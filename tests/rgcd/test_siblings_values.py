"""Distinct values per parent: rules learnt from the real data, calibrated decoding."""

import numpy as np
import pandas as pd

from syntherela_rgcd.rgcd.schema import group_ids
from syntherela_rgcd.rgcd.siblings.values import (
    SiblingRule,
    apply_rule,
    assign_distinct_count,
    find_sibling_rules,
    target_distinct,
)


def _distinct_per_group(codes: np.ndarray, groups: np.ndarray) -> pd.Series:
    return pd.Series(codes).groupby(groups).nunique()


def test_group_ids_split_by_key_and_isolate_missing_keys():
    keys = pd.Series([1, 1, 2, None, None], dtype="Int64")
    ids = group_ids(keys)
    assert list(ids[:3]) == [0, 0, 1]
    assert len(set(ids[3:])) == 2 and not set(ids[3:]) & set(ids[:3])


def test_rules_record_real_group_sizes_and_distinct_counts_and_skip_missing_indicators():
    paper = pd.Series([1, 1, 1, 2, 2, 3])
    word = np.array([[5, 6, 7, 5, 6, 5]]).T  # unique per paper
    topic = np.array([[0, 0, 0, 2, 3, 1]]).T  # one value in paper 1, two in paper 2
    found = find_sibling_rules(np.hstack([word, topic, word]), ["word", "topic", None], {"paper": paper})
    assert [(r.column, r.foreign_key, r.sizes, r.distinct) for r in found] == [
        ("word", "paper", [3, 2], [3, 2]), ("topic", "paper", [3, 2], [1, 2])]


def test_no_rule_where_siblings_are_rare_and_the_key_with_most_siblings_wins():
    alone = pd.Series(np.arange(10))
    assert find_sibling_rules(np.zeros((10, 1), dtype=int), ["c"], {"id": alone}) == []
    pairs = pd.Series(np.repeat(np.arange(5), 2))
    (rule,) = find_sibling_rules(np.zeros((10, 1), dtype=int), ["c"], {"id": alone, "pair": pairs})
    assert rule.foreign_key == "pair"


def test_assign_distinct_count_gives_exactly_the_target_with_least_loss():
    rng = np.random.default_rng(0)
    log_prob = np.log(rng.dirichlet(np.ones(12), size=30))
    for target in (1, 2, 5, 12):
        codes = assign_distinct_count(log_prob, target)
        assert len(np.unique(codes)) == target
    # all distinct: the most confident row keeps its first choice
    codes = assign_distinct_count(log_prob[:6], 6)
    best_row, best_value = divmod(int(np.argmax(log_prob[:6])), 12)
    assert len(np.unique(codes)) == 6 and codes[best_row] == best_value
    # one value: the one most likely for the rows together
    assert (assign_distinct_count(log_prob, 1) == log_prob.sum(0).argmax()).all()
    # the argmax already has the target: nothing changes
    argmax = log_prob.argmax(1)
    assert (assign_distinct_count(log_prob, len(np.unique(argmax))) == argmax).all()


def test_target_counts_follow_the_real_distribution_and_keep_the_models_order():
    real_sizes = np.full(100, 10)
    real_distinct = np.r_[np.full(80, 1), np.full(20, 10)]  # 80 % constant, 20 % all distinct
    rule = SiblingRule("device", 0, "user", real_sizes.tolist(), real_distinct.tolist())
    model = np.arange(1, 11).repeat(10)  # the model's own counts: 1 to 10
    target = target_distinct(model, np.full(100, 10), rule, np.random.default_rng(0))
    assert (target == 1).mean() == 0.8 and (target == 10).mean() == 0.2
    assert (target[model >= 9] == 10).all() and (target[model <= 8] == 1).all()


def test_walmart_like_panels_get_the_real_number_of_departments():
    """Real stores list ~20 departments week after week (5 rows each); a model whose rows
    concentrate on a few departments is decoded to the real count."""
    rng = np.random.default_rng(1)
    stores = np.repeat(np.arange(30), 100)
    real_codes = np.concatenate([rng.choice(60, 20, replace=False).repeat(5) for _ in range(30)])
    (rule,) = find_sibling_rules(real_codes[:, None], ["dept"], {"store": pd.Series(stores)})
    logits = rng.normal(size=(3000, 60))
    logits[:, :8] += 2.5  # the model favours 8 departments everywhere
    plain = _distinct_per_group(logits.argmax(1), stores)
    decoded = _distinct_per_group(apply_rule(rule, logits, stores, np.random.default_rng(0)), stores)
    assert plain.mean() < 17
    assert (decoded == 20).all()


def test_unique_and_constant_columns_stay_so():
    rng = np.random.default_rng(2)
    groups = np.repeat(np.arange(50), 4)
    unique_rule = SiblingRule("word", 0, "paper", [4] * 50, [4] * 50)
    constant_rule = SiblingRule("device", 0, "user", [4] * 50, [1] * 50)
    logits = rng.normal(size=(200, 6))
    codes = apply_rule(unique_rule, logits, groups, np.random.default_rng(0))
    assert not pd.DataFrame({"g": groups, "c": codes}).duplicated().any()
    assert (_distinct_per_group(apply_rule(constant_rule, logits, groups, np.random.default_rng(0)), groups) == 1).all()
