"""bench/compare_studies.py: same tables by bytes or content, timings ignored, differences found."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from load_script import load_script

ROOT = Path(__file__).resolve().parents[3]


def _module():
    return load_script(ROOT / "bench" / "compare_studies.py")


def _study(root: Path, seconds: float, score: float) -> Path:
    (root / "eval").mkdir(parents=True)
    (root / "logs").mkdir()
    (root / "logs" / "run.log").write_text(f"took {seconds}\n")  # not a table: skipped
    (root / "eval" / "scores.json").write_text(json.dumps({"mean": score, "seconds": {"a": seconds}}))
    pd.DataFrame({"id": ["x", "y"], "score": [score, 1.0]}).to_parquet(root / "eval" / "p.parquet")
    return root


def test_same_tables_with_other_timings_compare_equal(tmp_path, capsys):
    module = _module()
    a, b = _study(tmp_path / "a", 1.0, 0.5), _study(tmp_path / "b", 9.0, 0.5)
    assert module.compare(a / "eval/scores.json", b / "eval/scores.json") == "content"
    assert module.main([str(a), str(b)]) == 0
    assert "compared 2" in capsys.readouterr().out


def test_a_changed_score_is_reported(tmp_path, capsys):
    module = _module()
    a, b = _study(tmp_path / "a", 1.0, 0.5), _study(tmp_path / "b", 1.0, 0.25)
    assert module.main([str(a), str(b)]) == 1
    out = capsys.readouterr().out
    assert "differs: eval/p.parquet" in out and "differs: eval/scores.json" in out
