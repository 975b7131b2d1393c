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


# ------------------------------------------------ the schema and the settings dataclasses agree

SCHEMA = yaml.safe_load(schema_text())
JSON_TYPES = {bool: "boolean", int: "integer", float: "number", str: "string", dict: "object"}
# Settings fields that are not config keys of their own section (the study derives them).
DERIVED: dict[str, set[str]] = {}  # fields set by the workflow, never config keys


def _section(key):
    node = SCHEMA["properties"][key]
    return SCHEMA["$defs"][node["$ref"].split("/")[-1]] if "$ref" in node else node


def _check_field(cls, name, kind, node):
    where = f"{cls.__name__}.{name}"
    if typing.get_origin(kind) is typing.Literal:
        assert node.get("enum") == list(typing.get_args(kind)), where
    elif typing.get_origin(kind) is tuple and typing.get_origin(typing.get_args(kind)[0]) is typing.Literal:
        assert node["items"]["enum"] == list(typing.get_args(typing.get_args(kind)[0])), where
    elif kind in JSON_TYPES:
        expected = JSON_TYPES[kind]
        declared = node.get("type")
        assert declared == expected or (kind is float and declared == "integer"), where
    elif type(None) in typing.get_args(kind):
        assert set(node["type"]) == {"string", "null"}, where


@pytest.mark.parametrize(
    "key, cls",
    [
        ("pretrain", TrainSettings),
        ("finetune", TrainSettings),
        ("evaluate", EvalSettings),
        ("prophet", ProphetSettings),
        ("selection", SelectionSettings),
        ("model", ModelSettings),
        ("compute", ComputeSettings),
        ("tiny_model", TinyModelSpec),
    ],
)
def test_schema_section_matches_its_dataclass(key, cls):
    """Every field is a config key (and back), with the same type and the same allowed values."""
    props = _section(key)["properties"]
    fields = {f.name for f in dataclasses.fields(cls)} - DERIVED.get(cls.__name__, set())
    extra, missing = sorted(set(props) - fields), sorted(fields - set(props))
    assert not extra and not missing, f"{key}: only in the schema {extra}, only in the dataclass {missing}"
    hints = typing.get_type_hints(cls)
    for name in fields:
        _check_field(cls, name, hints[name], props[name])


def test_top_level_choices_match_the_settings():
    assert SCHEMA["properties"]["scale"]["enum"] == list(typing.get_args(Scale))
    assert SCHEMA["properties"]["on_bad_rows"]["enum"] == list(typing.get_args(BadRows))


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
