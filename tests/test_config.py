"""Config validation: schema (keys, types) and registry checks (dataset names)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from dataprophet.config import ConfigError, load_study, load_study_file, validate_against_schema

ROOT = Path(__file__).resolve().parents[1]


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
