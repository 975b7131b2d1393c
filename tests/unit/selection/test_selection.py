"""Budget allocation and per-sample selection (docs/method.md, section 6): hand-worked cases."""

from __future__ import annotations

import math
import re
import warnings

import numpy as np
import pandas as pd
import pytest

from dataprophet.selection.budget import (
    METHODS,
    AllocationError,
    AllocationWarning,
    SelectionError,
    allocate,
    allocation_table,
    per_sample_scores,
    select_top_k,
)

DATASETS = [
    "OCR-VQA",
    "ScreenQA",
    "ChartQA",
    "Chart2Text",
    "DocVQA",
    "FinanceQA",
    "A-OKVQA",
    "VC-GVQA",
    "Open-Spatial",
    "CLEVR-Relation",
    "CLEVR-Counting",
    "TallyQA",
    "GeomVerse",
    "MapQA",
]


def s(values, names=None, name=None):
    names = names or list("abcdefghijklmnop"[: len(values)])
    return pd.Series(values, index=pd.Index(names, name="source"), name=name, dtype=float)


def as_dict(series):
    return {k: int(v) for k, v in series.items()}


# --------------------------------------------------------------------------- uniform


def test_uniform_paper_budget_gives_20k_each():
    # 280 / 14 = 20 exactly, no remainder (the paper's 280K = 14 x 20K, scaled by 1/1000).
    out = allocate(s(np.random.default_rng(0).random(14), DATASETS), 280, "uniform")
    assert out.tolist() == [20] * 14
    assert list(out.index) == DATASETS
    assert out.dtype == np.int64


def test_uniform_remainder_goes_by_name_not_position():
    # 10 / 3 = 3.333...: floors 3 + 3 + 3 = 9, one left over; fractional parts tie (1/3
    # each, exactly, thanks to rational arithmetic), so the tie rule picks name "a".
    assert allocate(s([1, 1, 1], ["a", "b", "c"]), 10, "uniform").tolist() == [4, 3, 3]
    # Same sources listed in reverse: still "a" gets the extra sample, output keeps input order.
    out = allocate(s([1, 1, 1], ["c", "b", "a"]), 10, "uniform")
    assert as_dict(out) == {"c": 3, "b": 3, "a": 4}
    assert list(out.index) == ["c", "b", "a"]


def test_uniform_ignores_weight_values():
    # Wildly different (even zero) weights: uniform still splits 9 as 3/3/3.
    assert allocate(s([100.0, 0.0, 1e-9]), 9, "uniform").tolist() == [3, 3, 3]


# --------------------------------------------------------------------------- dataprophet


def test_dataprophet_proportional():
    # m = [3, 1], sum 4: 8 * 3/4 = 6, 8 * 1/4 = 2 (exact, and equal to plain round()).
    assert allocate(s([3, 1]), 8, "dataprophet").tolist() == [6, 2]


def test_largest_remainder_fixes_rounding_that_overshoots():
    # m = [13, 13, 14], sum 40, N = 5: quotas 1.625, 1.625, 1.75.
    # Plain round: 2 + 2 + 2 = 6 != 5.
    # Largest remainder: floors 1 + 1 + 1 = 3, 2 left; fractions .75 (c) > .625 = .625 (a, b),
    # so c gets one, then the a/b tie goes to "a" by name -> [2, 1, 2].
    quotas = [5 * w / 40 for w in (13, 13, 14)]
    assert sum(round(q) for q in quotas) == 6  # the bug being avoided
    assert allocate(s([13, 13, 14]), 5, "dataprophet").tolist() == [2, 1, 2]


def test_largest_remainder_fixes_rounding_that_undershoots():
    # Four equal weights, N = 10: quotas 2.5 each. Python's round (half to even) gives 2 each
    # = 8, half-up gives 3 each = 12; neither is 10. Largest remainder: floors 8, 2 left,
    # all fractions .5 tie -> "a", "b" by name -> [3, 3, 2, 2].
    assert sum(round(2.5) for _ in range(4)) == 8
    assert allocate(s([1, 1, 1, 1]), 10, "dataprophet").tolist() == [3, 3, 2, 2]


