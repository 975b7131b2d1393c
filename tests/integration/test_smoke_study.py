"""Integration: the smoke study through Snakemake, end to end, in a temporary directory."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from netguard.guarded import NETGUARD, offline_env
from snakemake_records import finished_outputs
from workflow_run import snakemake_command

ROOT = Path(__file__).resolve().parents[2]
SMOKE_CONFIG = yaml.safe_load((ROOT / "config" / "smoke.yaml").read_text())
SMOKE = SMOKE_CONFIG["datasets"]


def _snakemake(workdir: Path, *extra: str) -> subprocess.CompletedProcess:
    """Run the smoke study with every Python process barred from the network."""
    env = offline_env(workdir / "network_attempts.log")
    cmd = snakemake_command(workdir, ROOT / "config" / "smoke.yaml", "--cores", "2", *extra)
    return subprocess.run(cmd, cwd=workdir, env=env, capture_output=True, text=True, timeout=900)


@pytest.fixture(scope="module")
def smoke_run(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("smoke")
    result = _snakemake(workdir)
    assert result.returncode == 0, result.stderr[-4000:]
    return workdir / "results" / "smoke"


@pytest.mark.integration
def test_smoke_study_writes_score_and_delta_tables(smoke_run):
    scores = pd.read_csv(smoke_run / "tables" / "seed0" / "scores.csv", index_col=0)
    assert list(scores.index) == ["base", *SMOKE]
    assert list(scores.columns) == SMOKE
    assert ((scores >= 0) & (scores <= 1)).all().all()
    delta = pd.read_csv(smoke_run / "tables" / "seed0" / "delta.csv", index_col=0)
    base = scores.loc["base"]
    for target in SMOKE:
        if base[target] > 0:
            expected = (scores.loc[SMOKE, target] - base[target]) / base[target]
            np.testing.assert_allclose(delta[target].to_numpy(), expected.to_numpy(), rtol=1e-6, atol=1e-9)


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
    tables = smoke_run / "tables"
    table = pd.read_csv(tables / "noise_ceiling.csv")
    assert set(table["comparison"]) == {"seed0-vs-rest", "seed1-vs-rest"}
    # A constant Delta row or column (possible at smoke size) has no ranking: tau is NaN.
    finite = table["tau"].dropna()
    assert len(finite) > 0 and finite.between(-1, 1).all()
    # the ground truth is the seed mean, with its standard error
    seeds = [pd.read_csv(tables / f"seed{k}" / "delta.csv", index_col=0) for k in (0, 1)]
    mean = pd.read_csv(tables / "delta.csv", index_col=0)
    se = pd.read_csv(tables / "delta_se.csv", index_col=0)
    pd.testing.assert_frame_equal(mean, (seeds[0] + seeds[1]) / 2, check_names=False, check_dtype=False, atol=1e-9)
    half_gap = (seeds[0] - seeds[1]).abs() / 2
    pd.testing.assert_frame_equal(se, half_gap, check_names=False, check_dtype=False, atol=1e-9)


@pytest.mark.integration
def test_smoke_study_reports_the_testbed_regime(smoke_run):
    stats = json.loads((smoke_run / "tables" / "testbed.json").read_text())
    assert set(stats["base_score"]) == set(SMOKE)
    shares = pd.read_csv(smoke_run / "tables" / "constant_share.csv", index_col=0)
    assert {"references", "base", "seed0/ocr_cover", "seed1/count_shapes"} <= set(shares.index)
    assert shares.to_numpy().min() > 0 and shares.to_numpy().max() <= 1
    assert 0 <= stats["own_source_best_within_noise"] <= len(SMOKE)


@pytest.mark.integration
def test_smoke_study_made_no_network_connection(smoke_run):
    log = smoke_run.parent.parent / "network_attempts.log"
    assert not log.exists(), log.read_text()


@pytest.mark.integration
def test_network_guard_really_blocks(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(NETGUARD), DATAPROPHET_NETLOG=str(tmp_path / "net.log"))
    code = "import socket; socket.create_connection(('127.0.0.1', 9), timeout=1)"
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert result.returncode != 0 and "blocked" in result.stderr
    assert "127.0.0.1" in (tmp_path / "net.log").read_text()


@pytest.mark.integration
def test_second_run_has_nothing_to_do(smoke_run):
    result = _snakemake(smoke_run.parent.parent, "-n")
    assert result.returncode == 0
    assert "Nothing to be done" in result.stdout + result.stderr


@pytest.mark.integration
def test_smoke_study_ranks_sources_with_tau_and_ablations(smoke_run):
    terms = pd.read_csv(smoke_run / "tables" / "prophet_terms.csv")
    assert len(terms) == len(SMOKE) ** 2
    metric = pd.read_csv(smoke_run / "tables" / "metric.csv", index_col=0)
    # M recomputed from the stored factors equals the stored metric.
    row = terms.iloc[5]
    expected = row.qsim * row.asim * row.isim * row.ppl_source * row.diversity / row.ppl_target
    assert metric.loc[row.source, row.target] == pytest.approx(expected, rel=1e-6)
    tau = pd.read_csv(smoke_run / "tables" / "tau.csv")
    assert set(tau["axis"]) == {"target", "source"}
    ablations = pd.read_csv(smoke_run / "tables" / "ablations.csv")
    assert {"full", "w/o PPL", "PPL x similarity", "task family (same family = 1)"} <= set(ablations["variant"])
    comparison = pd.read_csv(smoke_run / "tables" / "paper_comparison.csv")
    assert comparison.loc[comparison["quantity"] == "tau", "paper"].item() == pytest.approx(0.860)
    cost = pd.read_csv(smoke_run / "tables" / "compute_cost.csv")
    assert {"finetune", "evaluate", "features"} <= set(cost["stage"])


@pytest.mark.integration
def test_score_command_ranks_a_folder_dataset_for_a_parquet_target(smoke_run, tmp_path, capsys):
    from dataprophet.cli import main

    source = tmp_path / "my_charts"
    source.mkdir()
    frame = pd.read_parquet(smoke_run / "data" / "train" / "chart_bar.parquet").head(16)
    lines = []
    for i, rec in enumerate(frame.itertuples()):
        (source / f"{i}.png").write_bytes(rec.image)
        lines.append(json.dumps({"image": f"{i}.png", "question": rec.question, "answer": rec.answers[0]}))
    (source / "data.jsonl").write_text("\n".join(lines) + "\n")
    code = main(
        [
            "score",
            "--model",
            str(smoke_run / "models" / "base"),
            "--target",
            str(smoke_run / "data" / "test" / "count_shapes.parquet"),
            "--sources",
            str(source),
            str(smoke_run / "data" / "train" / "ocr_cover.parquet"),
            "--samples",
            "16",
            "--kmeans_k",
            "3",
            "--out",
            str(tmp_path / "ranking.csv"),
        ]
    )
    assert code == 0
    ranking = pd.read_csv(tmp_path / "ranking.csv")
    assert set(ranking["source"]) == {"my_charts", "ocr_cover"}
    assert ranking["M"].is_monotonic_decreasing
    assert "best first" in capsys.readouterr().out


@pytest.mark.integration
def test_analysis_notebook_runs_on_the_smoke_results(smoke_run, monkeypatch):
    notebook = json.loads((ROOT / "notebooks" / "explore_results.ipynb").read_text())
    monkeypatch.setenv("DATAPROPHET_STUDY", "smoke")
    monkeypatch.setenv("DATAPROPHET_RESULTS", str(smoke_run.parent))
    namespace: dict = {}
    for cell in notebook["cells"]:
        if cell["cell_type"] == "code":
            exec("".join(cell["source"]), namespace)  # noqa: S102 - the project's own notebook
    assert 0.0 <= namespace["diagonal_best"] <= 1.0
    assert "tau" in namespace["summary"]
    assert len(namespace["figures"]) == 2  # the heatmaps and the selection table
    assert list(namespace["display_table"].columns)[:2] == ["base", "uniform"]


@pytest.mark.integration
def test_same_seeds_give_identical_tables_on_cpu(smoke_run, tmp_path):
    again = _snakemake(tmp_path)
    assert again.returncode == 0, again.stderr[-4000:]
    second = tmp_path / "results" / "smoke" / "tables"
    for name in ("seed0/scores.csv", "delta.csv", "seed1/delta.csv", "prophet_terms.csv", "metric.csv", "tau.csv"):
        assert (smoke_run / "tables" / name).read_bytes() == (second / name).read_bytes(), name


def _mtimes(paths) -> dict:
    return {str(p): p.stat().st_mtime_ns for p in paths}


@pytest.mark.integration
def test_killed_snakemake_reruns_only_unfinished_jobs(tmp_path):
    results = tmp_path / "results" / "smoke"
    first = _snakemake(tmp_path, "results/smoke/models/base")  # paths relative to -d
    assert first.returncode == 0, first.stderr[-4000:]
    kept = list((results / "data").rglob("*.parquet")) + [results / "models" / "base" / "model.safetensors"]
    before = _mtimes(kept)

    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}:{os.environ['PATH']}")
    cmd = snakemake_command(tmp_path, ROOT / "config" / "smoke.yaml", "--cores", "2")
    process = subprocess.Popen(
        cmd, cwd=tmp_path, env=env, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    # Fine-tune outputs as the rule declares them (relative to -d), judged "finished" the way
    # Snakemake judges them: by its own job records, not by the files alone.
    finetunes = [Path(f"results/smoke/models/ft/seed{s}/{d}") for s in (0, 1) for d in SMOKE]
    deadline = time.time() + 300
    while time.time() < deadline and process.poll() is None and not finished_outputs(tmp_path, finetunes):
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    finished = finished_outputs(tmp_path, finetunes)
    assert finished, "no fine-tune finished before the kill"
    before.update(_mtimes(tmp_path / p / "adapter_model.safetensors" for p in finished))
    assert not (results / "tables" / "delta.csv").exists()

    assert _snakemake(tmp_path, "--unlock").returncode == 0  # the killed run's lock is stale
    again = _snakemake(tmp_path, "--rerun-incomplete")
    assert again.returncode == 0, again.stderr[-4000:]
    assert _mtimes(Path(p) for p in before) == before  # finished work was not redone
    assert (results / "tables" / "delta.csv").exists()


SMOKE_BUDGET = SMOKE_CONFIG["selection"]["budget"]
SMOKE_POOL = SMOKE_CONFIG["sizes"]["train"] + SMOKE_CONFIG["selection"]["pool_extra"]
SMOKE_TARGETS = SMOKE_CONFIG["selection"]["targets"]


@pytest.mark.integration
def test_smoke_study_allocates_the_budget_per_target_within_the_pools(smoke_run):
    tables = {
        m: pd.read_csv(smoke_run / "selection" / f"allocation_{m}.csv", index_col=0)
        for m in ("uniform", "dataprophet", "oracle")
    }
    assert list(tables["uniform"].columns) == ["all"]  # one uniform mixture serves every target
    for method, table in tables.items():
        assert list(table.index) == SMOKE, method
        assert (table.sum() == SMOKE_BUDGET).all() and (table >= 0).all().all(), method
        assert (table <= SMOKE_POOL).all().all(), method
    assert (tables["uniform"] == SMOKE_BUDGET // len(SMOKE)).all().all()
    # Algorithm 1: counts follow M(s -> t) within rounding in every column no pool capped.
    metric = pd.read_csv(smoke_run / "tables" / "metric.csv", index_col=0)
    share = SMOKE_BUDGET * metric / metric.sum()
    for target in SMOKE:
        if (tables["dataprophet"][target] < SMOKE_POOL).all():
            assert (abs(tables["dataprophet"][target] - share[target]) < 1).all()


@pytest.mark.integration
def test_smoke_study_trains_and_scores_every_selection_method(smoke_run):
    table = pd.read_csv(smoke_run / "selection" / "table_real.csv", index_col=0)
    assert list(table.index) == [*SMOKE_TARGETS, "Average", "Improve over uniform"]
    assert {"base", "uniform", "dataprophet", "oracle", "icons", "icons_consensus"} <= set(table.columns)
    scores = table.loc[SMOKE_TARGETS]
    assert ((scores >= 0) & (scores <= 100)).all().all()
    np.testing.assert_allclose(table.loc["Average"], scores.mean(), atol=0.01)
    for method in ("dataprophet", "oracle", "icons"):
        for target in SMOKE_TARGETS:
            reported = json.loads((smoke_run / "eval" / "mix" / method / target / "scores.json").read_text())
            assert table.loc[target, method] == pytest.approx(100 * reported["scores"][target], abs=0.01)
    test_ids = set().union(*(pd.read_parquet(smoke_run / "data" / "test" / f"{d}.parquet")["id"] for d in SMOKE))
    for ids in (smoke_run / "selection" / "mixtures").rglob("*.ids.csv"):
        drawn = pd.read_csv(ids)
        assert drawn["id"].is_unique and not (set(drawn["id"]) & test_ids), ids
        if ids.parent.name.endswith("warmup"):
            expected = SMOKE_CONFIG["selection"]["icons"]["warmup_samples"]  # real or synthetic
        else:
            expected = SMOKE_CONFIG["synthetic"]["budget"] if ids.parent.name.startswith("synthetic") else SMOKE_BUDGET
        assert len(drawn) == expected, ids
    paper_side = pd.read_csv(smoke_run / "selection" / "table_real_paper.csv")
    assert set(paper_side[paper_side["row"] == "chart_bar"]["paper_dataset"]) == {"ChartQA"}
    assert (smoke_run / "figures" / "selection_real.png").stat().st_size > 0


@pytest.mark.integration
def test_smoke_study_judges_icons_and_dataprophet_alike(smoke_run):
    icons = pd.read_csv(smoke_run / "tables" / "icons_matrix.csv", index_col=0)
    assert list(icons.index) == SMOKE and list(icons.columns) == SMOKE
    table = pd.read_csv(smoke_run / "tables" / "predictors.csv")
    kinds = ("DataProphet", "ICONS", "task family", "own source", "seed-to-seed")
    assert table["predictor"].str.startswith(kinds).all()
    assert len(table) == 5
    assert (table.set_index("predictor").filter(like="ICONS", axis=0)["device_seconds"] > 0).all()
    assert table["tau_tgt"].between(-1, 1).all()


# Each setting a rule uses, changed alone on the finished smoke study: exactly the first rules
# that read it must see "Params have changed" (a reader downstream of another reader reruns
# anyway, and Snakemake then gives "updated input" as its reason), and nothing upstream of
# them reruns.
SETTING_CHANGES = [
    ("pretrain={max_steps: 21}", {"base"}),
    # The questions change, so every stage after generate reruns; synthesize reads the key too,
    # but Snakemake names only the updated input for a job downstream of a rerun one.
    ("instructions=true", {"generate"}),
    ("finetune={learning_rate: 1.0e-3}", {"finetune", "finetune:mix"}),  # mixtures share the recipe
    ("evaluate={max_new_tokens: 5}", {"evaluate", "evaluate:mix", "evaluate:rl"}),
    ("evaluate={batch_size: 12}", {"evaluate", "evaluate:mix", "evaluate:rl"}),
    ("prophet={samples_source: 20}", {"features"}),
    ("prophet={batch_size: 8}", {"features"}),
    ("prophet={text_encoder: minilm}", {"features"}),
    ("prophet={kmeans_k: 4}", {"predict"}),
    ("prophet={bootstrap: 300}", {"rank", "ablations"}),
    ("prophet={ablations: {QSim x PPL: [qsim, ppl]}}", {"ablations"}),  # a new variant: one config entry
    # the ceilings (agreement) and the ablations read the tau settings; rank reruns downstream of
    # agreement; the seed-mean Delta (seed_mean) reads none, so nothing upstream reruns
    ("prophet={tau_variant: a}", {"agreement", "ablations"}),
    ("prophet={exclude_diagonal: true}", {"agreement", "ablations"}),
    ("prophet={seed: 1}", {"features"}),  # and predict, rank, downstream of features
    ("selection={budget: 80}", {"allocate", "influence"}),
    ("selection={pool_extra: 20}", {"extend"}),
    # and icons_warmup, downstream of its mixture; the synthetic pool's ICONS warm-up shares the seed
    ("selection={seed: 3}", {"mixture", "finetune:mix"}),
    ("selection={icons: {projection_dim: 16}}", {"gradients"}),
    ("synthetic={images_per_dataset: 6}", {"synthesize"}),
    ("synthetic={max_answer_words: 6}", {"synthesize"}),
    ("synthetic={seed: 2}", {"synthesize"}),  # and synthetic_select, downstream of it
    ("synthetic={budget: 40}", {"synthetic_select"}),  # and ICONS and the fine-tunes downstream of it
    ("synthetic={threshold: 0.5}", {"synthetic_select"}),
    ("rl={prompts_per_dataset: 6}", {"rl_prompts"}),  # and grpo, downstream of it
    ("rl={grpo: {learning_rate: 2.0e-3}}", {"grpo"}),
]


def _dry_run_rules(dry_run: str) -> tuple[set[str], set[str]]:
    """Rules of every job a dry run would run, and of those rerun because their parameters
    changed. The ground truth's fine-tunes and evaluations count as rules of their own
    ("finetune", "evaluate"); a selection mixture's, which share those rules, as
    "finetune:mix" and "evaluate:mix", and an RL model's evaluation as "evaluate:rl"."""
    rules, changed, current = set(), set(), None
    for line in dry_run.splitlines():
        stripped = line.strip()
        if stripped.startswith(("rule ", "localrule ")) and stripped.endswith(":"):
            current = stripped.split()[1].rstrip(":")
        elif stripped.startswith("output:") and current:
            if current in ("finetune", "evaluate") and (
                "/models/ft/mix/" in stripped or "/eval/mix/" in stripped or "icons_warmup" in stripped
            ):
                current = f"{current}:mix"
            elif current == "evaluate" and "/eval/rl/" in stripped:
                current = "evaluate:rl"
            rules.add(current)
        elif stripped.startswith("reason:") and "Params have changed" in stripped and current:
            changed.add(current)
    return rules, changed


