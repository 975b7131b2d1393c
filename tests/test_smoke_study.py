"""Integration: the smoke study through Snakemake, end to end, in a temporary directory."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
SMOKE = ["ocr_cover", "chart_bar", "spatial_grid", "count_shapes"]


def _snakemake(workdir: Path, *extra: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}:{os.environ['PATH']}")
    cmd = [sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"), "-d", str(workdir),
           "--configfile", str(ROOT / "config" / "smoke.yaml"), "--cores", "2", *extra]
    return subprocess.run(cmd, cwd=workdir, env=env, capture_output=True, text=True, timeout=900)


@pytest.fixture(scope="module")
def smoke_run(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("smoke")
    result = _snakemake(workdir)
    assert result.returncode == 0, result.stderr[-4000:]
    return workdir / "results" / "smoke"


@pytest.mark.integration
def test_smoke_study_writes_score_and_delta_tables(smoke_run):
    scores = pd.read_csv(smoke_run / "tables" / "scores.csv", index_col=0)
    assert list(scores.index) == ["base", *SMOKE]
    assert list(scores.columns) == SMOKE
    assert ((scores >= 0) & (scores <= 1)).all().all()
    delta = pd.read_csv(smoke_run / "tables" / "delta.csv", index_col=0)
    base = scores.loc["base"]
    for target in SMOKE:
        if base[target] > 0:
            expected = (scores.loc[SMOKE, target] - base[target]) / base[target]
            np.testing.assert_allclose(delta[target].to_numpy(), expected.to_numpy(), atol=1e-5)


@pytest.mark.integration
def test_smoke_study_keeps_auditable_predictions_and_figures(smoke_run):
    predictions = pd.read_parquet(smoke_run / "eval" / "seed0" / "chart_bar" / "predictions.parquet")
    assert set(predictions["target"]) == set(SMOKE)
    assert {"id", "prediction", "answers", "score"} <= set(predictions.columns)
    reported = json.loads((smoke_run / "eval" / "seed0" / "chart_bar" / "scores.json").read_text())["scores"]
    recomputed = predictions.groupby("target")["score"].mean()
    for target in SMOKE:
        assert reported[target] == pytest.approx(recomputed[target])
    for ext in ("pdf", "png"):
        assert (smoke_run / "figures" / f"delta_heatmap.{ext}").stat().st_size > 1000
    assert (smoke_run / "models" / "ft" / "seed1" / "ocr_cover" / "adapter_model.safetensors").exists()
    log = json.loads((smoke_run / "models" / "ft" / "seed0" / "ocr_cover" / "train_log.json").read_text())
    assert log["global_step"] == 6


@pytest.mark.integration
def test_smoke_study_measures_seed_agreement(smoke_run):
    table = pd.read_csv(smoke_run / "tables" / "noise_ceiling.csv")
    assert set(table["pair"]) == {"seed0-seed1"}
    assert table["tau"].between(-1, 1).all()


@pytest.mark.integration
def test_second_run_has_nothing_to_do(smoke_run):
    result = _snakemake(smoke_run.parent.parent, "-n")
    assert result.returncode == 0
    assert "Nothing to be done" in result.stdout + result.stderr
