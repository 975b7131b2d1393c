"""Whether two runs of a study wrote the same tables: every table under one results folder
against the same path under the other.

A table counts as the same when its bytes are equal, or, where bytes may differ without the
content differing, when its content is: a parquet file read as a data frame (the file's
metadata records the pandas version that wrote it), a JSON file with its timing fields
(``seconds``) left out. Models, checkpoints, logs and benchmark timings are not tables and
are skipped. Exit status 1 when any table differs.

Reproduce (a refactor's check: the mini study run on the commit before and the commit after,
each in its own fresh clone with `make study`):
    python bench/compare_studies.py /tmp/before/results/mini /tmp/after/results/mini
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import pandas as pd

SKIP_DIRS = frozenset({"benchmarks", "logs", "models", "checkpoints", ".snakemake"})
TABLE_SUFFIXES = frozenset({".csv", ".tsv", ".json", ".jsonl", ".md", ".parquet", ".txt"})
TIMING_KEYS = frozenset({"seconds"})


def tables(root: Path) -> set[str]:
    """Paths (relative to ``root``) of the tables a study wrote."""
    found = set()
    for path in root.rglob("*"):
        rel = path.relative_to(root)
        if path.is_file() and path.suffix in TABLE_SUFFIXES and not SKIP_DIRS & set(rel.parts):
            found.add(rel.as_posix())
    return found


def _without_timings(value):
    if isinstance(value, dict):
        return {k: _without_timings(v) for k, v in value.items() if k not in TIMING_KEYS}
    if isinstance(value, list):
        return [_without_timings(v) for v in value]
    return value


def compare(first: Path, second: Path) -> str | None:
    """'bytes' or 'content' when the two files hold the same table, None when they differ."""
    if first.read_bytes() == second.read_bytes():
        return "bytes"
    if first.suffix == ".parquet" and pd.read_parquet(first).equals(pd.read_parquet(second)):
        return "content"
    if first.suffix == ".json":
        a, b = (json.loads(p.read_text()) for p in (first, second))
        if _without_timings(a) == _without_timings(b):
            return "content"
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("first", type=Path)
    parser.add_argument("second", type=Path)
    args = parser.parse_args(argv)
    a, b = tables(args.first), tables(args.second)
    both = sorted(a & b)
    verdicts = {rel: compare(args.first / rel, args.second / rel) for rel in both}
    differ = [rel for rel, v in verdicts.items() if v is None]
    print(
        f"tables: {len(a)} in the first, {len(b)} in the second; compared {len(both)}: "
        f"byte-identical {sum(v == 'bytes' for v in verdicts.values())}, "
        f"same content {sum(v == 'content' for v in verdicts.values())}, differ {len(differ)}"
    )
    for rel in differ:
        print("differs:", rel)
    for rel in sorted(a - b):
        print("only in the first:", rel)
    for rel in sorted(b - a):
        print("only in the second:", rel)
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