UPSTREAM = {  # rules that must not rerun when a setting read first by the key's rules changes
    "base": {"generate"},
    "finetune": {"generate", "base"},
    "finetune:mix": {"generate", "base"},
    "evaluate": {"generate", "base", "finetune"},
    "evaluate:mix": {"generate", "base", "finetune"},
    "evaluate:rl": {"generate", "base", "finetune"},
    "features": {"generate", "base", "finetune", "evaluate", "groundtruth", "seed_mean", "agreement"},
    "predict": {"generate", "base", "finetune", "evaluate", "features"},
    "rank": {"generate", "base", "finetune", "evaluate", "features", "predict", "agreement"},
    "ablations": {"generate", "base", "finetune", "evaluate", "features", "predict", "agreement", "rank"},
    "agreement": {"generate", "base", "finetune", "evaluate", "groundtruth", "seed_mean", "features", "predict"},
    "allocate": {"generate", "base", "finetune", "evaluate", "features", "predict", "rank", "extend"},
    "extend": {"generate", "base", "finetune", "evaluate", "features", "predict", "rank"},
    "mixture": {"generate", "base", "finetune", "evaluate", "features", "predict", "rank", "extend", "allocate"},
    "gradients": {"generate", "base", "finetune", "evaluate", "features", "extend", "icons_warmup"},
    "influence": {"generate", "base", "finetune", "evaluate", "features", "extend", "icons_warmup", "gradients"},
    # the synthetic pool's features and gradients are jobs of "features" and "gradients" too
    "synthesize": {"generate", "base", "finetune", "evaluate", "groundtruth", "agreement", "predict", "rank", "extend"},
    "rl_prompts": {
        "generate",
        "base",
        "finetune",
        "evaluate",
        "features",
        "synthesize",
        "extend",
        "allocate",
        "mixture",
    },
    "grpo": {"generate", "base", "finetune", "features", "synthesize", "rl_prompts", "extend", "allocate", "mixture"},
    "synthetic_select": {
        "generate",
        "base",
        "finetune",
        "evaluate",
        "features",
        "synthesize",
        "predict",
        "rank",
        "extend",
        "allocate",
    },  # fmt: skip
}


