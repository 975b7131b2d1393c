"""A user's data for `score` and `select`: checked for meaning before any model work, and a
junk source is refused or warned, never silently ranked first."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from PIL import Image

from dataprophet.cli import main
from dataprophet.data.suite import generate_splits
from dataprophet.data.userdata import load_user_dataset
from dataprophet.io.contract import SCHEMA, ContractError, decode_image, write_table
from dataprophet.prophet.checks import byte_split_share, outlier_warnings


def _png(img: Image.Image) -> bytes:
    buffer = io.BytesIO()
    img.save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture(scope="module")
def study(tmp_path_factory, tiny_parts):
    """A saved tiny base, a target and two ordinary sources (contract parquet tables)."""
    from dataprophet.model.modeling import save_model_dir

    root = tmp_path_factory.mktemp("userdata")
    _, processor, model, _ = tiny_parts
    save_model_dir(model, processor, root / "base")
    for name in ("chart_bar", "count_shapes"):
        splits = generate_splits(name, {"train": 24, "test": 12}, seed=1)
        write_table(splits["train"], root / f"{name}.parquet")
        if name == "chart_bar":
            write_table(splits["test"], root / "target.parquet")
    return root


def _score(study: Path, tmp_path: Path, *sources: Path, target: Path | None = None) -> tuple[int, pd.DataFrame | None]:
    out = tmp_path / "ranking.csv"
    code = main(
        [
            "score",
            "--model",
            str(study / "base"),
            "--target",
            str(target or study / "target.parquet"),
            "--sources",
            str(study / "chart_bar.parquet"),
            str(study / "count_shapes.parquet"),
            *map(str, sources),
            "--samples",
            "0",
            "--kmeans_k",
            "2",
            "--out",
            str(out),
        ]
    )
    return code, (pd.read_csv(out, keep_default_na=False) if code == 0 else None)


def _copy(study: Path, path: Path, **change) -> Path:
    frame = pd.read_parquet(study / "chart_bar.parquet")
    for column, fn in change.items():
        frame[column] = frame[column].map(fn)
    frame["dataset"] = path.stem
    write_table(frame.to_dict("records"), path, validate=False)
    return path


def test_parquet_answers_of_plain_strings_are_refused_naming_file_and_column(study, tmp_path, capsys):
    """Read as a list, "HP" would be scored as "H"; the JSONL reader refuses the same thing."""
    frame = pd.read_parquet(study / "chart_bar.parquet")
    frame["answers"] = frame["answers"].map(lambda a: a[0])
    frame["choices"] = None
    path = tmp_path / "strings.parquet"
    frame.to_parquet(path)
    code, _ = _score(study, tmp_path, path)
    assert code == 2
    err = capsys.readouterr().err
    assert f"{path}: column 'answers' is of type string; the contract wants a list of strings per row" in err


def test_string_choices_are_refused_before_select_draws(study, tmp_path, capsys):
    frame = pd.read_parquet(study / "chart_bar.parquet")
    frame["choices"] = "A,B"
    path = tmp_path / "choices.parquet"
    frame.to_parquet(path)
    argv = ["select", "--target", str(study / "target.parquet"), "--sources", str(path)]
    assert main([*argv, "--method", "uniform", "--budget", "10", "--out", str(tmp_path / "mix")]) == 2
    assert "column 'choices' is of type string; the contract wants a list of strings per row (or null)" in (
        capsys.readouterr().err
    )
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "a.png").write_bytes(_png(Image.new("RGB", (8, 8))))
    (folder / "data.jsonl").write_text(json.dumps({"image": "a.png", "question": "q", "answer": "a", "choices": "AB"}))
    with pytest.raises(ContractError, match=r"line 1: field 'choices' must be a non-empty list of strings, got 'AB'"):
        load_user_dataset(folder)


def test_a_source_in_a_script_the_tokenizer_cannot_read_is_warned(study, tmp_path, capsys):
    emoji = _copy(study, tmp_path / "emoji.parquet", question=lambda q: "🙂📈 " * 6 + "?", answers=lambda a: ["🙂"])
    code, ranking = _score(study, tmp_path, emoji)
    assert code == 0
    warned = ranking.set_index("source")["warnings"]
    assert "split by the tokenizer into single bytes" in warned["emoji"]
    assert "warning: source 'emoji':" in capsys.readouterr().err
    assert (warned[ranking["source"].iloc[0]] != "") or ranking["source"].iloc[0] != "emoji"


def test_byte_split_share_tells_known_text_from_an_unknown_script(tiny_parts):
    tokenizer = tiny_parts[0]
    assert byte_split_share(tokenizer, ["what colour is the red circle?"]) == 0
    assert byte_split_share(tokenizer, ["图表中有多少个红色的圆"]) == 1
    assert byte_split_share(tokenizer, ["مرحبا", "🙂🙂"]) == 1


def test_a_source_holding_the_targets_own_rows_is_warned(study, tmp_path):
    leak = tmp_path / "leak.parquet"
    rows = pd.read_parquet(study / "target.parquet")
    rows["id"] = "leak-" + rows["id"]
    write_table(rows.to_dict("records"), leak, validate=False)
    code, ranking = _score(study, tmp_path, leak)
    assert code == 0
    assert "holds 12 of the target's 12 rows" in ranking.set_index("source").loc["leak", "warnings"]
    assert ranking.set_index("source").loc["chart_bar", "warnings"] == ""


def test_outliers_orders_of_magnitude_from_the_other_sources_are_named():
    ranking = pd.DataFrame(
        {
            "source": ["junk", "a", "b", "gray"],
            "M": [3630.0, 0.55, 0.61, 120.0],
            "ppl_source": [3.4e8, 4.0, 5.0, 4.5],
            "qsim": [0.5, 0.6, 0.55, 0.6],
            "asim": [0.5, 0.6, 0.55, 0.6],
            "isim": [0.5, 0.6, 0.55, -0.1],  # a negative cosine is not an order of magnitude
            "diversity": [0.7, 0.8, 0.75, 0.8],
        }
    )
    found = outlier_warnings(ranking)
    assert set(found) == {"junk", "gray"}
    assert any(w.startswith("ppl_source 3.4e+08 is 7.9 orders of magnitude above") for w in found["junk"])
    assert any(
        w.startswith("M 120 is 2.3 orders of magnitude above the median of the other sources") for w in found["gray"]
    )


def test_a_target_of_one_sample_is_refused_with_the_minimum(study, tmp_path, capsys):
    one = tmp_path / "one.parquet"
    write_table(pd.read_parquet(study / "target.parquet").head(1).to_dict("records"), one, validate=False)
    code, _ = _score(study, tmp_path, target=one)
    assert code == 2
    assert f"target {one} has 1 sample(s); DataProphet needs at least 3" in capsys.readouterr().err


def test_a_question_past_the_models_context_is_refused_naming_the_row(study, tmp_path, capsys):
    frame = pd.read_parquet(study / "chart_bar.parquet")
    frame.loc[4, "question"] = "what colour is the red circle? " * 200
    long = tmp_path / "long.parquet"
    write_table(frame.to_dict("records"), long, validate=False)
    code, _ = _score(study, tmp_path, long)
    assert code == 2
    err = capsys.readouterr().err
    assert f"candidate source {long}: row 5 (id=" in err and "past the model's context of 512" in err


def test_sixteen_bit_images_are_scaled_not_clipped():
    grey = np.full((8, 8), 30000, dtype=np.uint16)
    data = _png(Image.fromarray(grey))  # a 16-bit PNG (mode I;16 or I)
    pixels = np.asarray(decode_image(data))
    assert pixels.shape == (8, 8, 3) and np.all(pixels == round(30000 / 65535 * 255))
    buffer = io.BytesIO()
    Image.fromarray(np.full((8, 8), 0.5, dtype=np.float32)).save(buffer, format="TIFF")  # mode F, 0..1
    assert np.all(np.asarray(decode_image(buffer.getvalue())) == 128)
    colour = _png(Image.new("RGB", (8, 8), (10, 200, 30)))  # 8-bit images decode as before
    assert np.asarray(decode_image(colour))[0, 0].tolist() == [10, 200, 30]


def _jsonl_folder(tmp_path: Path, lines: list[str], images: dict[str, bytes] | None = None) -> Path:
    folder = tmp_path / "mine"
    folder.mkdir(exist_ok=True)
    for name, data in (images or {"a.png": _png(Image.new("RGB", (8, 8)))}).items():
        (folder / name).write_bytes(data)
    (folder / "data.jsonl").write_text("\n".join(lines) + "\n")
    return folder


def test_jsonl_errors_count_lines_as_an_editor_does(tmp_path):
    good = json.dumps({"id": "x", "image": "a.png", "question": "q", "answer": "a"})
    folder = _jsonl_folder(tmp_path, [good, "", "", good])
    with pytest.raises(ContractError, match=r"data.jsonl: line 4: duplicate id 'x' \(first at line 1\)"):
        load_user_dataset(folder)
    broken = json.dumps({"image": "bad.png", "question": "q", "answer": "a"})
    folder = _jsonl_folder(tmp_path, [good, "", broken], {"bad.png": b"not a png"})
    with pytest.raises(ContractError, match=r"data.jsonl: line 3: image .*bad.png: corrupt or unreadable image"):
        load_user_dataset(folder)


def test_a_latin1_jsonl_names_the_file_and_line(tmp_path):
    folder = _jsonl_folder(tmp_path, [])
    good = json.dumps({"image": "a.png", "question": "q", "answer": "a"})
    latin = '{"image": "a.png", "question": "caf\xe9?", "answer": "a"}'
    (folder / "data.jsonl").write_bytes((good + "\n" + latin + "\n").encode("latin-1"))
    with pytest.raises(ContractError, match=r"mine/data.jsonl: line 2: not UTF-8 text \(byte 0xe9 at column 36\)"):
        load_user_dataset(folder)


def test_a_text_file_named_parquet_is_named(tmp_path):
    path = tmp_path / "fake.parquet"
    path.write_text("id,question\n1,q\n")
    with pytest.raises(ContractError, match=rf"{path}: not a parquet file"):
        load_user_dataset(path)


@pytest.mark.parametrize("size", [(10_000, 9_000), (15_000, 15_000)])
def test_an_image_past_the_pixel_limit_is_refused_with_its_size(tmp_path, size):
    rows = pd.DataFrame(
        {
            "id": ["a", "b"],
            "dataset": "big",
            "family": "ocr",
            "image": [_png(Image.new("RGB", (8, 8))), _png(Image.new("1", size))],
            "question": "q",
            "answers": [["a"], ["a"]],
            "choices": None,
            "metric": "exact_match",
        }
    )
    path = tmp_path / "big.parquet"
    pq.write_table(pa.Table.from_pandas(rows, schema=SCHEMA, preserve_index=False), path)
    with pytest.raises(ContractError, match=rf"{path}: row 2: image: image is .*past the limit of 89.5 M pixels"):
        load_user_dataset(path)


def _select(study: Path, out: Path, *extra: str) -> int:
    sources = [str(study / f"{n}.parquet") for n in ("chart_bar", "count_shapes")]
    return main(["select", "--target", str(study / "target.parquet"), "--sources", *sources, "--out", str(out), *extra])


def test_select_writes_its_files_as_one_set_and_a_rerun_leaves_nothing_of_the_last(study, tmp_path, monkeypatch):
    import dataprophet.selection.select as select_module

    out = tmp_path / "mix"
    model = ["--model", str(study / "base"), "--kmeans_k", "2", "--samples", "0"]
    assert _select(study, out, "--budget", "12", *model) == 0
    assert sorted(p.name for p in out.iterdir()) == ["allocation.csv", "ids.csv", "mixture.parquet", "scores.csv"]
    first = {p.name: p.read_bytes() for p in out.iterdir()}

    def killed(*args, **kwargs):  # a kill after the mixture, before the allocation
        raise KeyboardInterrupt

    monkeypatch.setattr(select_module, "write_csv", killed)
    with pytest.raises(KeyboardInterrupt):
        _select(study, out, "--budget", "20", "--method", "uniform")
    assert {p.name: p.read_bytes() for p in out.iterdir()} == first  # the previous set, whole
    assert [p.name for p in tmp_path.iterdir()] == ["mix"]  # no temporary folder left behind
    monkeypatch.undo()

    assert _select(study, out, "--budget", "20", "--method", "uniform") == 0
    assert sorted(p.name for p in out.iterdir()) == ["allocation.csv", "ids.csv", "mixture.parquet"]
    assert pd.read_csv(out / "allocation.csv")["samples"].sum() == 20


def test_select_refuses_to_replace_a_folder_holding_other_files(study, tmp_path, capsys):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    assert _select(study, out, "--budget", "12", "--method", "uniform") == 2
    assert f"--out {out} holds files that select does not write (notes.txt)" in capsys.readouterr().err
    assert (out / "notes.txt").read_text() == "keep me"
