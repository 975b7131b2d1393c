"""The conda environment for `snakemake --sdm conda` stays in step with the package.

conda is not installed on the development machines, so the environment itself was never
built here; these tests keep its file consistent with pyproject.toml and the rules."""

from __future__ import annotations

import re
from pathlib import Path

import tomllib
import yaml

ROOT = Path(__file__).resolve().parents[2]
# Needed by the Snakemake process itself, not inside the jobs.
NOT_IN_JOB_ENV = {"snakemake"}


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~ \[]", requirement, maxsplit=1)[0].lower()


def test_env_file_lists_every_package_dependency_with_the_same_pin():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    env = yaml.safe_load((ROOT / "envs" / "dataprophet.yaml").read_text())
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d)
    wanted = {_name(r): r for r in project if _name(r) not in NOT_IN_JOB_ENV}
    listed = {_name(r): r for r in pip}
    assert listed == wanted


def test_every_rule_runs_in_the_conda_env():
    for path in sorted((ROOT / "workflow" / "rules").glob("*.smk")):
        blocks = re.split(r"\n(?=\s*rule \w+:)", path.read_text())
        for block in blocks:
            match = re.match(r"\s*rule (\w+):", block)
            if match:
                assert re.search(r"^\s+conda:\n\s+CONDA_ENV$", block, flags=re.M), f"{path.name}: rule {match.group(1)}"


def test_post_deploy_script_installs_the_checkout():
    script = (ROOT / "envs" / "dataprophet.post-deploy.sh").read_text()
    assert "pip install --no-deps -e" in script and "DATAPROPHET_SRC" in script
    assert (
        'os.environ.setdefault("DATAPROPHET_SRC", workflow.basedir)'
        in (ROOT / "workflow" / "rules" / "common.smk").read_text()
    )
