"""Delta, transfer summary and seed agreement on hand-worked matrices."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from dataprophet.io.matrices import MatrixError
from dataprophet.stats.kendall import per_source_tau, per_target_tau
from dataprophet.truth.agreement import leave_one_out, mean_over_seeds, pair_agreement, split_half
from dataprophet.truth.groundtruth import delta_matrix, score_table, transfer_summary


def _scores():
    per_model = {
        "base": {"a": 0.5, "b": 0.2},
        "a": {"a": 0.75, "b": 0.1},
        "b": {"a": 0.55, "b": 0.3},
    }
    return score_table(per_model, ["a", "b"], ["a", "b"])


def test_delta_is_relative_to_the_base_score():
    delta = delta_matrix(_scores())
    assert delta.loc["a", "a"] == pytest.approx(0.5)  # (0.75 - 0.5) / 0.5
    assert delta.loc["a", "b"] == pytest.approx(-0.5)  # (0.1 - 0.2) / 0.2
    assert delta.loc["b", "b"] == pytest.approx(0.5)
    assert list(delta.index) == ["a", "b"] and list(delta.columns) == ["a", "b"]


def test_zero_base_score_gives_undefined_delta_and_is_reported():
    scores = _scores()
    scores.loc["base", "b"] = 0.0
    delta = delta_matrix(scores)
    assert delta["b"].isna().all()
    assert transfer_summary(delta)["zero_base_targets"] == ["b"]


def test_transfer_summary_counts_signs():
    summary = transfer_summary(delta_matrix(_scores()))
    assert summary["diagonal_mean"] == pytest.approx(0.5)
    assert summary["off_diagonal_mean"] == pytest.approx((-0.5 + 0.1) / 2)
    assert summary["off_diagonal_positive_fraction"] == pytest.approx(0.5)
    assert summary["diagonal_is_column_max_fraction"] == pytest.approx(1.0)


def test_missing_model_is_named():
    with pytest.raises(ValueError, match="'b'"):
        score_table({"base": {"a": 1.0}, "a": {"a": 1.0}}, ["a", "b"], ["a"])


def test_seed_agreement_is_one_for_identical_rankings_and_minus_one_for_reversed():
    rng = np.random.default_rng(0)
    names = list("abcde")
    a = pd.DataFrame(rng.normal(size=(5, 5)), index=names, columns=names)
    tgt, src, summary = pair_agreement(a, a * 2 + 1)
    assert summary["tau_tgt_mean"] == pytest.approx(1.0)
    assert summary["matrix_spearman"] == pytest.approx(1.0)
    assert list(tgt.index) == names and list(src.index) == names
    *_, reversed_summary = pair_agreement(a, -a)
    assert reversed_summary["tau_tgt_mean"] == pytest.approx(-1.0)


def _seeds(n, noise, seed=0):
    rng = np.random.default_rng(seed)
    names = list("abcdef")
    truth = rng.normal(size=(6, 6))
    return [pd.DataFrame(truth + noise * rng.normal(size=(6, 6)), index=names, columns=names) for _ in range(n)]


def test_seed_mean_and_standard_error_by_hand():
    a = pd.DataFrame([[1.0, 2.0], [3.0, 4.0]], index=["x", "y"], columns=["x", "y"])
    b = a + pd.DataFrame([[1.0, -2.0], [0.0, 2.0]], index=["x", "y"], columns=["x", "y"])
    mean, se = mean_over_seeds([a, b.loc[["y", "x"], ["y", "x"]]])  # labels in another order
    assert mean.loc["x", "x"] == 1.5 and mean.loc["x", "y"] == 1.0 and mean.loc["y", "x"] == 3.0
    # two values d apart: sd = |d| / sqrt(2), se = sd / sqrt(2) = |d| / 2
    assert se.loc["x", "x"] == pytest.approx(0.5) and se.loc["x", "y"] == pytest.approx(1.0)
    assert se.loc["y", "x"] == 0.0
    _, one = mean_over_seeds([a])
    assert one.isna().all().all()  # one seed: the error is unknown, not zero


def test_leave_one_out_ceiling_rises_with_agreement_and_split_half_is_stepped_up():
    clean, noisy = _seeds(3, 0.01), _seeds(3, 2.0)
    for frames in (clean, noisy):
        per_item, summaries = leave_one_out({f"seed{k}": d for k, d in enumerate(frames)})
        assert [s["comparison"] for s in summaries] == ["seed0-vs-rest", "seed1-vs-rest", "seed2-vs-rest"]
        assert len(per_item) == 3 * 12
    clean_tau = np.mean([s["tau_tgt_mean"] for s in leave_one_out(dict(enumerate(clean)))[1]])
    noisy_tau = np.mean([s["tau_tgt_mean"] for s in leave_one_out(dict(enumerate(noisy)))[1]])
    assert clean_tau > 0.9 > noisy_tau
    half = split_half(noisy)
    assert half["splits"] == 3  # {0}|{1,2}, {1}|{0,2}, {2}|{0,1}
    r = half["matrix_spearman"]
    assert half["matrix_spearman_brown"] == pytest.approx(2 * r / (1 + r))
    assert split_half(_seeds(4, 1.0))["splits"] == 3  # {0,1}|{2,3}, {0,2}|{1,3}, {0,3}|{1,2}


def test_tau_matches_labels_in_any_order():
    names = list("abcd")
    a = pd.DataFrame(np.arange(16.0).reshape(4, 4), index=names, columns=names)
    shuffled = a.loc[["d", "b", "a", "c"], ["c", "a", "d", "b"]]
    assert per_target_tau(a, shuffled).tolist() == [1.0] * 4
    assert per_source_tau(a, shuffled).tolist() == [1.0] * 4


def test_tau_b_handles_ties_by_hand():
    # x = [1, 2, 2], y = [1, 2, 3]: pairs (1,2) C, (1,3) C, (2,3) tied in x.
    # tau-b = (2 - 0) / sqrt((3 - 1) * 3) = 2 / sqrt(6)
    truth = pd.DataFrame({"t": [1.0, 2.0, 3.0]}, index=["x", "y", "z"])
    scores = pd.DataFrame({"t": [1.0, 2.0, 2.0]}, index=["x", "y", "z"])
    assert per_target_tau(truth, scores)["t"] == pytest.approx(2 / math.sqrt(6))
    assert per_target_tau(truth, scores, variant="a")["t"] == pytest.approx(2 / 3)


def test_mismatched_labels_and_non_finite_values_are_errors():
    a = pd.DataFrame([[1.0, 2.0], [3.0, 4.0]], index=["x", "y"], columns=["x", "y"])
    b = a.rename(index={"y": "w"})
    with pytest.raises(MatrixError, match="only in truth: \\['y'\\]"):
        per_target_tau(a, b)
    c = a.copy()
    c.loc["x", "y"] = np.inf
    with pytest.raises(MatrixError, match="non-finite"):
        per_target_tau(a, c)


def test_compute_cost_weights_jobs_by_their_gpus(tmp_path):
    """A 4-GPU fine-tune counts four times its wall-clock seconds against 1-GPU feature jobs."""
    import pandas as pd

    from dataprophet.cli import main

    for stage, name, seconds in (("finetune", "a", 10.0), ("evaluate", "b", 10.0), ("features", "c", 2.0)):
        (tmp_path / "bench" / stage).mkdir(parents=True)
        pd.DataFrame({"s": [seconds]}).to_csv(tmp_path / "bench" / stage / f"{name}.tsv", sep="\t", index=False)
    assert (
        main(
            [
                "cost",
                "--benchmarks",
                str(tmp_path / "bench"),
                "--gpus",
                '{"finetune": 4, "features": 1}',
                "--out",
                str(tmp_path / "cost.csv"),
            ]
        )
        == 0
    )
    cost = pd.read_csv(tmp_path / "cost.csv").set_index("stage")
    assert cost.loc["finetune", "device_seconds"] == 40.0 and cost.loc["finetune", "sum"] == 10.0
    # features / (finetune + evaluate) in device-seconds: 2 / (40 + 10)
    assert cost.loc["features", "fraction_of_finetune_plus_evaluate"] == pytest.approx(0.04)


def test_each_benchmark_file_counts_under_its_own_stage():
    """The prophet's and the ground truth's costs never take in selection, synthetic or RL jobs."""
    from dataprophet.analysis.cost import device_stage, job_stage

    cases = {
        "features/train.tsv": "features",
        "features/synthetic.tsv": "features_synthetic",
        "finetune/seed0/chart_bar.tsv": "finetune",
        "finetune/mix/dataprophet/chart_bar.tsv": "finetune_mixture",
        "finetune/mix/synthetic_icons/chart_bar.tsv": "finetune_mixture",
        "finetune/icons_warmup.tsv": "icons_warmup",
        "finetune/synthetic_icons_warmup.tsv": "icons_warmup_synthetic",
        "gradients/icons/chart_bar.tsv": "gradients",
        "gradients/synthetic_icons/chart_bar.tsv": "gradients_synthetic",
        "influence/icons.tsv": "influence",
        "influence/synthetic_icons.tsv": "influence_synthetic",
        "evaluate/rl/equal.tsv": "evaluate_rl",
        "grpo/equal.tsv": "grpo",
        "predict.tsv": "predict",
        "proxy_features/smolvlm/train.tsv": "proxy_features:smolvlm",
        "proxy_features/synthetic_x/test.tsv": "proxy_features:synthetic_x",
        "proxy_predict/smolvlm.tsv": "proxy_predict:smolvlm",
    }
    for path, stage in cases.items():
        assert job_stage(Path(path)) == stage, path
    assert [
        device_stage(s) for s in ("icons_warmup_synthetic", "evaluate_rl", "gradients_synthetic", "proxy_features:a")
    ] == [
        "finetune",
        "evaluate",
        "gradients",
        "features",
    ]
