"""Fine-tunes read their table lazily: a memory-mapped Arrow copy, one row at a time."""

from __future__ import annotations

import pickle

import pytest
import torch

from dataprophet.data.suite import generate_splits
from dataprophet.io.contract import ContractError, MappedRows, read_table, validate_file, write_mapped, write_table
from dataprophet.model.encoding import EncodedDataset
from dataprophet.model.train import TRAIN_COLUMNS, mapped_rows


@pytest.fixture
def table(tmp_path):
    rows = generate_splits("chart_bar", {"train": 40}, seed=3)["train"]
    for k, row in enumerate(rows):
        row["instruction"] = "Answer the question using a single word or phrase." if k % 2 else ""
    path = tmp_path / "train.parquet"
    write_table(rows, path)
    return path


def test_mapped_rows_hold_the_table_rows_in_order(table, tmp_path):
    frame = read_table(table)
    assert write_mapped(table, tmp_path / "rows.arrow", TRAIN_COLUMNS) == len(frame) == 40
    rows = MappedRows(tmp_path / "rows.arrow")
    assert len(rows) == 40 and rows.columns == TRAIN_COLUMNS
    for k in (0, 17, 39):
        assert rows[k]["image"] == frame["image"][k]
        assert rows[k]["question"] == frame["question"][k]
        assert rows[k]["answers"] == list(frame["answers"][k])
        assert rows[k]["instruction"] == frame["instruction"][k]
    with pytest.raises(IndexError, match="row 40"):
        rows[40]
    # a data-loader worker gets the path, not the bytes, and maps the file itself
    assert len(pickle.dumps(rows)) < 1000
    assert pickle.loads(pickle.dumps(rows))[5] == rows[5]


def test_encodings_from_mapped_rows_equal_those_from_the_frame(table, tmp_path, tiny_parts):
    _, processor, _, _ = tiny_parts
    eager = EncodedDataset(read_table(table), processor, cache=False)
    lazy = EncodedDataset(mapped_rows(table, tmp_path / "ckpt"), processor, cache=False)
    assert (tmp_path / "ckpt" / "rows.arrow").exists() and len(lazy) == len(eager)
    for k in (0, 1, 22):  # with and without an instruction joined to the question
        a, b = eager[k], lazy[k]
        assert a["input_ids"] == b["input_ids"] and a["labels"] == b["labels"]
        assert torch.equal(a["pixel_values"], b["pixel_values"])


def test_a_bad_row_is_named_by_file_and_one_based_row_before_mapping(tmp_path):
    rows = generate_splits("chart_bar", {"train": 1500}, seed=3)["train"]
    rows[1200]["question"] = "  "  # in the second row group
    path = tmp_path / "bad.parquet"
    write_table(rows, path, validate=False)
    with pytest.raises(ContractError, match=r"bad\.parquet: row 1201 .*empty question"):
        mapped_rows(path, tmp_path / "ckpt")
    assert not (tmp_path / "ckpt" / "rows.arrow").exists()
    rows[1200]["question"] = "what?"
    write_table(rows, path, validate=False)
    assert validate_file(path) == 1500


def test_a_rewritten_table_is_mapped_again(table, tmp_path):
    first = mapped_rows(table, tmp_path / "ckpt")
    copy = tmp_path / "ckpt" / "rows.arrow"
    made = copy.stat().st_mtime_ns
    assert len(first) == 40
    again = mapped_rows(table, tmp_path / "ckpt")  # a resumed run reuses the copy
    assert len(again) == 40 and copy.stat().st_mtime_ns == made
    write_table(generate_splits("chart_bar", {"train": 12}, seed=4)["train"], table)
    assert len(mapped_rows(table, tmp_path / "ckpt")) == 12
