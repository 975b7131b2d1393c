"""Config validation: schema (keys, types) and registry checks (dataset names)."""

from __future__ import annotations

import dataclasses
import typing
from pathlib import Path

import pytest
import yaml

from dataprophet.config import ConfigError, load_study, load_study_file, schema_text, validate_against_schema
from dataprophet.model.modeling import TinyModelSpec
from dataprophet.settings import (
    BadRows,
    ComputeSettings,
    EvalSettings,
    ModelSettings,
    ProphetSettings,
    Scale,
    SelectionSettings,
    TrainSettings,
)

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.parametrize("name", ["config.yaml", "smoke.yaml"])
def test_shipped_configs_validate(name):
    study = load_study_file(ROOT / "config" / name)
    assert study.results == f"results/{study.name}"


def _raw(**changes):
    raw = yaml.safe_load((ROOT / "config" / "smoke.yaml").read_text())
    raw.update(changes)
    return raw


def test_unknown_top_level_key_is_named_with_valid_keys():
    with pytest.raises(ConfigError, match="'fintune' was unexpected.*valid keys here: .*'finetune'"):
        validate_against_schema(_raw(fintune={}))


def test_wrong_type_names_the_key():
    raw = _raw()
    raw["finetune"]["learning_rate"] = "fast"
    with pytest.raises(ConfigError, match="config key 'finetune.learning_rate'"):
        validate_against_schema(raw)


def test_unknown_dataset_name_lists_valid_names():
    raw = _raw(datasets=["ocr_cover", "chart_barz"])
    validate_against_schema(raw)
    with pytest.raises(ConfigError, match=r"unknown dataset name\(s\) \['chart_barz'\]; valid names: .*'chart_bar'"):
        load_study(raw)


def test_repeated_finetune_seeds_are_rejected():
    with pytest.raises(ConfigError, match="finetune_seeds"):
        load_study(_raw(finetune_seeds=[1, 1]))


# ------------------------------------------------ one definition: the generated files are current


def test_config_schema_file_is_generated_from_the_settings():
    """The schema Snakemake validates with is StudyConfig's, as generated (regenerate with
    `python -m dataprophet.config_schema`)."""
    from dataprophet.config_schema import SCHEMA_FILE
    from dataprophet.config_schema import schema_text as generated

    assert SCHEMA_FILE.read_text() == generated() == schema_text()


def test_config_readme_is_generated_from_the_settings():
    from dataprophet.config_schema import README_FILE, readme_text

    assert README_FILE == ROOT / "config" / "README.md"
    assert README_FILE.read_text() == readme_text()


def test_tiny_model_keys_are_the_tiny_model_spec_fields():
    from dataprophet.settings import TinyModelKeys

    hints = typing.get_type_hints(TinyModelSpec)
    assert typing.get_type_hints(TinyModelKeys) == {f.name: hints[f.name] for f in dataclasses.fields(TinyModelSpec)}


def test_config_sections_are_the_stage_settings_classes():
    """A config section is its settings class: every field is a key, with its type and bounds."""
    from dataprophet.settings import StudyConfig

    sections = typing.get_type_hints(StudyConfig)
    for key, cls in (
        ("pretrain", TrainSettings),
        ("finetune", TrainSettings),
        ("evaluate", EvalSettings),
        ("prophet", ProphetSettings),
        ("selection", SelectionSettings),
        ("model", ModelSettings),
        ("compute", ComputeSettings),
    ):
        assert sections[key] is cls, key
    schema = yaml.safe_load(schema_text())
    assert schema["properties"]["scale"]["enum"] == list(typing.get_args(Scale))
    assert schema["properties"]["on_bad_rows"]["enum"] == list(typing.get_args(BadRows))
    assert set(schema["$defs"]["TrainSettings"]["properties"]) == {f.name for f in dataclasses.fields(TrainSettings)}


def test_a_bad_value_names_its_config_key():
    with pytest.raises(ConfigError, match=r"config key 'finetune.batch_size' must be a number >= 1, got 0"):
        load_study(_raw(finetune={"batch_size": 0}))
    with pytest.raises(ConfigError, match=r"config key 'selection.icons': unknown key\(s\) \['projection'\]"):
        load_study(_raw(selection={"icons": {"projection": 8}}))
    with pytest.raises(ConfigError, match=r"config key 'finetune': training needs max_steps > 0 or epochs > 0"):
        load_study(_raw(finetune={"max_steps": 0, "epochs": 0}))


def test_training_and_evaluation_tiles_are_separate_keys():
    """Training (and features, ICONS, GRPO) take finetune.max_tiles; evaluation its own."""
    study = load_study(_raw(evaluate={"max_tiles": 12}))
    assert study.finetune_settings(1).max_tiles == 1 and study.finetune_settings(1).seed == 1
    assert study.evaluate.max_tiles == 12
    raw = _raw(evaluate={"max_tiles": 12})
    raw["finetune"]["max_tiles"] = 2
    study = load_study(raw)
    assert study.finetune_settings(0).max_tiles == 2 and study.feature_settings("train").max_tiles == 2
    assert study.grpo_settings().max_tiles == 2 and study.gradient_settings().max_tiles == 2
    assert study.evaluate.max_tiles == 12
    paper = load_study_file(ROOT / "config" / "paper.yaml")
    assert paper.finetune_settings(0).max_tiles == 1 and paper.evaluate.max_tiles == 12


def test_command_line_overrides_are_read_as_the_schema_types():
    """Snakemake passes nested --config values as text; they must mean what they say."""
    from dataprophet.config import coerce_by_schema

    raw = _raw(
        finetune={"method": "lora", "learning_rate": "2.0e-3", "freeze_vision": "false", "max_steps": "7"},
        finetune_seeds=["0", "1"],
        prophet={"kmeans_k": "4", "tau_variant": "a"},
        pretrain={"learning_rate": "2e-3"},
        evaluate={"max_new_tokens_by_metric": {"rouge_l": "32"}},
    )
    raw.pop("scale")
    fixed = coerce_by_schema(raw)
    assert fixed["finetune"] == {"method": "lora", "learning_rate": 0.002, "freeze_vision": False, "max_steps": 7}
    assert fixed["finetune_seeds"] == [0, 1] and fixed["prophet"] == {"kmeans_k": 4, "tau_variant": "a"}
    assert fixed["evaluate"]["max_new_tokens_by_metric"] == {"rouge_l": 32}
    assert fixed["pretrain"]["learning_rate"] == 0.002
    fixed["scale"] = "mini"
    validate_against_schema(fixed)
    with pytest.raises(ConfigError, match="'finetune.learning_rate'"):
        validate_against_schema(coerce_by_schema({**fixed, "finetune": {"learning_rate": "fast"}}))
