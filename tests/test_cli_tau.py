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
        main(["tau", "--truth", truth_path, "--scores", _write(scores, tmp_path / "s.csv"), "--bootstrap", "50"]) == 0
    )
    out = capsys.readouterr().out
    assert "tau_tgt: 1.000" in out and "tau_src: 1.000" in out and "tau (overall): 1.000" in out
    assert "per target:" in out and "per source:" in out


def test_negative_values_are_valid(truth, tmp_path, capsys):
    frame, truth_path = truth
    assert (
        main(["tau", "--truth", truth_path, "--scores", _write(-frame.abs(), tmp_path / "s.csv"), "--bootstrap", "20"])
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