def test_largest_remainder_properties_random():
    # Sums to the budget, each count within 1 of its exact quota, and equals plain round()
    # whenever plain round() happens to sum to the budget.
    rng = np.random.default_rng(1)
    agreed = 0
    for _ in range(200):
        n = int(rng.integers(2, 15))
        w = rng.random(n) * rng.choice([1e-3, 1.0, 1e3])
        budget = int(rng.integers(n, 1000))
        out = allocate(s(w, [f"s{i:02d}" for i in range(n)]), budget, "dataprophet").to_numpy()
        quota = budget * w / w.sum()
        assert out.sum() == budget
        assert (np.abs(out - quota) < 1 + 1e-9).all()
        plain = np.floor(quota + 0.5)
        if plain.sum() == budget:
            agreed += 1
            assert (out == plain).all()
    assert agreed > 20  # the agreement branch was exercised


def test_dataprophet_zero_weight_source_gets_nothing():
    # m = [1, 0, 3], N = 8: 2, 0, 6.
    assert allocate(s([1, 0, 3]), 8, "dataprophet").tolist() == [2, 0, 6]


def test_dataprophet_negative_score_raises_naming_source():
    with pytest.raises(AllocationError, match=r"negative DataProphet score.*'b'"):
        allocate(s([1.0, -0.5, 2.0]), 8, "dataprophet")


def test_dataprophet_all_zero_raises():
    with pytest.raises(AllocationError, match="all DataProphet scores are zero"):
        allocate(s([0.0, 0.0]), 8, "dataprophet")


# --------------------------------------------------------------------------- oracle


def test_oracle_clips_negative_delta():
    # Delta = [0.75, 0.25, -0.5] -> clipped [0.75, 0.25, 0], sum 1: 8 * .75 = 6, 8 * .25 = 2, 0.
    # (Unclipped the sum would be 0.5 and the counts 12, 4, -8.)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # clipping alone must not warn
        out = allocate(s([0.75, 0.25, -0.5]), 8, "oracle")
    assert out.tolist() == [6, 2, 0]


def test_oracle_all_nonpositive_falls_back_to_uniform():
    # No source helped (max Delta = 0): nothing to reweight by -> uniform 9 / 3 = 3 each.
    with pytest.warns(AllocationWarning, match="falling back to the uniform"):
        out = allocate(s([-0.1, -0.2, 0.0]), 9, "oracle")
    assert out.tolist() == [3, 3, 3]


# --------------------------------------------------------------------------- pool caps


def test_pool_cap_redistributes_in_proportion():
    # w = [4, 3, 1], N = 16: quotas 8, 6, 2. Pool a = 4 caps a at 4; its excess goes to b, c
    # in proportion 3 : 1: remaining 12 -> 9, 3. Result [4, 9, 3] (sum 16).
    pools = pd.Series({"a": 4, "b": 100, "c": 100})
    assert allocate(s([4, 3, 1]), 16, "dataprophet", pools).tolist() == [4, 9, 3]
    # Without the cap: the plain proportional split.
    assert allocate(s([4, 3, 1]), 16, "dataprophet").tolist() == [8, 6, 2]


def test_pool_cap_cascades():
    # As above but pool b = 8: after a is capped, b's quota 9 > 8, so b is capped too and
    # c takes the rest: 16 - 4 - 8 = 4 (<= its pool 100). Result [4, 8, 4].
    pools = pd.Series({"a": 4, "b": 8, "c": 100, "unused": 1})  # extra entries are ignored
    assert allocate(s([4, 3, 1]), 16, "dataprophet", pools).tolist() == [4, 8, 4]


def test_pool_cap_uniform():
    # Uniform 12 / 3 = 4 each, but a's pool is 2: the other 10 split evenly -> 5, 5.
    pools = pd.Series({"a": 2, "b": 50, "c": 50})
    assert allocate(s([1, 1, 1]), 12, "uniform", pools).tolist() == [2, 5, 5]


def test_pool_cap_spills_onto_zero_weight_sources_with_warning():
    # Oracle weights [1, 0, 0] (b, c clipped), N = 9, pool a = 3: a is capped at 3 and only
    # zero-weight sources have room, so the remaining 6 are spread evenly: 3, 3.
    pools = pd.Series({"a": 3, "b": 10, "c": 10})
    with pytest.warns(AllocationWarning, match="weight 0 after capping"):
        out = allocate(s([0.5, -0.1, -0.3]), 9, "oracle", pools)
    assert out.tolist() == [3, 3, 3]


def test_budget_above_total_pool_raises():
    # Pools 3 + 3 + 3 = 9 < 10.
    with pytest.raises(AllocationError, match=r"budget 10 exceeds the total pool 9"):
        allocate(s([1, 1, 1]), 10, "uniform", pd.Series({"a": 3, "b": 3, "c": 3}))