@pytest.mark.integration
@pytest.mark.parametrize(("override", "expected"), SETTING_CHANGES)
def test_a_changed_setting_reruns_exactly_the_rules_that_read_it(smoke_run, override, expected):
    workdir = smoke_run.parent.parent
    result = _snakemake(workdir, "-n", "--config", override)
    assert result.returncode == 0, result.stderr[-3000:]
    rules, changed = _dry_run_rules(result.stdout + result.stderr)
    assert changed == expected, override
    for rule in expected:
        upstream = UPSTREAM.get(rule, set())  # "generate" has none
        if upstream & expected:
            continue  # downstream of another reader of the key, so what lies between reruns too
        assert not rules & (upstream - expected), (override, rules & upstream)


TAU_AND_ABLATION_CHANGES = [
    "prophet={tau_variant: a}",
    "prophet={exclude_diagonal: true}",
    "prophet={bootstrap: 300}",
    "prophet={ablations: {QSim x PPL: [qsim, ppl]}}",
]


@pytest.mark.integration
@pytest.mark.parametrize("override", TAU_AND_ABLATION_CHANGES)
def test_a_tau_or_ablation_setting_plans_no_fine_tune_evaluation_or_features(smoke_run, override):
    """The seed-mean Delta reads no tau setting (rule seed_mean, apart from the ceilings of
    rule agreement), so the oracle's allocation, its mixtures and their fine-tunes stay."""
    result = _snakemake(smoke_run.parent.parent, "-n", "--config", override)
    assert result.returncode == 0, result.stderr[-3000:]
    rules, _ = _dry_run_rules(result.stdout + result.stderr)
    assert rules, override
    costly = {"finetune", "finetune:mix", "evaluate", "evaluate:mix", "evaluate:rl", "features", "gradients"}
    assert not rules & (costly | {"seed_mean", "allocate", "mixture", "grpo"}), (override, rules)


