"""Stage ``provenance``: what produced a study's results, in ``results/<study>/provenance.json``.

The resolved config (every key, after the schema's types), the versions of the packages the
stages use, the git commit of the checkout and whether its tree had uncommitted changes,
the seeds, the machine (OS, Python, CPUs, memory) and the accelerator. The rule reads every
final output, so it is rewritten whenever any result is. No environment variable is
recorded, so no key or token can end up here.
Reproduce: ``snakemake results/mini/provenance.json`` (the rule ``provenance`` calls
``dataprophet provenance``).
"""

from __future__ import annotations

import datetime
import os
import platform
import subprocess
from importlib import metadata
from pathlib import Path

from dataprophet.io.atomic import write_json
from dataprophet.settings import ProvenanceSettings

PACKAGES = (
    "dataprophet",
    "torch",
    "transformers",
    "peft",
    "accelerate",
    "tokenizers",
    "safetensors",
    "snakemake",
    "numpy",
    "pandas",
    "pyarrow",
    "scipy",
    "scikit-learn",
    "matplotlib",
    "seaborn",
)


def package_versions() -> dict[str, str | None]:
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def git_state(checkout: Path) -> dict:
    """The commit and whether tracked or untracked files differ from it; None outside git."""

    def git(*args) -> str | None:
        try:
            done = subprocess.run(["git", "-C", str(checkout), *args], capture_output=True, text=True, timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            return None
        return done.stdout.strip() if done.returncode == 0 else None

    commit = git("rev-parse", "HEAD")
    if commit is None:
        return {"commit": None, "dirty": None, "note": f"{checkout} is not a git checkout"}
    status = git("status", "--porcelain", "--untracked-files=normal")
    return {"commit": commit, "dirty": bool(status), "changed_files": (status or "").count("\n") + bool(status)}


def machine() -> dict:
    info = {
        "system": platform.platform(),
        "python": platform.python_version(),
        "host": platform.node(),
        "cpus": os.cpu_count(),
    }
    try:
        pages, size = os.sysconf("SC_PHYS_PAGES"), os.sysconf("SC_PAGE_SIZE")
        info["memory_gib"] = round(pages * size / 2**30, 1)
    except (ValueError, OSError, AttributeError):
        info["memory_gib"] = None
    return info


def device() -> dict:
    import torch

    if not torch.cuda.is_available():
        return {"type": "cpu", "torch_threads": torch.get_num_threads()}
    return {
        "type": "cuda",
        "cuda": torch.version.cuda,
        "gpus": [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())],
    }


def provenance(checkout: Path, out: Path, settings: ProvenanceSettings) -> dict:
    """The provenance record to ``out`` (JSON)."""
    config = dict(settings.config)
    record = {
        "written": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "study": config.get("name"),
        "config": config,
        "seeds": {
            "data": config.get("seed", 0),
            "finetune": config.get("finetune_seeds", [0]),
            "prophet": config.get("prophet", {}).get("seed", 0),
            "selection": config.get("selection", {}).get("seed", 0),
        },
        "packages": package_versions(),
        "git": git_state(checkout),
        "machine": machine(),
        "device": device(),
    }
    write_json(record, out)
    dirty = " (uncommitted changes)" if record["git"].get("dirty") else ""
    print(f"provenance of {record['study']}: commit {record['git'].get('commit')}{dirty} -> {out}")
    return record