def test_pool_sizes_missing_source_raises():
    with pytest.raises(AllocationError, match=r"no entry for source\(s\) \['c'\]"):
        allocate(s([1, 1, 1]), 9, "uniform", pd.Series({"a": 5, "b": 5}))


def test_pool_sizes_invalid_raises():
    with pytest.raises(AllocationError, match="pool size of source 'b'"):
        allocate(s([1, 1]), 4, "uniform", pd.Series({"a": 5, "b": -1}))
    with pytest.raises(AllocationError, match="pool size of source 'a'"):
        allocate(s([1, 1]), 4, "uniform", pd.Series({"a": 2.5, "b": 5}))


# --------------------------------------------------------------------------- errors


def test_budget_below_number_of_sources_raises_naming_both():
    with pytest.raises(AllocationError) as err:
        allocate(s(np.ones(14), DATASETS), 10, "dataprophet")
    msg = str(err.value)
    assert re.search(r"\b10\b", msg) and re.search(r"\b14\b", msg), msg
    assert "at least one sample" in msg


@pytest.mark.parametrize("budget", [0, -5, 8.0, 7.5, True, "8", None])
def test_budget_must_be_positive_integer(budget):
    with pytest.raises(AllocationError, match="budget must be a positive integer"):
        allocate(s([1, 1]), budget, "uniform")


def test_numpy_integer_budget_accepted():
    assert allocate(s([3, 1]), np.int64(8), "dataprophet").tolist() == [6, 2]


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_non_finite_weight_raises_naming_source(method, bad):
    with pytest.raises(AllocationError, match=r"non-finite weight for source\(s\) 'b'"):
        allocate(s([1.0, bad, 2.0]), 9, method)


def test_unknown_method_lists_valid_ones():
    with pytest.raises(AllocationError, match=r"unknown method 'icons'.*uniform.*dataprophet.*oracle"):
        allocate(s([1, 1]), 4, "icons")


def test_empty_and_duplicate_weights_raise():
    with pytest.raises(AllocationError, match="empty"):
        allocate(pd.Series([], dtype=float), 4, "uniform")
    with pytest.raises(AllocationError, match=r"duplicate source.*'a'"):
        allocate(pd.Series([1.0, 2.0], index=["a", "a"]), 4, "uniform")


# --------------------------------------------------------------------------- allocation_table


def matrix():
    # Sources x targets; column t1 = [3, 1, 0], column t2 = [1, 1, 2].
    return pd.DataFrame(
        {"t1": [3.0, 1.0, 0.0], "t2": [1.0, 1.0, 2.0]},
        index=pd.Index(["a", "b", "c"], name="source"),
    )


def test_allocation_table_dataprophet():
    table = allocation_table(matrix(), 8, "dataprophet")
    # t1: 8 * [3, 1, 0] / 4 = [6, 2, 0]; t2: 8 * [1, 1, 2] / 4 = [2, 2, 4].
    assert table.shape == (3, 2)
    assert list(table.index) == ["a", "b", "c"] and list(table.columns) == ["t1", "t2"]
    assert table.index.name == "source" and table.columns.name == "target"
    assert table["t1"].tolist() == [6, 2, 0]
    assert table["t2"].tolist() == [2, 2, 4]
    assert (table.sum(axis=0) == 8).all()
    assert (table.dtypes == np.int64).all()


def test_allocation_table_uniform_and_pools():
    table = allocation_table(matrix(), 10, "uniform", pd.Series({"a": 2, "b": 9, "c": 9}))
    # 10 / 3 -> quotas 3.33; a capped at 2, remaining 8 split 4 / 4, in every column.
    assert table["t1"].tolist() == [2, 4, 4] and table["t2"].tolist() == [2, 4, 4]
    assert (table.sum(axis=0) == 10).all()


def test_allocation_table_errors_and_warnings_name_target():
    bad = matrix()
    bad.loc["b", "t2"] = float("nan")
    with pytest.raises(AllocationError, match=r"target 't2'.*'b'"):
        allocation_table(bad, 8, "dataprophet")
    delta = matrix() - 5.0  # t1 all negative, t2 all negative
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        table = allocation_table(delta, 9, "oracle")
    messages = [str(w.message) for w in caught if issubclass(w.category, AllocationWarning)]
    assert len(messages) == 2 and messages[0].startswith("target 't1'") and messages[1].startswith("target 't2'")
    assert (table.to_numpy() == 3).all()


