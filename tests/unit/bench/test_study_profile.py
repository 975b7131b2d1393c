"""bench/study_profile.py's arithmetic: each job's seconds on its rule's threads."""

from __future__ import annotations

from pathlib import Path

from load_script import load_script

ROOT = Path(__file__).resolve().parents[3]


def _study_profile():
    return load_script(ROOT / "bench" / "study_profile.py")


def test_study_profile_counts_each_job_on_its_rules_threads():
    profile = _study_profile()
    rows = [  # (stage, jobs, job seconds, start-up per job)
        ("base", 1, 100.0, 5.0),  # threads: base 2
        ("finetune_mixture", 2, 40.0, 5.0),  # the finetune rule: 3
        ("icons_warmup", 1, 10.0, 5.0),  # a finetune job too
        ("gradients_synthetic", 1, 20.0, 5.0),  # threads: features (not set: 1)
        ("predict", 1, 4.0, 1.0),  # a one-thread rule
    ]
    busy, without = profile.core_seconds(rows, {"base": 2, "finetune": 3})
    assert busy == 100 * 2 + 40 * 3 + 10 * 3 + 20 + 4
    assert busy - without == 5 * 2 + 2 * 5 * 3 + 5 * 3 + 5 + 1
