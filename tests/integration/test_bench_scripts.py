"""The CPU benchmarks under bench/ still run and still compare what they claim to compare.

Toy sizes only: these check the scripts, not the numbers (benchmarks print numbers; tests do not time).
Each runs a script in a subprocess (a tiny fine-tune in mixture_memory.py), hence integration.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from netguard.guarded import offline_env

ROOT = Path(__file__).resolve().parents[2]


def _run(script: str, *args: str, tmp_path: Path) -> str:
    netlog = tmp_path / "network_attempts.log"
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / script), *args],
        capture_output=True,
        text=True,
        timeout=600,
        env=offline_env(netlog, OMP_NUM_THREADS="1", HF_HUB_OFFLINE="1"),
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert not netlog.exists() or not netlog.read_text().strip(), netlog.read_text()
    return done.stdout


def test_selection_scaling_streams_and_agrees_with_loading_the_pool_whole(tmp_path):
    out = _run(
        "selection_scaling.py",
        *("--sizes", "3000", "--dim", "16", "--k", "40", "--sweep", "700", "--sweep-size", "3000"),
        *("--work", str(tmp_path / "work")),
        tmp_path=tmp_path,
    )
    assert re.search(r"^\s+3,000\s+\d+\s+[\d.]+\s+\d+\s+[\d.]+\s+\d+\s+same top-k$", out, re.M), out
    assert re.search(r"700 rows/chunk:\s+[\d,]+ rows/s", out), out
    assert list((tmp_path / "work").iterdir()) == []  # what it wrote there is removed


def test_feature_scaling_prints_a_row_per_size_and_batch(tmp_path):
    out = _run(
        "feature_scaling.py",
        *("--sizes", "12", "24", "--batch-sizes", "4", "--sweep-size", "12", "--repeat", "1"),
        tmp_path=tmp_path,
    )
    assert re.search(r"^\s+12\s+[\d.]+\s+[\d.]+\s+[\d.]+\s+1\.00x", out, re.M), out
    assert re.search(r"^\s+24\s", out, re.M) and "batch    4:" in out, out


def test_selection_scaling_takes_the_same_rows_from_a_pool_table_either_way(tmp_path):
    out = _run(
        "selection_scaling.py",
        *("--sizes", "--sweep", "--tables", "2500", "--image-kb", "1", "--k", "30"),
        *("--work", str(tmp_path / "work")),
        tmp_path=tmp_path,
    )
    assert re.search(r"^\s+2,500\s+\d+\s+[\d.]+\s+\d+\s+[\d.]+\s+\d+\s+same rows$", out, re.M), out
    assert list((tmp_path / "work").iterdir()) == []


def test_mixture_memory_measures_the_three_ways(tmp_path):
    out = _run("mixture_memory.py", "--rows", "300", "--steps", "2", "--image-size", "64", tmp_path=tmp_path)
    assert re.search(r"^table: 300 rows, ", out, re.M), out
    for mode in ("model", "eager", "lazy"):
        assert re.search(rf"^{mode}\s+[\d.]+\s+[\d.]+\s+[\d.]+\s+[\d.]+$", out, re.M), out