# --------------------------------------------------------------------------- select_top_k


def test_select_top_k_ties_broken_by_id():
    scores = pd.Series({"u3": 0.5, "u1": 0.9, "u2": 0.5, "u0": 0.1})
    # Best is u1 (0.9); u2 and u3 tie at 0.5 -> u2 first by id.
    assert list(select_top_k(scores, 2)) == ["u1", "u2"]
    assert list(select_top_k(scores, 3)) == ["u1", "u2", "u3"]
    assert list(select_top_k(scores, 4)) == ["u1", "u2", "u3", "u0"]
    # Input order does not matter.
    assert list(select_top_k(scores.iloc[::-1], 2)) == ["u1", "u2"]


def test_select_top_k_numeric_ids_sort_numerically():
    # Ids 10 and 9 tie: numeric order puts 9 first (string order would put "10" first).
    scores = pd.Series([1.0, 1.0, 0.0], index=[10, 9, 1])
    assert list(select_top_k(scores, 1)) == [9]


@pytest.mark.parametrize("k", [0, -1, 5, 2.0, True])
def test_select_top_k_bad_k(k):
    with pytest.raises(SelectionError, match="k"):
        select_top_k(pd.Series({"a": 1.0, "b": 2.0, "c": 0.0, "d": 3.0}), k)


def test_select_top_k_nan_raises_naming_id():
    with pytest.raises(SelectionError, match=r"non-finite score.*'b'"):
        select_top_k(pd.Series({"a": 1.0, "b": float("nan")}), 1)


# --------------------------------------------------------------------------- per_sample_scores


def test_per_sample_scores_arithmetic():
    # u0: 0.5 * 0.4 * 0.5 * 2 / 4 = 0.1 * 0.5 = 0.05
    # u1: 0.8 * 0.5 * 0.25 * 4 / 4 = 0.1 * 1 = 0.1
    # u2: (-0.5) * (-0.4) * 1.0 * 8 / 4 = 0.2 * 2 = 0.4 (not clipped: two negatives make +)
    out = per_sample_scores([0.5, 0.8, -0.5], [0.4, 0.5, -0.4], [0.5, 0.25, 1.0], [2.0, 4.0, 8.0], 4.0)
    np.testing.assert_allclose(out, [0.05, 0.1, 0.4], rtol=1e-12)
    assert out.shape == (3,)


def test_per_sample_scores_feed_select_top_k():
    m = per_sample_scores([0.5, 0.8, 0.9], [0.4, 0.5, 0.9], [0.5, 0.25, 0.9], [2.0, 4.0, 1.0], 4.0)
    # m = [0.05, 0.1, 0.729 / 4 = 0.18225] -> top 2: x2, x1.
    assert list(select_top_k(pd.Series(m, index=["x0", "x1", "x2"]), 2)) == ["x2", "x1"]


@pytest.mark.parametrize(
    "args, pattern",
    [
        (([0.5, 0.5], [0.5], [0.5, 0.5], [2.0, 2.0], 1.0), r"asim has shape \(1,\)"),
        (([[0.5]], [0.5], [0.5], [2.0], 1.0), "qsim must be 1-D"),
        (([], [], [], [], 1.0), "empty"),
        (([0.5, 0.5], [0.5, 0.5], [0.5, 0.5], [2.0, 0.0], 1.0), r"ppl_sample must be positive; positions \[1\]"),
        (([0.5], [0.5], [0.5], [-2.0], 1.0), "ppl_sample must be positive"),
        (([0.5], [0.5], [0.5], [2.0], 0.0), "ppl_target must be a positive"),
        (([0.5], [0.5], [0.5], [2.0], [1.0]), "ppl_target must be a scalar"),
        (([0.5], [0.5], [0.5], [float("nan")], 1.0), "ppl_sample has non-finite"),
        (([0.5], [1.5], [0.5], [2.0], 1.0), r"asim must be a cosine"),
    ],
)
def test_per_sample_scores_validation(args, pattern):
    with pytest.raises(SelectionError, match=pattern):
        per_sample_scores(*args)


def test_errors_are_value_errors():
    assert issubclass(AllocationError, ValueError) and issubclass(SelectionError, ValueError)
    assert math.isclose(per_sample_scores([1.0], [1.0], [1.0], [3.0], 3.0)[0], 1.0)