@pytest.mark.integration
def test_sending_and_request_rates_rerun_nothing(smoke_run):
    """`synthetic.send` and the request pacing say how to call an API, not what the pool is."""
    override = "synthetic={send: true, concurrency: 9, requests_per_minute: 30, timeout: 5, max_retries: 1}"
    result = _snakemake(smoke_run.parent.parent, "-n", "--config", override)
    assert result.returncode == 0, result.stderr[-3000:]
    rules, _ = _dry_run_rules(result.stdout + result.stderr)
    assert rules - {"all"} <= {"provenance"}  # only the record of the config says it changed


@pytest.mark.integration
def test_smoke_study_selects_from_the_synthetic_pool(smoke_run):
    train = {d: pd.read_parquet(smoke_run / "data" / "train" / f"{d}.parquet") for d in SMOKE}
    pools = {d: pd.read_parquet(smoke_run / "data" / "synthetic" / f"{d}.parquet") for d in SMOKE}
    for d, pool in pools.items():
        first = set(train[d]["id"].iloc[:8])  # synthetic.images_per_dataset
        assert set(pool["source_image"]) <= first and pool["id"].is_unique
        by_gen = pool.groupby("generator")["source_image"].apply(set)
        assert set(by_gen.index) == {"terse", "faithful"} and not by_gen["terse"] & by_gen["faithful"]
        rejects = pd.read_csv(smoke_run / "data" / "synthetic" / "rejects" / f"{d}.csv")
        assert len(pool) + 5 * (rejects["item"] == -1).sum() + (rejects["item"] >= 0).sum() == 8 * 5
    table = pd.read_csv(smoke_run / "selection" / "table_synthetic.csv", index_col=0)
    assert list(table.index) == [*SMOKE_TARGETS, "Average"]
    assert list(table.columns) == ["uniform", "icons", "dataprophet"]
    for method in ("dataprophet", "icons"):
        for target in SMOKE_TARGETS:
            reported = json.loads(
                (smoke_run / "eval" / "mix" / f"synthetic_{method}" / target / "scores.json").read_text()
            )
            assert table.loc[target, method] == pytest.approx(100 * reported["scores"][target], abs=0.01)
            ids = pd.read_csv(smoke_run / "selection" / "mixtures" / f"synthetic_{method}" / f"{target}.ids.csv")
            assert len(ids) == SMOKE_CONFIG["synthetic"]["budget"] and set(ids["part"]) == {"synthetic"}
    scores = pd.read_parquet(smoke_run / "selection" / "synthetic_scores.parquet")
    for target in SMOKE_TARGETS:  # DataProphet's mixture is the top of the per-sample score
        chosen = pd.read_csv(smoke_run / "selection" / "mixtures" / "synthetic_dataprophet" / f"{target}.ids.csv")
        assert scores.loc[chosen["id"], target].min() >= scores[target].drop(chosen["id"]).max()
    share = pd.read_csv(smoke_run / "selection" / "generator_share.csv")
    np.testing.assert_allclose(share.groupby("selection")["dataprophet"].sum(), 1.0)
    assert (smoke_run / "figures" / "selection_synthetic.png").stat().st_size > 0


