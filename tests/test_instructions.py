"""Answer-format instructions (data/instructions.py): one line per dataset, written into the
question where the contract tables are made, so training, evaluation and features share it."""

from __future__ import annotations

import pytest

from dataprophet.data.generate import generate
from dataprophet.data.instructions import BY_METRIC, SHORT, instruction_for, with_instruction
from dataprophet.data.registry import RegistryError, load_registry, override
from dataprophet.data.suite import generate_splits
from dataprophet.io.contract import read_table, write_table
from dataprophet.settings import GenerateSettings, SynthesizeSettings
from dataprophet.synthetic.synthesize import synthesize
from dataprophet.truth.scoring import SCORERS

ROOT = __import__("pathlib").Path(__file__).resolve().parents[1]


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
    assert all(spec.instruction is None for spec in registry.values())  # the metric defaults
    changed = override(registry["docvqa"], instruction="")
    assert changed.instruction == ""
    with pytest.raises(RegistryError, match=r"key 'instruction': expected a line of text"):
        override(registry["docvqa"], instruction=3)


@pytest.mark.parametrize("instructions", [True, False])
def test_generate_writes_the_instruction_into_every_split(tmp_path, instructions):
    paths = {split: tmp_path / f"{split}.parquet" for split in ("pretrain", "train", "test")}
    sizes = {"pretrain": 3, "train": 3, "test": 3}
    generate("vqa_scene", *paths.values(), GenerateSettings(sizes=sizes, instructions=instructions))
    bare = generate_splits("vqa_scene", {"pretrain": 3, "test": 3, "train": 3}, seed=0)
    line = instruction_for("multiple_choice")
    for split, path in paths.items():
        questions = list(read_table(path)["question"])
        expected = [with_instruction(r["question"], line if instructions else "") for r in bare[split]]
        assert questions == expected
        assert all(q.endswith(line) for q in questions) == instructions


@pytest.mark.parametrize("instructions", [True, False])
def test_synthetic_pairs_get_their_metric_s_instruction(tmp_path, instructions):
    train = tmp_path / "vqa_scene.parquet"
    write_table(generate_splits("vqa_scene", {"train": 4}, seed=0)["train"], train)
    settings = SynthesizeSettings(generators=[{"name": "g"}], images=4, instructions=instructions)
    synthesize("vqa_scene", train, tmp_path / "pool.parquet", tmp_path / "rejects.csv", None, settings)
    pool = read_table(tmp_path / "pool.parquet")
    # a pair has no options, so it is a short answer: the short-answer line, not the options line
    assert pool["question"].str.endswith(f"\n{SHORT}").all() == instructions
    assert not pool["question"].str.contains(instruction_for("multiple_choice"), regex=False).any()
