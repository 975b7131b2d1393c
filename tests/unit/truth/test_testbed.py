"""Regime statistics of the ground truth on hand-made matrices and prediction files."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from dataprophet.stats.baselines import own_source_first, source_main_effect
from dataprophet.truth.testbed import constant_share, model_label, own_source_best, regime

NAMES = ["a", "b", "c"]


def _frame(values):
    return pd.DataFrame(values, index=NAMES, columns=NAMES, dtype=float)


def test_constant_share_normalises_case_and_trailing_period():
    assert constant_share(["Red.", "red", " RED", "blue"]) == 0.75
    assert np.isnan(constant_share([]))


def test_model_label_from_the_evaluation_folder(tmp_path):
    assert model_label(tmp_path / "eval" / "base" / "predictions.parquet") == "base"
    assert model_label(tmp_path / "eval" / "seed2" / "ocr" / "predictions.parquet") == "seed2/ocr"


def test_own_source_best_allows_a_gap_within_noise():
    delta = _frame([[0.30, 0.0, 0.0], [0.35, 0.2, 0.0], [0.0, 0.3, 0.1]])
    se = _frame(np.full((3, 3), 0.02))
    # a: 0.35 beats 0.30 by 0.05 > 2 * sqrt(2) * 0.02 = 0.057? no: 0.05 <= 0.0566, within noise
    # b: 0.3 beats 0.2 by 0.1: not; c: 0.1 is the column max: yes
    assert own_source_best(delta, se, 2.0) == {"a": True, "b": False, "c": True}
    unknown = _frame(np.full((3, 3), np.nan))
    assert own_source_best(delta, unknown, 2.0) == {"a": False, "b": False, "c": True}


def test_source_main_effect_leaves_out_the_target_and_the_source_itself():
    delta = _frame([[9.0, 1.0, 3.0], [2.0, 9.0, 4.0], [5.0, 6.0, 9.0]])
    main = source_main_effect(delta)
    assert main.loc["a", "b"] == 3.0  # a's Delta on c only
    assert main.loc["b", "a"] == 4.0  # b's Delta on c only
    assert main.loc["c", "a"] == 6.0  # c's Delta on b only


def test_own_source_first_ranks_the_diagonal_alone():
    frame = own_source_first(NAMES, ["b", "c"])
    assert frame.to_dict() == {"b": {"a": 0, "b": 1, "c": 0}, "c": {"a": 0, "b": 0, "c": 1}}


def test_regime_counts_off_diagonal_signs_and_aims():
    delta = _frame([[0.5, 0.1, -0.2], [0.2, 0.4, 0.1], [0.1, 0.05, 0.3]])
    se = _frame(np.full((3, 3), 0.04))
    shares = pd.DataFrame(
        {"a": [0.1, 0.3, 0.2, 0.9], "b": [0.2, 0.2, 0.25, 0.3], "c": [0.5, 0.5, 0.5, 0.5]},
        index=["references", "base", "seed0/a", "seed0/b"],
    )
    base = pd.Series({"a": 0.5, "b": 0.1, "c": 0.9})
    stats = regime(delta, se, base, shares, {"ceiling_tau_tgt": 0.8, "ceiling_tau_src": 0.7}, 2.0)
    assert stats["off_diagonal_positive_share"] == pytest.approx(5 / 6)
    # beyond 2 * 0.04 = 0.08: 0.1, 0.2, 0.1, 0.1 positive; -0.2 negative; 0.05 within noise
    assert stats["off_diagonal_positive_beyond_noise_share"] == pytest.approx(4 / 6)
    assert stats["off_diagonal_negative_beyond_noise_share"] == pytest.approx(1 / 6)
    assert stats["own_source_best"] == 3
    assert stats["constant_share_gap_max"] == {"a": 0.8, "b": 0.1, "c": 0.0}
    assert stats["aims"]["constant_share_gap_max<=0.15"] == 2
    assert stats["aims"]["base_score_in_[0.2,0.8]"] == 1
    assert stats["aims"]["ceiling_tau_tgt>=0.75"] is True
    json.dumps(stats)  # the statistics are plain JSON


def test_ablation_table_has_the_baselines_and_no_tau_src_for_the_main_effect():
    from dataprophet.analysis.ablations import MAIN_EFFECT_BASELINE, OWN_SOURCE_BASELINE, ablation_table

    rng = np.random.default_rng(0)
    names = list("abcde")
    truth = pd.DataFrame(rng.normal(size=(5, 5)), index=names, columns=names)
    for k in range(5):
        truth.iloc[k, k] += 5  # every target's own source is clearly best
    terms = pd.DataFrame(
        [
            {
                "source": s,
                "target": t,
                "qsim": 1.0,
                "asim": 1.0,
                "isim": 1.0,
                "qasim": 1.0,
                "ppl_source": 1.0,
                "ppl_target": 1.0,
                "diversity": 1.0 + rng.uniform(),
            }
            for s in names
            for t in names
        ]
    )
    table = ablation_table(truth, terms, {n: n for n in names}, n_boot=100).set_index("variant")
    assert "centred text embeddings" not in table.index  # these terms lack the centred columns
    assert table.loc[OWN_SOURCE_BASELINE, "tau_tgt"] > 0.5
    assert np.isnan(table.loc[MAIN_EFFECT_BASELINE, "tau_src"]) and np.isfinite(
        table.loc[MAIN_EFFECT_BASELINE, "tau_tgt"]
    )
