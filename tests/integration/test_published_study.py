"""The published study (config/published.yaml): Table 1 from the paper's printed matrices,
end to end in seconds, and its errors on bad input."""

from __future__ import annotations

import json
import re
import subprocess

import pandas as pd
import pytest
import yaml
from workflow_run import ROOT, snakemake_command

from dataprophet import paper
from dataprophet.analysis.published_matrices import published_matrices
from dataprophet.analysis.published_summary import mark
from dataprophet.cli import main
from dataprophet.config import load_study
from dataprophet.io.matrices import MatrixError
from dataprophet.settings import ConfigError, PublishedMatricesSettings

CONFIG = ROOT / "config" / "published.yaml"


@pytest.mark.integration
def test_published_study_end_to_end(tmp_path):
    """From scratch: no model job is planned, every output is written (its run time is a
    measurement in docs/published.md, not a test), tau_Tgt is within 0.005 of the printed
    0.863, and every target and source is listed beside its printed tau."""
    dry = subprocess.run(
        snakemake_command(tmp_path, CONFIG, "-n", "--quiet", "rules"), capture_output=True, text=True, check=True
    )
    planned = {m.group(1) for m in re.finditer(r"^(\w+)\s+\d+$", dry.stdout, flags=re.M)} - {"total"}
    assert planned == {"published_matrices", "rank", "ablations", "heatmap", "published_summary", "provenance", "all"}
    subprocess.run(snakemake_command(tmp_path, CONFIG, "-c2", "--quiet"), check=True, capture_output=True)
    results = tmp_path / "results" / "published"
    for name in ("delta_heatmap", "metric_heatmap", "tau_by_target"):
        assert (results / "figures" / f"{name}.png").stat().st_size > 10_000
    summary = json.loads((results / "tables" / "tau_summary.json").read_text())
    assert summary["tau_tgt"] == pytest.approx(paper.TAU_SUMMARY["tau_tgt"], abs=0.005)
    assert summary["tau_src"] == pytest.approx(paper.TAU_SRC_FROM_PUBLISHED_MATRICES, abs=0.0005)  # printed: 0.857
    page = (results / "report" / "summary.md").read_text()
    for name in paper.TAU_TGT:
        assert sum(line.startswith(f"| {name} |") for line in page.splitlines()) == 2  # per target and per source
    assert "0.857" in page and "**differs**" in page
    ablations = pd.read_csv(results / "tables" / "ablations.csv").set_index("variant")
    assert ablations.loc["full", "tau_tgt"] == pytest.approx(summary["tau_tgt"], abs=1e-4)  # written to 4 decimals
    assert len(ablations) == 4
    comparison = pd.read_csv(results / "tables" / "paper_comparison.csv")
    assert comparison["paper"].notna().all() and len(comparison) == 3 + 28


def _raw() -> dict:
    return yaml.safe_load(CONFIG.read_text())


def test_published_config_refuses_model_sections_and_missing_files(tmp_path):
    raw = _raw()
    study = load_study(raw, base_dir=ROOT)
    assert study.published["delta"].endswith("data/published/delta.csv")
    with pytest.raises(ConfigError, match=r"'published'.*remove \['rl'\]"):
        load_study({**raw, "rl": {"runs": ["equal"]}}, base_dir=ROOT)
    with pytest.raises(ConfigError, match=r"'published.metric': file nowhere.csv does not exist"):
        load_study({**raw, "published": {"delta": raw["published"]["delta"], "metric": "nowhere.csv"}}, base_dir=ROOT)


def test_published_matrices_names_the_file_and_the_unknown_label(tmp_path):
    study = load_study(_raw(), base_dir=ROOT)
    settings = PublishedMatricesSettings(datasets=study.dataset_info)
    delta = pd.read_csv(ROOT / "data" / "published" / "delta.csv", index_col=0)
    bad = tmp_path / "bad.csv"
    delta.rename(index={"MapQA": "MapQA-v2"}).to_csv(bad)
    with pytest.raises(MatrixError, match=r"bad.csv: row labels .*unknown \['MapQA-v2'\], missing \['MapQA'\]"):
        published_matrices(bad, ROOT / "data/published/metric.csv", tmp_path / "d.csv", tmp_path / "m.csv", settings)
    delta.iloc[2, 3] = float("nan")
    delta.to_csv(bad)
    with pytest.raises(
        MatrixError, match=r"bad.csv: empty or non-finite cell\(s\) at \(source, target\) \[\('ChartQA'"
    ):
        published_matrices(bad, ROOT / "data/published/metric.csv", tmp_path / "d.csv", tmp_path / "m.csv", settings)
    published_matrices(
        ROOT / "data/published/delta.csv",
        ROOT / "data/published/metric.csv",
        tmp_path / "d.csv",
        tmp_path / "m.csv",
        settings,
    )
    written = pd.read_csv(tmp_path / "d.csv", index_col=0)
    assert written.loc["clevr_counting", "tallyqa"] == pytest.approx(0.4052)  # 40.52 % as a fraction
    assert list(written.index) == list(written.columns)


def test_rank_takes_exactly_one_source_of_m(tmp_path, capsys):
    args = ["rank", "--truth", str(ROOT / "data/published/delta.csv"), "--tau", str(tmp_path / "t.csv")]
    args += ["--summary", str(tmp_path / "s.json"), "--comparison", str(tmp_path / "c.csv")]
    args += ["--pdf", str(tmp_path / "f.pdf"), "--png", str(tmp_path / "f.png")]
    assert main(args) == 2
    assert "exactly one of --terms" in capsys.readouterr().err
    assert main([*args, "--metric", str(ROOT / "data/published/metric.csv")]) == 0
    per_item = pd.read_csv(tmp_path / "t.csv")
    assert len(per_item) == 28 and not (tmp_path / "t.csv").with_suffix(".tmp").exists()


def test_every_difference_beyond_rounding_is_marked():
    assert mark(0.8634, 0.863, 0.0005)[2] == "same"
    assert mark(0.8641, 0.863, 0.0005) == ("0.863", "+0.001", "**differs**")
    assert mark(0.2, None, 0.0005)[2] == "not printed"
