"""`dataprophet tau` on matrices given as CSV: the standalone evaluation of any predictor."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dataprophet.cli import main

NAMES = ["a", "b", "c", "d"]


def _write(frame: pd.DataFrame, path) -> str:
    frame.to_csv(path)
    return str(path)


@pytest.fixture
def truth(tmp_path):
    rng = np.random.default_rng(1)
    frame = pd.DataFrame(rng.normal(size=(4, 4)), index=NAMES, columns=NAMES)
    return frame, _write(frame, tmp_path / "truth.csv")


def test_perfect_predictor_in_another_label_order_scores_one(truth, tmp_path, capsys):
    frame, truth_path = truth
    scores = (frame * 3 - 1).loc[["c", "a", "d", "b"], ["d", "c", "b", "a"]]
    assert (
        main(["tau", "--truth", truth_path, "--scores", _write(scores, tmp_path / "s.csv"), "--bootstrap", "100"]) == 0
    )
    out = capsys.readouterr().out
    assert "tau_tgt: 1.000" in out and "tau_src: 1.000" in out and "tau (overall): 1.000" in out
    assert "per target:" in out and "per source:" in out


def test_negative_values_are_valid(truth, tmp_path, capsys):
    frame, truth_path = truth
    assert (
        main(["tau", "--truth", truth_path, "--scores", _write(-frame.abs(), tmp_path / "s.csv"), "--bootstrap", "100"])
        == 0
    )


@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
def test_nan_or_infinite_scores_are_an_error_naming_the_cell(truth, tmp_path, capsys, value):
    frame, truth_path = truth
    bad = frame.copy()
    bad.loc["b", "c"] = value
    assert main(["tau", "--truth", truth_path, "--scores", _write(bad, tmp_path / "s.csv")]) == 2
    err = capsys.readouterr().err
    assert "non-finite" in err and "('b', 'c')" in err


def test_mismatched_labels_are_an_error(truth, tmp_path, capsys):
    frame, truth_path = truth
    other = frame.rename(columns={"d": "e"})
    assert main(["tau", "--truth", truth_path, "--scores", _write(other, tmp_path / "s.csv")]) == 2
    err = capsys.readouterr().err
    assert "only in truth: ['d']" in err and "only in scores: ['e']" in err


def test_diagonal_exclusion_needs_a_square_matrix(tmp_path, capsys):
    frame = pd.DataFrame(np.arange(12.0).reshape(3, 4), index=["a", "b", "c"], columns=NAMES)
    path = _write(frame, tmp_path / "t.csv")
    assert main(["tau", "--truth", path, "--scores", path, "--exclude-diagonal"]) == 2
    assert "square" in capsys.readouterr().err


def test_missing_file_is_named(tmp_path, capsys):
    assert main(["tau", "--truth", str(tmp_path / "nope.csv"), "--scores", str(tmp_path / "nope.csv")]) == 2
    assert "nope.csv" in capsys.readouterr().err


def test_degenerate_matrices_are_refused_or_their_undefined_rows_named(tmp_path, capsys):
    one = _write(pd.DataFrame([[0.5]], index=["a"], columns=["a"]), tmp_path / "one.csv")
    assert main(["tau", "--truth", one, "--scores", one]) == 2
    assert "1x1 matrix" in capsys.readouterr().err

    ties = _write(pd.DataFrame(np.ones((3, 3)), index=NAMES[:3], columns=NAMES[:3]), tmp_path / "ties.csv")
    rng = np.random.default_rng(0)
    noise = _write(pd.DataFrame(rng.normal(size=(3, 3)), index=NAMES[:3], columns=NAMES[:3]), tmp_path / "n.csv")
    assert main(["tau", "--truth", ties, "--scores", noise]) == 2
    err = capsys.readouterr().err
    assert "no target has a defined tau" in err and "the truth ties every source" in err

    # one constant truth column: that target is named with its reason, the others still count
    frame = pd.DataFrame(rng.normal(size=(4, 4)), index=NAMES, columns=NAMES)
    frame["c"] = 1.0
    path = _write(frame, tmp_path / "c.csv")
    assert main(["tau", "--truth", path, "--scores", path]) == 0
    out = capsys.readouterr().out
    assert "undefined for target c: the truth ties every source; left out of the tau_tgt mean" in out


def test_bootstrap_too_small_for_an_interval_is_refused(truth, capsys):
    _, truth_path = truth
    assert main(["tau", "--truth", truth_path, "--scores", truth_path, "--bootstrap", "1"]) == 2
    assert "bootstrap must be a number >= 100" in capsys.readouterr().err
