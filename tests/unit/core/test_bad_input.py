"""Bad input is stopped before compute with a message naming the file, row or key."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from PIL import Image

from dataprophet.cli import main
from dataprophet.data.userdata import load_user_dataset
from dataprophet.io.contract import ContractError, read_table, validate_records, write_table


def _png(colour=(10, 200, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), colour).save(buffer, format="PNG")
    return buffer.getvalue()


def _record(i: int, **changes) -> dict:
    rec = {
        "id": f"x-{i}",
        "dataset": "x",
        "family": "ocr",
        "image": _png(),
        "question": "what colour?",
        "answers": ["green"],
        "choices": None,
        "metric": "exact_match",
    }
    rec.update(changes)
    return rec


@pytest.mark.parametrize(
    "bad, message",
    [
        ({"image": b"not an image at all"}, "row 2 \\(id='x-1'\\): corrupt or unreadable image"),
        ({"image": _png()[:40]}, "row 2 \\(id='x-1'\\): corrupt or unreadable image"),
        ({"question": "   "}, "row 2 \\(id='x-1'\\): empty question"),
        ({"answers": []}, "row 2 \\(id='x-1'\\): empty answer"),
        ({"answers": [""]}, "row 2 \\(id='x-1'\\): empty answer"),
        ({"id": "x-0"}, "row 2 \\(id='x-0'\\): duplicate id 'x-0'"),
    ],
)
def test_contract_rejects_bad_rows_naming_file_and_row(bad, message, tmp_path):
    records = [_record(0), _record(1, **bad)]
    target = tmp_path / "t.parquet"
    with pytest.raises(ContractError, match=f"{target}: {message}"):
        write_table(records, target)
    assert not target.exists()  # nothing half-written


def test_missing_field_is_named():
    rec = _record(0)
    del rec["answers"]
    with pytest.raises(ContractError, match=r"row 1 \(id='x-0'\) is missing field\(s\) \['answers'\]"):
        validate_records([rec], "mem")


def test_missing_column_in_a_table_is_named(tmp_path):
    path = tmp_path / "no_answers.parquet"
    pq.write_table(pa.table({"id": ["a"], "question": ["q"]}), path)
    with pytest.raises(ContractError, match="no_answers.parquet: missing column"):
        read_table(path)


def test_failed_write_keeps_the_previous_complete_table(tmp_path):
    path = tmp_path / "t.parquet"
    write_table([_record(0)], path)
    with pytest.raises(ContractError):
        write_table([_record(0), _record(1, image=b"junk")], path)
    assert len(read_table(path)) == 1


def test_folder_dataset_errors_name_the_line(tmp_path):
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "a.png").write_bytes(_png())
    (folder / "data.jsonl").write_text(
        json.dumps({"image": "a.png", "question": "q?", "answer": "a"})
        + "\n"
        + json.dumps({"image": "missing.png", "question": "q?", "answer": "a"})
        + "\n"
    )
    with pytest.raises(ContractError, match="data.jsonl: line 2: image .*missing.png does not exist"):
        load_user_dataset(folder)
    (folder / "data.jsonl").write_text('{"image": "a.png", "question": "q?"}\n')
    with pytest.raises(ContractError, match="line 1: missing field 'answer'"):
        load_user_dataset(folder)
    (folder / "data.jsonl").write_text("{not json\n")
    with pytest.raises(ContractError, match="line 1: not valid JSON"):
        load_user_dataset(folder)


@pytest.mark.parametrize(
    "line, message",
    [
        (
            {"image": "a.png", "question": "q?", "answers": "cat"},
            r"field 'answers' must be a non-empty list of strings",
        ),
        ({"image": "a.png", "question": "q?", "answer": None}, r"field 'answer' must be a non-empty string, got null"),
        ({"image": "a.png", "question": "q?", "answers": ["cat", 3]}, r"field 'answers' must be a non-empty string"),
        ({"image": None, "question": "q?", "answer": "a"}, r"field 'image' must be a non-empty string, got null"),
        ({"image": "sub", "question": "q?", "answer": "a"}, r"image .*sub is a folder, not an image file"),
        ({"image": "a.png", "question": "", "answer": "a"}, r"field 'question' must be a non-empty string"),
        ("just a string", r"expected a JSON object .* got a str"),
    ],
)
def test_folder_dataset_rows_are_checked_for_what_they_mean(tmp_path, line, message):
    """A value of the wrong kind is an error naming the file and line, never guessed at."""
    folder = tmp_path / "mine"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.png").write_bytes(_png())
    good = json.dumps({"image": "a.png", "question": "q?", "answer": "a"})
    (folder / "data.jsonl").write_text(good + "\n" + json.dumps(line) + "\n")
    with pytest.raises(ContractError, match=r"data.jsonl: line 2: " + message):
        load_user_dataset(folder)


def test_an_empty_folder_dataset_is_named(tmp_path):
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "data.jsonl").write_text("\n")
    with pytest.raises(ContractError, match=r"mine/data.jsonl: no samples"):
        load_user_dataset(folder)


def _folder_dataset(folder: Path, n: int) -> Path:
    folder.mkdir(parents=True)
    (folder / "a.png").write_bytes(_png())
    (folder / "data.jsonl").write_text(
        "".join(json.dumps({"image": "a.png", "question": f"q{i}?", "answer": "a"}) + "\n" for i in range(n))
    )
    return folder


def test_score_refuses_bad_candidates_before_loading_the_model(tmp_path, capsys):
    """The model path does not exist: every error below comes before any model work."""
    target = _folder_dataset(tmp_path / "target", 3)
    same_a, same_b = _folder_dataset(tmp_path / "A" / "train", 12), _folder_dataset(tmp_path / "B" / "train", 12)
    base = ["score", "--model", str(tmp_path / "no_model"), "--target", str(target), "--samples", "0"]
    assert main([*base, "--sources", str(same_a), str(same_b)]) == 2
    assert "both named 'train'" in capsys.readouterr().err
    small = _folder_dataset(tmp_path / "small", 4)
    assert main([*base, "--sources", str(same_a), str(small), "--kmeans_k", "5"]) == 2
    err = capsys.readouterr().err
    assert "'small'" in err and "4 samples" in err and "--kmeans_k 5" in err


def test_outputs_are_readable_by_the_group_under_the_umask(tmp_path):
    import os

    from dataprophet.io.atomic import atomic_dir, write_json

    old = os.umask(0o022)
    try:
        write_json({"a": 1}, tmp_path / "x.json")
        with atomic_dir(tmp_path / "folder") as tmp:
            (tmp / "f").write_text("x")
    finally:
        os.umask(old)
    assert (tmp_path / "x.json").stat().st_mode & 0o777 == 0o644
    assert (tmp_path / "folder").stat().st_mode & 0o777 == 0o755


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--bootstrap", "0"], "bootstrap must be a number >= 100, got 0"),
        (["--bootstrap", "1"], "bootstrap must be a number >= 100, got 1"),
    ],
)
def test_impossible_numbers_are_refused_naming_the_setting(tmp_path, capsys, argv, message):
    path = str(tmp_path / "m.csv")
    pd.DataFrame([[1.0, 2.0], [3.0, 4.0]], index=["a", "b"], columns=["a", "b"]).to_csv(path)
    assert main(["tau", "--truth", path, "--scores", path, *argv]) == 2
    assert message in capsys.readouterr().err


def test_zero_batch_size_and_budget_are_refused():
    from dataprophet.settings import AllocateSettings, ConfigError, EvalSettings, ScoreSettings, TrainSettings

    for make, message in (
        (lambda: EvalSettings(batch_size=0), "batch_size must be a number >= 1, got 0"),
        (lambda: TrainSettings(learning_rate=0.0), "learning_rate must be a number"),
        (lambda: AllocateSettings(method="uniform", budget=0), "budget must be a number >= 1"),
        (lambda: ScoreSettings(kmeans_k=1), "kmeans_k must be a number >= 2"),
    ):
        with pytest.raises(ConfigError, match=message):
            make()


def test_an_output_path_that_is_a_folder_is_refused_and_kept(tmp_path, capsys):
    weights = _matrix(tmp_path / "m.csv", [[0.5, 0.2, 0.1], [0.1, 0.4, 0.2], [0.2, 0.2, 0.3]])
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "keep.txt").write_text("mine")
    assert (
        main(["allocate", "--weights", weights, "--method", "uniform", "--budget", "6", "--out", str(tmp_path / "out")])
        == 2
    )
    assert "is a folder" in capsys.readouterr().err
    assert (tmp_path / "out" / "keep.txt").read_text() == "mine"


def test_evaluate_without_its_base_model_fails_naming_the_folder(tmp_path, capsys):
    adapter = tmp_path / "ft"
    adapter.mkdir()
    (adapter / "adapter_config.json").write_text("{}")
    table = tmp_path / "t.parquet"
    write_table([_record(0)], table)
    code = main(
        [
            "evaluate",
            "--name",
            "ft",
            "--base",
            str(tmp_path / "no_base"),
            "--finetuned",
            str(adapter),
            "--targets",
            str(table),
            "--predictions",
            str(tmp_path / "out" / "predictions.parquet"),
            "--scores",
            str(tmp_path / "out" / "scores.json"),
        ]
    )
    assert code == 2
    assert "no_base" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_unknown_settings_flag_is_named(tmp_path, capsys):
    table = tmp_path / "t.parquet"
    write_table([_record(0)], table)
    with pytest.raises(SystemExit) as exit_info:
        main(
            [
                "finetune",
                "--base",
                str(tmp_path),
                "--train",
                str(table),
                "--learning-rat",
                "1",
                "--out",
                str(tmp_path / "o"),
                "--checkpoints",
                str(tmp_path / "c"),
            ]
        )
    assert exit_info.value.code == 2
    assert "--learning-rat" in capsys.readouterr().err


def test_unknown_key_in_nested_settings_is_named(tmp_path, capsys):
    table = tmp_path / "t.parquet"
    write_table([_record(0)], table)
    with pytest.raises(SystemExit) as exit_info:  # the parser refuses it, with usage
        main(
            [
                "base",
                "--pretrain",
                str(table),
                "--out",
                str(tmp_path / "o"),
                "--checkpoints",
                str(tmp_path / "c"),
                "--training",
                '{"learning_rat": 1}',
            ]
        )
    assert exit_info.value.code == 2
    assert "'training.learning_rat'" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_a_value_outside_the_allowed_ones_is_refused_with_the_choices(tmp_path, capsys):
    with pytest.raises(SystemExit):
        main(["tau", "--truth", "t.csv", "--scores", "s.csv", "--variant", "c"])
    err = capsys.readouterr().err
    assert 'key "variant"' in err and "Literal['a', 'b']. Got value: c" in err


def test_unknown_dataset_name_for_generation_lists_valid_names(tmp_path, capsys):
    outputs = [f"--{split}" for split in ("pretrain", "train", "test")]
    paths = [str(tmp_path / f"{split}.parquet") for split in ("pretrain", "train", "test")]
    code = main(
        [
            "generate",
            "--dataset",
            "ocr_covr",
            "--sizes",
            '{"pretrain": 2, "train": 2, "test": 2}',
            *[x for pair in zip(outputs, paths) for x in pair],
        ]
    )
    assert code == 2
    assert "ocr_cover" in capsys.readouterr().err
    assert not any(Path(p).exists() for p in paths)


def _matrix(path, values):

    labels = ["a", "b", "c"]
    pd.DataFrame(values, index=labels, columns=labels).to_csv(path)
    return str(path)


def test_budget_smaller_than_the_number_of_sources_is_refused(tmp_path, capsys):
    weights = _matrix(tmp_path / "m.csv", [[0.5, 0.2, 0.1], [0.1, 0.4, 0.2], [0.2, 0.2, 0.3]])
    code = main(
        [
            "allocate",
            "--weights",
            weights,
            "--method",
            "dataprophet",
            "--budget",
            "2",
            "--out",
            str(tmp_path / "alloc.csv"),
        ]
    )
    assert code == 2
    err = capsys.readouterr().err
    assert "budget 2 is smaller than the number of sources 3" in err
    assert not (tmp_path / "alloc.csv").exists()


@pytest.mark.parametrize(
    ("budget", "message"),
    [
        ("100000000000000000000", "budget must be a number <= 1e+12"),
        ("1e9", "Expected a <class 'int'>. Got value: 1000000000.0"),
        ("lots", "Expected a <class 'int'>. Got value: lots"),
    ],
)
def test_absurd_budget_is_a_clear_error_not_a_traceback(tmp_path, capsys, budget, message):
    weights = _matrix(tmp_path / "m.csv", [[0.5, 0.2, 0.1], [0.1, 0.4, 0.2], [0.2, 0.2, 0.3]])
    argv = ["allocate", "--weights", weights, "--method", "uniform", "--budget", budget, "--out", str(tmp_path / "a")]
    try:
        code = main(argv)
    except SystemExit as exit:  # argparse refuses a non-integer itself, with usage
        code = exit.code
    assert code == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not (tmp_path / "a").exists()


def test_selection_budget_in_config_is_checked_before_any_job(tmp_path):
    import yaml

    from dataprophet.config import ConfigError, load_study

    raw = yaml.safe_load((Path(__file__).resolve().parents[3] / "config" / "smoke.yaml").read_text())
    raw["selection"] = {"budget": 3}
    with pytest.raises(
        ConfigError, match=r"'selection.budget': a budget of 3 samples is smaller than the number of sources \(4\)"
    ):
        load_study(raw)


def test_allocation_with_a_nan_weight_names_the_source(tmp_path, capsys):
    weights = _matrix(tmp_path / "m.csv", [[0.5, float("nan"), 0.1], [0.1, 0.4, 0.2], [0.2, 0.2, 0.3]])
    assert (
        main(
            [
                "allocate",
                "--weights",
                weights,
                "--method",
                "dataprophet",
                "--budget",
                "30",
                "--out",
                str(tmp_path / "alloc.csv"),
            ]
        )
        == 2
    )
    assert "target 'b': non-finite weight for source(s) 'a'" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("selection", "message"),
    [
        ({"targets": ["chart_bar", "nope"]}, r"'selection.targets': unknown dataset name\(s\) \['nope'\]"),
        ({"budget": 300}, r"'selection.budget': 300 samples per target, but the 4 sources hold 256"),
        ({"icons": {"warmup_samples": 2}}, r"'selection.icons.warmup_samples': 2 must be between"),
        ({"icons": {"projection": 8}}, r"'selection.icons': Additional properties .*'projection' was unexpected"),
        ({"methods": ["uniform", "less"]}, r"'less'"),
    ],
)
def test_selection_config_errors_name_the_key_before_any_job(selection, message):
    import yaml

    from dataprophet.config import ConfigError, load_study, validate_against_schema

    raw = yaml.safe_load((Path(__file__).resolve().parents[3] / "config" / "smoke.yaml").read_text())
    raw["selection"] = {**raw["selection"], **selection}
    with pytest.raises(ConfigError, match=message):
        validate_against_schema(raw)
        load_study(raw)


def test_a_mixture_asking_a_source_for_more_than_it_holds_names_it(tmp_path, capsys):
    from dataprophet.data.suite import generate_splits
    from dataprophet.io.contract import write_table

    for split, n in (("train", 4), ("pool", 1)):
        write_table(
            generate_splits("count_shapes", {split: n}, seed=0)[split], tmp_path / split / "count_shapes.parquet"
        )
    pd.DataFrame({"t": [9]}, index=pd.Index(["count_shapes"], name="source")).to_csv(tmp_path / "alloc.csv")
    argv = [
        "mixture",
        "--allocation",
        str(tmp_path / "alloc.csv"),
        "--train",
        str(tmp_path / "train" / "count_shapes.parquet"),
        "--pool",
        str(tmp_path / "pool" / "count_shapes.parquet"),
        "--out",
        str(tmp_path / "m.parquet"),
        "--ids",
        str(tmp_path / "m.csv"),
        "--target",
        "t",
    ]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "source 'count_shapes': 9 samples asked, but it holds 4 train + 1 pool" in err and "Traceback" not in err
    assert not (tmp_path / "m.parquet").exists()


def test_a_broken_yaml_config_names_file_line_and_column(tmp_path):
    from dataprophet.config import ConfigError, load_study_file

    path = tmp_path / "study.yaml"
    path.write_text("name: x\nscale: mini\ndatasets: [a, b\nseed: 1\n")
    with pytest.raises(ConfigError, match=rf"{path}: line 4, column 5: not valid YAML"):
        load_study_file(path)


def test_a_negative_seed_is_refused_at_load_naming_key_file_and_line(tmp_path, capsys):
    from dataprophet.config import ConfigError, load_study_file

    root = Path(__file__).resolve().parents[3]
    path = tmp_path / "study.yaml"
    path.write_text((root / "config" / "smoke.yaml").read_text() + "finetune_seeds: [0, -1]\n")
    line = len(path.read_text().splitlines())
    with pytest.raises(ConfigError, match=rf"{path}: config key 'finetune_seeds.1': -1 is less .* \(line {line}\)"):
        load_study_file(path)
    truth = tmp_path / "t.csv"
    truth.write_text(",a,b\na,1,2\nb,3,4\n")
    assert main(["tau", "--truth", str(truth), "--scores", str(truth), "--seed", "-3"]) == 2
    assert "--seed must be an integer from 0 to 4294967295, got -3" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the file is empty"),
        (";a;b\na;1;2\nb;3;4\n", "its separator is ';', not a comma"),
        (",a,a\na,1,2\nb,3,4\n", "the column label 'a' appears twice"),
        (",a,b\na,1,2\na,3,4\n", "the row label 'a' appears twice"),
    ],
)
def test_tau_names_the_file_and_what_is_wrong_with_a_matrix(tmp_path, capsys, text, message):
    good, bad = tmp_path / "good.csv", tmp_path / "bad.csv"
    good.write_text(",a,b\na,1,2\nb,3,4\n")
    bad.write_text(text)
    assert main(["tau", "--truth", str(good), "--scores", str(bad)]) == 2
    assert f"{bad}: {message}" in capsys.readouterr().err


def test_a_model_folder_gets_the_umasks_mode_even_for_files_written_private(tmp_path):
    """safetensors and the Trainer write through private temporary files (0600)."""
    import os
    import tempfile

    from dataprophet.io.atomic import atomic_dir

    old = os.umask(0o022)
    try:
        with atomic_dir(tmp_path / "model") as tmp:
            (tmp / "sub").mkdir(mode=0o700)
            fd, name = tempfile.mkstemp(dir=tmp / "sub")
            os.close(fd)
            os.replace(name, tmp / "sub" / "model.safetensors")
    finally:
        os.umask(old)
    assert (tmp_path / "model" / "sub" / "model.safetensors").stat().st_mode & 0o777 == 0o644
    assert (tmp_path / "model" / "sub").stat().st_mode & 0o777 == 0o755
    assert (tmp_path / "model").stat().st_mode & 0o777 == 0o755
