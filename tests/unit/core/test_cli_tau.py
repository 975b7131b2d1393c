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
    assert main(["tau", "--truth", path, "--scores", path, "--exclude_diagonal", "true"]) == 2
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


# ------------------------------------------------ every command's settings survive to_flags


def _non_default(cls):
    """An object of ``cls`` with every field it allows changed away from its default."""
    import dataclasses
    import typing

    from dataprophet.settings import GeneratorSettings

    settings = cls(**_required(cls))
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        value = getattr(settings, f.name)
        allowed = typing.get_args(hints[f.name])
        if typing.get_origin(hints[f.name]) is typing.Literal:
            tries = [v for v in allowed if v != value]
        elif typing.get_origin(hints[f.name]) is tuple and typing.get_origin(allowed[0]) is typing.Literal:
            tries = [tuple(reversed(typing.get_args(allowed[0])))]
        elif isinstance(value, bool):
            tries = [not value]
        elif isinstance(value, int):
            tries = [value + 3]
        elif isinstance(value, float):
            tries = [value + 0.25, value + 0.01, value / 2]
        elif isinstance(value, str):
            tries = [value + "x"]
        elif isinstance(value, dict):
            tries = [{"a": {"family": "f", "mirrors": "A"}}, {"rouge_l": 32}, {"finetune": 2}, {"q": ["qsim", "ppl"]}]
        elif isinstance(value, tuple):
            tries = [("a", "b"), ("uniform",), ("equal",), (GeneratorSettings(name="h", error_rate=0.5),)]
        elif dataclasses.is_dataclass(value):
            tries = [dataclasses.replace(value, learning_rate=0.5, max_steps=3)]
        else:  # None: an optional number or text
            tries = [0.5, "x"]
        for changed in tries:
            try:
                settings = dataclasses.replace(settings, **{f.name: changed})
                break
            except ValueError:
                continue
    return settings


def _required(cls):
    import dataclasses
    import typing

    samples = {"sizes": {"train": 3, "test": 2}, "budget": 7, "k": 3, "study": "s", "target": "t", "pool_extra": 1}
    samples |= {"val_size": 2, "labels": ("seed0",), "runs": ("equal",), "methods": ("uniform",)}
    samples |= {"targets": ("a",), "sources": ("a",), "method": "uniform"}
    required = {}
    for f in dataclasses.fields(cls):
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            if f.name == "generators":
                from dataprophet.settings import GeneratorSettings

                required[f.name] = (GeneratorSettings(name="g"),)
            else:
                required[f.name] = samples[f.name]
    assert typing.get_type_hints(cls)
    return required


@pytest.mark.parametrize("command", sorted(__import__("dataprophet.cli", fromlist=["COMMANDS"]).COMMANDS))
def test_to_flags_reads_back_to_equal_settings(command):
    """The workflow passes settings as flags; the command's parser must rebuild them exactly."""
    import shlex
    import typing

    from dataprophet.cli import build_parser, entry_function, settings_from_args
    from dataprophet.settings import to_flags

    cls = typing.get_type_hints(entry_function(command))["settings"]
    for settings in (cls(**_required(cls)), _non_default(cls)):
        paths = []
        for name, param in __import__("inspect").signature(entry_function(command)).parameters.items():
            if name != "settings" and param.default is __import__("inspect").Parameter.empty:
                paths += ["--" + name.replace("_", "-"), "p"]
        args = build_parser(command).parse_args([command, *paths, *shlex.split(to_flags(settings))])
        assert settings_from_args(cls, vars(args[command])) == settings, command


def test_help_shows_every_setting_with_its_default(capsys):
    from dataprophet.cli import main

    with pytest.raises(SystemExit):
        main(["finetune", "--help"])
    out = capsys.readouterr().out
    assert "--learning_rate" in out and "default: 0.002" in out and "--freeze_vision" in out