@pytest.mark.integration
def test_smoke_study_post_trains_with_grpo_and_scores_every_run(smoke_run):
    table = pd.read_csv(smoke_run / "rl" / "table_rl.csv", index_col=0)
    assert list(table.index) == [*SMOKE, "Average"]  # the study's dataset order
    assert list(table.columns) == ["no_rl", "equal", "dataprophet", "random_synthetic", "dataprophet_synthetic"]
    base = json.loads((smoke_run / "eval" / "base" / "scores.json").read_text())["scores"]
    for target in SMOKE:  # no RL is the RL model before RL: here the study's base
        assert table.loc[target, "no_rl"] == pytest.approx(100 * base[target], abs=0.01)
    alloc = pd.read_csv(smoke_run / "rl" / "allocation.csv", index_col=0)
    per_dataset = SMOKE_CONFIG["rl"]["prompts_per_dataset"]
    assert (alloc["equal"] == per_dataset).all() and alloc["dataprophet"].sum() == per_dataset * len(SMOKE)
    for run in table.columns[1:]:
        assert len(pd.read_csv(smoke_run / "rl" / "prompts" / f"{run}.ids.csv")) == per_dataset * len(SMOKE)
        curve = pd.read_csv(smoke_run / "rl" / "curves" / f"{run}.csv")
        assert len(curve) == 3 and curve["reward"].between(0, 1).all()  # rl.grpo.max_steps, one log per step
        assert (smoke_run / "models" / "rl" / run / "adapter_model.safetensors").exists()
    paper = pd.read_csv(smoke_run / "rl" / "table_rl_paper.csv")
    assert set(paper[paper["row"] == "chart_bar"]["paper"]) == {70, 71, 73, 69, 72}


