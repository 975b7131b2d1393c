"""Stage ``cost``: compute time of the training-free stages against the ground-truth stages.

Seconds per job come from Snakemake's ``benchmark:`` files (``benchmarks/<stage>/...tsv``);
each job's seconds are weighted by the devices it held (``settings.gpus``, at least one), so
on a cluster a 4-GPU fine-tune counts four times a 1-GPU feature job.
Reproduce: ``snakemake results/mini/tables/compute_cost.csv`` (the rule ``cost`` calls ``dataprophet cost``).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from dataprophet.io.atomic import write_csv
from dataprophet.settings import CostSettings

TRUTH_STAGES = ("finetune", "evaluate")
PROPHET_STAGES = ("features", "predict", "rank", "ablations")
ICONS_STAGES = ("icons_warmup", "gradients", "influence")
SELECTION_STAGES = ("finetune_mixture", "evaluate_mixture")


def job_stage(relative: Path) -> str:
    """The stage a benchmark file (relative to benchmarks/) is counted under: its rule, except
    that fine-tunes and evaluations of selection mixtures (``<rule>/mix/...``) count as
    ``finetune_mixture`` / ``evaluate_mixture``, ICONS' warm-up as ``icons_warmup``, a proxy
    model's jobs (``proxy_<rule>/<name>/...``) as ``proxy_<rule>:<name>``, and the
    synthetic pool's jobs (``<rule>/synthetic...``) as ``<rule>_synthetic``, so that neither
    is taken for the ground truth's or the prophet's own cost."""
    parts = relative.parts
    rule = parts[0].removesuffix(".tsv")
    job = parts[1].removesuffix(".tsv") if len(parts) > 1 else ""
    if rule.startswith("proxy_") and job:  # a proxy model's own features and M, per proxy
        return f"{rule}:{job}"
    if job == "mix":
        return f"{rule}_mixture"
    if job == "icons_warmup":
        return "icons_warmup"
    if job == "synthetic_icons_warmup":
        return "icons_warmup_synthetic"
    if job.startswith("synthetic"):
        return f"{rule}_synthetic"
    if job == "rl":
        return f"{rule}_rl"
    return rule


def device_stage(stage: str) -> str:
    """The ``compute.gpus`` entry whose device count a stage's jobs held."""
    if stage.startswith("icons_warmup"):
        return "finetune"
    if stage.startswith("proxy_"):  # proxy_features:<name> holds what a features job holds
        return stage.split(":")[0].removeprefix("proxy_")
    return stage.removesuffix("_synthetic").removesuffix("_mixture").removesuffix("_rl")


def stage_seconds(benchmarks: Path, gpus: dict) -> pd.DataFrame:
    """Per stage: job count, seconds, devices per job and device-seconds."""
    root = Path(benchmarks)
    rows = []
    for path in sorted(root.rglob("*.tsv")):
        stage = job_stage(path.relative_to(root))
        seconds = float(pd.read_csv(path, sep="\t")["s"].iloc[0])
        rows.append({"stage": stage, "job": str(path.relative_to(root)), "seconds": seconds})
    if not rows:
        raise FileNotFoundError(f"no benchmark files (*.tsv) under {root}")
    jobs = pd.DataFrame(rows)
    jobs["devices"] = [max(1, int(gpus.get(device_stage(stage), 0))) for stage in jobs["stage"]]
    jobs["device_seconds"] = jobs["seconds"] * jobs["devices"]
    per_stage = jobs.groupby("stage").agg(
        count=("seconds", "size"),
        sum=("seconds", "sum"),
        devices=("devices", "max"),
        device_seconds=("device_seconds", "sum"),
    )
    return per_stage.reset_index()


def cost(benchmarks: Path, out: Path, settings: CostSettings) -> pd.DataFrame:
    """Per-stage seconds and device-seconds to ``out``, each as a share of fine-tune + evaluate."""
    per_stage = stage_seconds(benchmarks, settings.gpus)
    truth = per_stage[per_stage["stage"].isin(TRUTH_STAGES)]["device_seconds"].sum()
    prophet = per_stage[per_stage["stage"].isin(PROPHET_STAGES)]["device_seconds"].sum()
    per_stage["fraction_of_finetune_plus_evaluate"] = per_stage["device_seconds"] / truth if truth else float("nan")
    write_csv(per_stage, out, index=False, float_format="%.3f")
    print(per_stage.to_string(index=False))
    if truth:
        print(f"prophet (features + scores + ranking) / (fine-tune + evaluate), device-seconds = {prophet / truth:.3%}")
    return per_stage
