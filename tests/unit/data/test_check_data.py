"""The paper study's preflight (data/check_data.py): every hand-fetched file or image folder
missing is named, with where to get it, before any download, stream or GPU job."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from dataprophet.data.check_data import check_data, local_inputs, missing_inputs
from dataprophet.data.prepare import sample_dataset
from dataprophet.data.registry import PAPER_ORDER, load_registry, override
from dataprophet.settings import CheckDataSettings, PrepareSettings

ROOT = Path(__file__).resolve().parents[3]
REGISTRY = ROOT / "config" / "datasets"
MANUAL = {"clevr_counting", "clevr_relation", "vc_gvqa", "open_spatial", "geomverse", "mapqa"}


def test_every_manual_input_of_the_paper_config_is_named_on_an_empty_machine(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    missing = missing_inputs(load_registry(REGISTRY), list(PAPER_ORDER))
    assert {m.dataset for m in missing} == MANUAL
    paths = {m.path for m in missing}
    assert "resources/clevr/CLEVR_v1.0/questions/CLEVR_val_questions.json" in paths
    assert "resources/visual_cot/benchmark/flickr30k.json" in paths
    assert {"resources/geomverse/test.jsonl", "resources/mapqa/test-QA.json"} <= paths
    # SpatialRGPT-Bench: its repo's parquet rows (data/) and the pictures they name (images/)
    assert {"resources/spatialrgpt_bench/data", "resources/spatialrgpt_bench"} <= paths
    bench = {m.path: m.what for m in missing if m.path.startswith("resources/spatialrgpt_bench")}
    assert bench["resources/spatialrgpt_bench/data"] == "parquet folder"
    assert all(m.download and "no download note" not in m.download for m in missing)


def _touch_all(specs, names) -> None:
    for name in names:
        for item in local_inputs(specs[name]):
            path = Path(item.path)
            if item.what == "file":
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text("[]")
            elif item.what == "parquet folder":
                path.mkdir(parents=True, exist_ok=True)
                (path / "train-00000-of-00001.parquet").write_bytes(b"x")
            else:
                path.mkdir(parents=True, exist_ok=True)
                (path / "x.jpg").write_bytes(b"x")


def test_the_cli_lists_what_is_missing_and_passes_once_it_is_there(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # registry paths are relative to the study's working directory
    report = tmp_path / "check.tsv"
    cmd = [sys.executable, "-m", "dataprophet.cli", "check-data", "--registry", str(REGISTRY)]
    cmd += ["--report", str(report), "--datasets", json.dumps(["chartqa", "mapqa", "open_spatial"])]
    result = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and not report.exists()
    err = result.stderr
    assert "mapqa (" in err and "missing file (test): resources/mapqa/test-QA.json" in err
    assert "missing image folder (test): resources/mapqa/images" in err
    assert "open_spatial" in err and "a8cheng/OpenSpatialDataset" in err  # where to get it
    assert "chartqa" not in err  # hub-only datasets need nothing by hand
    # an empty image folder is still missing
    specs = load_registry(REGISTRY)
    _touch_all(specs, ["mapqa", "open_spatial"])
    (tmp_path / "resources/mapqa/images/x.jpg").unlink()
    result = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and "resources/mapqa/images" in result.stderr
    (tmp_path / "resources/mapqa/images/x.jpg").write_bytes(b"x")
    result = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    table = pd.read_csv(report, sep="\t")
    assert set(table["dataset"]) == {"mapqa", "open_spatial"} and len(table) == 6


def test_check_data_refuses_an_unknown_dataset(tmp_path):
    with pytest.raises(ValueError, match="unknown dataset"):
        check_data(REGISTRY, None, tmp_path / "r.tsv", CheckDataSettings(datasets=("nope",)))


def test_prepare_stops_on_a_missing_test_file_before_streaming_the_train_split(tmp_path, monkeypatch):
    """GeomVerse and MapQA stream a hub train split; a missing local test file must stop the job
    first, not after the whole train split."""
    monkeypatch.chdir(tmp_path)
    streamed = []
    spec = load_registry(REGISTRY)["geomverse"]
    spec = override(spec, train={"kind": "local", "path": str(tmp_path / "train.jsonl")})
    (tmp_path / "train.jsonl").write_text("")
    import dataprophet.data.sampling as sampling

    monkeypatch.setattr(sampling, "sample_records", lambda *a, **k: streamed.append(1) or [])
    settings = PrepareSettings(sizes={"train": 2, "test": 2})
    tables = [tmp_path / f"{r}.parquet" for r in ("train", "test")]
    ids = [tmp_path / f"{r}.json" for r in ("train", "test")]
    with pytest.raises(
        FileNotFoundError, match=r"(?s)geomverse .*missing file \(test\): resources/geomverse/test.jsonl"
    ):
        sample_dataset(spec, *tables, *ids, tmp_path / "r.csv", settings)
    assert not streamed