@pytest.mark.integration
def test_an_unchanged_study_has_nothing_to_do(smoke_run):
    result = _snakemake(smoke_run.parent.parent, "-n")
    assert result.returncode == 0 and "Nothing to be done" in result.stdout + result.stderr


@pytest.mark.integration
def test_report_page_builds_offline_with_every_table_and_the_summary(smoke_run):
    workdir = smoke_run.parent.parent
    page = smoke_run / "report.html"
    result = _snakemake(workdir, "--report", str(page))
    assert result.returncode == 0, result.stderr[-3000:]
    html = page.read_text(errors="replace")
    assert len(html) > 100_000  # self-contained: figures and tables are embedded
    for name in (
        "summary.md",
        "table_real.csv",
        "table_synthetic.csv",
        "generator_share.csv",
        "table_rl.csv",
        "predictors.csv",
        "ablations.csv",
        "delta_heatmap.png",
        "tau.csv",
    ):
        assert name in html, name
    assert not (workdir / "network_attempts.log").exists()


@pytest.mark.integration
def test_summary_puts_each_paper_number_beside_ours(smoke_run):
    text = (smoke_run / "report" / "summary.md").read_text()
    first = "\n".join(text.splitlines()[:5])
    assert "not a reproduction of the paper's values" in first
    tau = json.loads((smoke_run / "tables" / "tau_summary.json").read_text())
    assert f"| two-way tau | 0.860 | {tau['tau']:.3f} |" in text
    assert "tau_Tgt, recomputed from the paper's rows | 0.866" in text  # printed 0.863: both shown
    assert "| uniform | 67.600 | 68.614 |" in text  # Table 3's printed and recomputed averages
    assert "chart_bar (ChartQA) | dataprophet | 85.600 |" in text
    assert "| uniform | 55.100 | 55.014 |" in text  # Table 3 right: printed and recomputed averages
    assert "chart_bar (ChartQA) | dataprophet | 78.300 |" in text
    share = pd.read_csv(smoke_run / "selection" / "generator_share.csv")
    pooled = share[share["selection"] == "pooled over targets"].set_index("stands_in_for")
    assert f"| terse | GPT-5 | 0.380 | {pooled.loc['GPT-5', 'dataprophet']:.3f} |" in text
    assert "| equal | 58.300 | 58.286 |" in text  # Table 4's printed and recomputed averages
    assert "not yet run" not in text
    for done in ("Table 3, right", "Generator share", "Table 4"):
        assert "not yet run" not in text[text.index(done) :].split("##")[0], done


