"""The SLURM profile's resources as Snakemake resolves them (a dry run; no SLURM needed):
account and partitions from the environment merge with the profile's defaults, every GPU
job asks for one node, and the checkpointing jobs declare their disk."""

from __future__ import annotations

import os
import re
import subprocess

import pytest
from workflow_run import ROOT, snakemake_command

pytest.importorskip("snakemake_executor_plugin_slurm")


def _resources(tmp_path, env_extra: dict[str, str]) -> dict[str, list[dict[str, str]]]:
    """rule -> the resources of each of its jobs in a dry run of config/paper.yaml."""
    cmd = snakemake_command(
        tmp_path, ROOT / "config" / "paper.yaml", "-n", "--workflow-profile", str(ROOT / "profiles" / "slurm")
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("DATAPROPHET_")} | env_extra
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
    jobs: dict[str, list[dict[str, str]]] = {}
    for block in re.split(r"\n(?=(?:local)?rule \w+:)", done.stdout + done.stderr):
        head = re.match(r"(?:local)?rule (\w+):", block)
        found = re.search(r"^\s+resources: (.*)$", block, re.M)
        if head and found:
            pairs = dict(item.split("=", 1) for item in found.group(1).split(", "))
            jobs.setdefault(head.group(1), []).append(pairs)
    return jobs


@pytest.fixture(scope="module")
def with_env(tmp_path_factory):
    env = {
        "DATAPROPHET_SLURM_ACCOUNT": "lab42",
        "DATAPROPHET_CPU_PARTITION": "short",
        "DATAPROPHET_GPU_PARTITION": "a100q",
    }
    return _resources(tmp_path_factory.mktemp("dry"), env)


GPU_RULES = ("finetune", "evaluate", "features", "gradients", "grpo")


def test_account_and_partitions_from_the_environment_keep_the_profiles_defaults(with_env):
    every = [job for jobs in with_env.values() for job in jobs]
    assert len(every) > 300 and all(job["slurm_account"] == "lab42" for job in every)
    for rule, jobs in with_env.items():
        partition = "a100q" if rule in (*GPU_RULES, "base") else "short"
        assert all(job["slurm_partition"] == partition for job in jobs), rule
        assert all("runtime" in job for job in jobs), rule  # the profile's defaults are still there
    assert {job["mem_mb"] for job in with_env["rank"]} == {"8000"}  # not Snakemake's input-size guess
    assert {job["runtime"] for job in with_env["finetune"]} == {"720"}


def test_gpu_jobs_ask_for_one_node_and_checkpointing_jobs_declare_disk(with_env):
    for rule in GPU_RULES:
        assert all(job.get("nodes") == "1" and job.get("gpu") for job in with_env[rule]), rule
    assert {job["disk_mb"] for job in with_env["grpo"]} == {"100000"}
    # the fine-tunes' need depends on their inputs (50 GB + the table), known once those exist
    assert {job["disk_mb"] for job in with_env["finetune"]} == {"<TBD>"}


def test_without_the_environment_the_partitions_default_and_the_account_is_left_to_slurm(tmp_path):
    jobs = _resources(tmp_path, {})
    assert {job["slurm_partition"] for job in jobs["finetune"]} == {"gpu"}
    assert {job["slurm_partition"] for job in jobs["prepare"]} == {"cpu"}
    assert {job["slurm_account"] for job in jobs["prepare"]} == {""}  # the plugin guesses it from sacct


def test_fine_tunes_and_grpo_keep_one_checkpoint(tmp_path):
    """The disk declared above assumes one checkpoint kept (two while the next is saved)."""
    from dataprophet.model.train import _training_arguments
    from dataprophet.rl.grpo import grpo_config
    from dataprophet.settings import GrpoSettings, TrainSettings

    assert _training_arguments(TrainSettings(), tmp_path / "ft", on_gpu=False).save_total_limit == 1
    assert grpo_config(GrpoSettings(), tmp_path / "rl", on_gpu=False).save_total_limit == 1
