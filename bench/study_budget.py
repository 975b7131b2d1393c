"""Wall-clock budget of the studies on this machine: a full run, then a no-op rerun.

Runs in a fresh temporary working directory so existing results are untouched.
Reproduce:  python bench/study_budget.py --config config/smoke.yaml
            python bench/study_budget.py --config config/config.yaml   (the mini study)
Prints seconds for the full run and for the second run ("Nothing to be done").
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run(workdir: Path, config: str, *extra: str) -> tuple[float, str]:
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}:{os.environ['PATH']}")
    cmd = [
        sys.executable,
        "-m",
        "snakemake",
        "-s",
        str(ROOT / "Snakefile"),
        "-d",
        str(workdir),
        "--configfile",
        str(ROOT / config),
        "--cores",
        "all",
        *extra,
    ]
    started = time.perf_counter()
    result = subprocess.run(cmd, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        sys.exit(f"snakemake failed:\n{result.stderr[-3000:]}")
    return seconds, result.stdout + result.stderr


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="config/smoke.yaml")
    parser.add_argument("--keep", action="store_true", help="keep the temporary working directory")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="dataprophet-bench-"))
    full, _ = run(workdir, args.config)
    noop, log = run(workdir, args.config)
    print(f"config: {args.config}  cores: {os.cpu_count()}")
    print(f"full run: {full:.1f} s")
    print(f"second run: {noop:.1f} s ({'nothing to do' if 'Nothing to be done' in log else 'RAN JOBS'})")
    print(f"results kept in {workdir}" if args.keep else "")
    if not args.keep:
        import shutil

        shutil.rmtree(workdir)


if __name__ == "__main__":
    main()
