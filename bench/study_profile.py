"""Where a finished study's time went: seconds per stage, start-up overhead, training-free cost.

Reads a study's Snakemake ``benchmark:`` files (``results/<name>/benchmarks/**.tsv``, one per
job) and prints, per stage, the job count and the job seconds, then the share of each stage's
job time that start-up takes, then the training-free cost ratios of the paper's claim:
prophet stages / ground-truth stages / ICONS, in device-seconds.

Start-up is measured here, not read from the jobs: for each stage, the median of three fresh
``python`` processes that do what its job does before the first useful step (start the
interpreter, import the ``dataprophet`` command line and the stage's module, and for the
stages that load a model, torch, transformers and the model classes, then load the study's
base model). Multiplied by the stage's job count and divided by its job seconds, that is the
start-up share; it is an estimate, since a running job shares the page cache with the probes.

Reproduce (on a finished mini study; runs in about a minute, no GPU):
    python bench/study_profile.py --results results/mini --config config/config.yaml
The numbers in docs/results.md, "Compute budget", were printed by that command on the 2-core
development machine.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from dataprophet.analysis.cost import ICONS_STAGES, PROPHET_STAGES, TRUTH_STAGES, device_stage, stage_seconds  # noqa: E402
from dataprophet.cli import COMMANDS  # noqa: E402
from dataprophet.config import load_study_file  # noqa: E402

# Stages whose jobs load a model before their first useful step.
MODEL_STAGES = {"base", "finetune", "evaluate", "features", "gradients", "grpo", "icons_warmup"}


# The ``threads`` entry each stage's rule runs with (workflow/rules/*.smk); other stages use one.
THREADS_KEY = {
    "base": "base",
    "finetune": "finetune",
    "grpo": "finetune",
    "evaluate": "evaluate",
    "features": "features",
    "gradients": "features",
}
# Stages of the ground truth with the prophet (the "ground truth and prophet stages").
TRUTH_AND_PROPHET = ("base", *TRUTH_STAGES, *PROPHET_STAGES)


def core_seconds(rows, threads: dict) -> tuple[float, float]:
    """Core-seconds of (stage, jobs, job seconds, start-up per job) rows, with and without
    start-up: each job occupies its rule's threads for its whole run."""
    total = startup = 0.0
    for stage, count, seconds, start in rows:
        key = THREADS_KEY.get(device_stage(stage))  # a mixture's, warm-up's or RL job's rule
        n = max(1, int(threads.get(key, 1))) if key else 1
        total += seconds * n
        startup += count * start * n
    return total, total - startup


def probe(code: str, repeats: int = 3) -> float:
    """Median wall seconds of a fresh interpreter running ``code``."""
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def startup_code(stage: str, base: Path) -> str:
    command = device_stage(stage).replace("_", "-")
    module = COMMANDS.get(command, ("dataprophet.cli", ""))[0]
    code = f"import dataprophet.cli, {module}"
    if device_stage(stage) in MODEL_STAGES or stage.startswith("icons_warmup"):
        code += (
            "; import torch, transformers; from transformers import AutoModelForImageTextToText"
            f"; from dataprophet.model.modeling import load_base, load_processor; load_processor({str(base)!r})"
            f"; load_base({str(base)!r})"
        )
    return code


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--results", type=Path, default=ROOT / "results" / "mini", help="a finished study's folder")
    p.add_argument("--config", type=Path, default=ROOT / "config" / "config.yaml", help="that study's config")
    p.add_argument("--cores", type=int, default=os.cpu_count(), help="cores the study ran on (default: this machine's)")
    args = p.parse_args(argv)
    threads = load_study_file(args.config).threads
    per_stage = stage_seconds(args.results / "benchmarks", {})
    base = args.results / "models" / "base"
    probes: dict[str, float] = {}
    rows = []
    for stage, count, seconds in per_stage[["stage", "count", "sum"]].itertuples(index=False):
        code = startup_code(stage, base)
        if code not in probes:
            probes[code] = probe(code)
        rows.append((stage, int(count), float(seconds), probes[code]))
    total = sum(r[2] for r in rows)
    print(f"study {args.results}: {sum(r[1] for r in rows)} jobs, {total:,.0f} job-seconds")
    print(f"{'stage':<26}{'jobs':>6}{'seconds':>10}{'share':>8}{'start-up/job':>14}{'start-up share':>16}")
    startup_total = 0.0
    for stage, count, seconds, start in sorted(rows, key=lambda r: -r[2]):
        startup_total += count * start
        share = count * start / seconds
        print(f"{stage:<26}{count:>6}{seconds:>10.0f}{seconds / total:>8.1%}{start:>13.1f}s{share:>16.1%}")
    print(f"{'start-up, all jobs':<26}{'':>6}{startup_total:>10.0f}{startup_total / total:>8.1%}")
    seconds = dict(zip(per_stage["stage"], per_stage["sum"]))
    truth = sum(seconds.get(s, 0.0) for s in TRUTH_STAGES)
    prophet = sum(seconds.get(s, 0.0) for s in PROPHET_STAGES)
    icons = sum(v for s, v in seconds.items() if s.removesuffix("_synthetic") in ICONS_STAGES)
    print()
    print("training-free cost (device-seconds; one device per job here)")
    print(f"  ground truth (fine-tune + evaluate)  {truth:>8.0f} s")
    print(f"  DataProphet (features..ablations)    {prophet:>8.0f} s   {prophet / truth:.1%} of the ground truth")
    print(f"  ICONS (warm-up, gradients, influence) {icons:>7.0f} s   {icons / truth:.1%} of the ground truth, "
          f"{icons / prophet:.1f}x DataProphet")  # fmt: skip
    print()
    print(f"shortest wall time the jobs allow on {args.cores} cores (job seconds x threads / cores)")
    for label, subset in (
        ("whole study", rows),
        ("ground truth and prophet", [r for r in rows if r[0] in TRUTH_AND_PROPHET]),
    ):
        busy, without = core_seconds(subset, threads)
        print(
            f"  {label:<26}{busy / args.cores / 60:>6.1f} min   without start-up {without / args.cores / 60:>5.1f} min"
        )


if __name__ == "__main__":
    main()
