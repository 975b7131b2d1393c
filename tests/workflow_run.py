"""The command line of a Snakemake run of this workflow, shared by the study tests."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def snakemake_command(workdir: Path, configfile: Path, *extra: str) -> list[str]:
    """``snakemake`` on the repository's Snakefile, run in ``workdir`` with ``configfile``."""
    return [
        sys.executable,
        "-m",
        "snakemake",
        "-s",
        str(ROOT / "Snakefile"),
        "-d",
        str(workdir),
        *extra,
        "--configfile",  # last: it takes every value up to the next option
        str(configfile),
    ]


def finetune_arguments(root: Path, out: str, settings) -> list[str]:
    """``dataprophet finetune`` arguments: the base in ``root/base``, data in ``root/train.parquet``."""
    from dataprophet.settings import to_flags

    return [
        "finetune",
        "--base",
        str(root / "base"),
        "--train",
        str(root / "train.parquet"),
        *shlex.split(to_flags(settings)),
        "--out",
        str(root / out),
        "--checkpoints",
        str(root / f"{out}.ckpt"),
    ]
