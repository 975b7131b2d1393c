"""Answer-format instructions (data/instructions.py): one line per dataset, kept in the tables'
``instruction`` column apart from the question, joined to it wherever a prompt is built
(training, evaluation, GRPO, the perplexity factor) and never embedded by the similarity
factors."""

from __future__ import annotations

import pandas as pd
import pytest

from dataprophet.answer_scoring import SCORERS
from dataprophet.data.generate import generate
from dataprophet.data.instructions import BY_METRIC, SHORT, instruction_for, prompt_texts, with_instruction
from dataprophet.data.registry import RegistryError, load_registry, override
from dataprophet.data.suite import generate_splits
from dataprophet.io.contract import read_table, write_table
from dataprophet.settings import GenerateSettings, SynthesizeSettings
from dataprophet.synthetic.synthesize import synthesize

ROOT = __import__("pathlib").Path(__file__).resolve().parents[3]


def test_every_metric_has_a_default_and_an_override_wins():
    assert set(BY_METRIC) == set(SCORERS)
    assert instruction_for("anls") == SHORT
    assert instruction_for("rouge_l") == ""  # free text: the question asks for it
    assert instruction_for("anls", "Reply in one word.") == "Reply in one word."
    assert instruction_for("anls", "") == ""  # a registry file can switch it off
    with pytest.raises(KeyError, match="no default instruction for metric 'bogus'"):
        instruction_for("bogus")


def test_with_instruction_appends_one_line_once():
    once = with_instruction("What is shown? ", SHORT)
    assert once == f"What is shown?\n{SHORT}"
    assert with_instruction(once, SHORT) == once
    assert with_instruction("What is shown?", "") == "What is shown?"


def test_the_registry_reads_and_checks_the_instruction_key(tmp_path):
    registry = load_registry(ROOT / "config" / "datasets")
    # the metric defaults, but for the two token-F1 sets whose references are sentences
    assert {n: s.instruction for n, s in registry.items() if s.instruction is not None} == {
        "open_spatial": "",
        "vc_gvqa": "",
    }
    changed = override(registry["docvqa"], instruction="")
    assert changed.instruction == ""
    with pytest.raises(RegistryError, match=r"key 'instruction': expected a line of text"):
        override(registry["docvqa"], instruction=3)


@pytest.mark.parametrize("instructions", [True, False])
def test_generate_keeps_the_instruction_beside_the_question(tmp_path, instructions):
    paths = {split: tmp_path / f"{split}.parquet" for split in ("pretrain", "train", "test")}
    sizes = {"pretrain": 3, "train": 3, "test": 3}
    generate("vqa_scene", *paths.values(), GenerateSettings(sizes=sizes, instructions=instructions))
    bare = generate_splits("vqa_scene", {"pretrain": 3, "test": 3, "train": 3}, seed=0)
    line = instruction_for("multiple_choice")
    for split, path in paths.items():
        table = read_table(path)
        assert list(table["question"]) == [r["question"] for r in bare[split]]  # what the factors embed
        assert ("instruction" in table.columns) == instructions  # off: the contract's columns only
        expected = [with_instruction(r["question"], line if instructions else "") for r in bare[split]]
        assert prompt_texts(table) == expected  # what the models are prompted with


@pytest.mark.parametrize("instructions", [True, False])
def test_synthetic_pairs_get_their_metric_s_instruction(tmp_path, instructions):
    train = tmp_path / "vqa_scene.parquet"
    write_table(generate_splits("vqa_scene", {"train": 4}, seed=0)["train"], train)
    settings = SynthesizeSettings(generators=[{"name": "g"}], images=4, instructions=instructions)
    synthesize("vqa_scene", train, tmp_path / "pool.parquet", tmp_path / "rejects.csv", None, settings)
    pool = read_table(tmp_path / "pool.parquet")
    # a pair has no options, so it is a short answer: the short-answer line, not the options line
    prompts = pd.Series(prompt_texts(pool))
    assert prompts.str.endswith(f"\n{SHORT}").all() == instructions
    assert not pool["question"].str.contains(SHORT, regex=False).any()
    assert not prompts.str.contains(instruction_for("multiple_choice"), regex=False).any()


def test_tables_without_the_column_prompt_with_the_bare_question():
    frame = pd.DataFrame({"question": ["How many?", "What colour?"]})
    assert prompt_texts(frame) == ["How many?", "What colour?"]
    mixed = frame.assign(instruction=[SHORT, None])  # a mixture of a table with and one without
    assert prompt_texts(mixed) == [f"How many?\n{SHORT}", "What colour?"]


def test_copied_rows_keep_their_instruction(tmp_path):
    """A stage that copies rows (mixture, RL prompts) writes the column back; a frame read from
    a table without it writes the contract's columns only."""
    from dataprophet.io.contract import COLUMNS, table_columns

    rows = generate_splits("vqa_scene", {"train": 2}, seed=0)["train"]
    write_table([{**r, "instruction": SHORT} for r in rows], tmp_path / "with.parquet")
    frame = read_table(tmp_path / "with.parquet")
    assert table_columns(frame) == [*COLUMNS, "instruction"]
    write_table(frame[table_columns(frame)].to_dict("records"), tmp_path / "copy.parquet")
    assert list(read_table(tmp_path / "copy.parquet")["instruction"]) == [SHORT, SHORT]
    write_table(rows, tmp_path / "bare.parquet")
    assert list(read_table(tmp_path / "bare.parquet").columns) == list(COLUMNS)


def test_question_features_do_not_see_the_instruction_and_mini_features_are_unchanged(tiny_parts):
    """QSim's embeddings come from the bare question: one line shared by ten datasets would
    raise their similarity. Without the column (the mini study) nothing changes; the answer's
    perplexity is scored under the prompt the models are trained with."""
    import numpy as np

    from dataprophet.prophet.features import extract

    _, processor, model, _ = tiny_parts
    rows = generate_splits("vqa_scene", {"train": 3}, seed=0)["train"]
    bare = pd.DataFrame(rows)
    with_line = bare.assign(instruction=SHORT)
    old_style = bare.assign(question=[with_instruction(q, SHORT) for q in bare["question"]])
    a, b, c = (extract(model.eval(), processor, f, batch_size=3) for f in (bare, with_line, old_style))
    for key in ("q", "a", "qa", "i"):
        np.testing.assert_array_equal(a[key], b[key])  # the factors' inputs ignore the instruction
    assert not np.allclose(a["q"], c["q"])  # (the line in the question did move them)
    np.testing.assert_allclose(b["nll"], c["nll"], rtol=1e-5)  # PPL: the prompt as trained