@pytest.mark.integration
def test_provenance_records_config_versions_commit_and_machine(smoke_run):
    record = json.loads((smoke_run / "provenance.json").read_text())
    assert record["study"] == "smoke" and record["config"]["selection"]["budget"] == SMOKE_BUDGET
    assert record["packages"]["torch"] and record["packages"]["transformers"]
    assert record["seeds"]["finetune"] == [0, 1]
    assert set(record["git"]) >= {"commit", "dirty"}
    assert record["machine"]["cpus"] >= 1 and record["device"]["type"] in ("cpu", "cuda")


@pytest.mark.integration
def test_figures_target_redraws_figures_and_touches_nothing_else(smoke_run):
    workdir = smoke_run.parent.parent
    files = [p for p in smoke_run.rglob("*") if p.is_file() and p.parent.name != "logs"]
    before = _mtimes(files)
    time.sleep(1.1)
    result = _snakemake(workdir, "figures")
    assert result.returncode == 0, result.stderr[-3000:]
    after = _mtimes(files)
    changed = {Path(p).relative_to(smoke_run).as_posix() for p in before if before[p] != after[p]}
    figures = {
        f"figures/{n}.{e}"
        for n in (
            "delta_heatmap",
            "metric_heatmap",
            "tau_by_target",
            "selection_real",
            "selection_synthetic",
            "rl_rewards",
        )
        for e in ("pdf", "png")
    }
    assert changed == figures
    again = _snakemake(workdir, "-n")
    assert "Nothing to be done" in again.stdout + again.stderr


@pytest.mark.integration
def test_a_new_ablation_is_one_config_entry_and_reruns_only_the_ablations(smoke_run, tmp_path):
    import shutil

    workdir = tmp_path / "copy"
    shutil.copytree(smoke_run.parent.parent, workdir, symlinks=True)
    results = workdir / "results" / "smoke"
    before = _mtimes(p for p in results.rglob("*") if p.is_file() and "logs" not in p.parts)
    result = _snakemake(workdir, "ablations", "--config", "prophet={ablations: {QSim x PPL: [qsim, ppl]}}")
    assert result.returncode == 0, result.stderr[-3000:]
    table = pd.read_csv(results / "tables" / "ablations.csv").set_index("variant")
    assert table.loc["QSim x PPL", "factors"] == "qsim * ppl"
    assert np.isfinite(table.loc["QSim x PPL", "tau"])
    after = _mtimes(Path(p) for p in before)
    changed = {Path(p).relative_to(results).as_posix() for p in before if before[p] != after[p]}
    assert changed <= {"tables/ablations.csv", "benchmarks/ablations.tsv"} and "tables/ablations.csv" in changed
