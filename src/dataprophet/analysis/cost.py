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
    ``finetune_mixture`` / ``evaluate_mixture`` and ICONS' warm-up as ``icons_warmup``."""
    parts = relative.parts
    rule = parts[0].removesuffix(".tsv")
    if len(parts) > 1 and parts[1] == "mix":
        return f"{rule}_mixture"
    if len(parts) > 1 and parts[1] == "icons_warmup.tsv":
        return "icons_warmup"
    return rule


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
    device_stage = {"finetune_mixture": "finetune", "icons_warmup": "finetune", "evaluate_mixture": "evaluate"}
    jobs["devices"] = [max(1, int(gpus.get(device_stage.get(stage, stage), 0))) for stage in jobs["stage"]]
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
