"""The smoke study through a real single-node SLURM and the Snakemake SLURM executor.

The test installs (if needed) and starts slurmctld, slurmd and munge, runs the smoke study
with ``--workflow-profile profiles/slurm``, checks its tables, and stops the daemons it
started. It needs root and Debian's packages; elsewhere (no SLURM executor plugin, or not a
Debian machine with root) it is skipped, except under .ci/run, which sets
DATAPROPHET_REQUIRE_SLURM=1 so that CI fails instead of silently skipping it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from workflow_run import snakemake_command

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = ROOT / "tests" / "slurm"


def _can_run_slurm() -> str | None:
    try:
        import snakemake_executor_plugin_slurm  # noqa: F401
    except ImportError:
        return "snakemake-executor-plugin-slurm is not installed"
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        return "needs root on a Debian-based machine to install and start SLURM"
    return None


@pytest.fixture(scope="module")
def slurm(tmp_path_factory):
    reason = _can_run_slurm()
    if reason and os.environ.get("DATAPROPHET_REQUIRE_SLURM") == "1":
        pytest.fail(f"DATAPROPHET_REQUIRE_SLURM=1 (set by .ci/run) but {reason}")
    if reason:
        pytest.skip(reason)
    state = tmp_path_factory.mktemp("slurm")
    started = subprocess.run(
        ["bash", str(SCRIPTS / "start_local_slurm.sh"), str(state)], capture_output=True, text=True
    )
    assert started.returncode == 0, started.stderr[-3000:]
    yield {"SLURM_CONF": str(state / "slurm.conf")}
    subprocess.run(["bash", str(SCRIPTS / "stop_local_slurm.sh"), str(state)], check=False)


MODEL_RULES = ("base", "finetune", "evaluate", "features")


@pytest.mark.integration
def test_smoke_study_runs_through_slurm(slurm, tmp_path):
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}:{os.environ['PATH']}", **slurm)
    cmd = snakemake_command(
        tmp_path,
        ROOT / "config" / "smoke.yaml",
        "--workflow-profile",
        str(ROOT / "profiles" / "slurm"),
        "--slurm-status-command",
        "squeue",
        "--slurm-no-account",
        "--slurm-init-seconds-before-status-checks",
        "2",
        "--seconds-between-status-checks",
        "2",
        "--jobs",
        str(2 * os.cpu_count()),  # the test node declares two CPUs per core (tests/slurm/)
        "--slurm-keep-successful-logs",
        # The profile's paper-sized memory and CPU requests do not fit this 2-core node; keep
        # its partition routing (model rules on the "gpu" partition) and shrink the rest.
        "--set-resources",
        *[f"{rule}:{key}" for rule in MODEL_RULES for key in ("slurm_partition=gpu", "mem_mb=2000", "cpus_per_task=1")],
    )
    result = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=2400)
    assert result.returncode == 0, (result.stdout + result.stderr)[-5000:]
    output = result.stdout + result.stderr
    assert "sbatch" in output.lower() or "slurm" in output.lower()
    tables = tmp_path / "results" / "smoke" / "tables"
    scores = pd.read_csv(tables / "seed0" / "scores.csv", index_col=0)
    assert list(scores.index)[0] == "base" and scores.shape == (5, 4)
    assert (tables / "tau.csv").exists()
    # Jobs really went through SLURM: the plugin writes one log folder per rule. Stages that
    # only turn small tables into tables or figures run where Snakemake runs (localrule).
    submitted = {folder.name for folder in (tmp_path / ".snakemake" / "slurm_logs").iterdir()}
    assert {"rule_base", "rule_finetune", "rule_evaluate", "rule_features", "rule_grpo", "rule_mixture"} <= submitted
    assert not submitted & {"rule_groundtruth", "rule_rank", "rule_allocate", "rule_summary", "rule_rl_table"}
