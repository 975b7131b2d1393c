"""finished_outputs() agrees with Snakemake on which jobs of a SIGKILLed run are done."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from base64 import urlsafe_b64encode
from pathlib import Path

from snakemake_records import finished_outputs

# Long enough that Snakemake splits its encoded key over nested "@" folders (NAME_MAX).
LONG = f"{'n' * 100}/{'m' * 100}/fast.txt"

SNAKEFILE = f"""
rule all:
    input: "slow.txt"

rule fast:
    output: "{LONG}"
    shell: "echo fast > {{output}}"

rule tree:
    output: directory("tree/")
    shell: "mkdir -p {{output}} && echo leaf > {{output}}/leaf.txt"

rule slow:
    input: "{LONG}", "tree"
    output: "slow.txt"
    shell: "echo partial > {{output}}; sleep ${{{{SLOW_SECONDS:-30}}}}; echo done >> {{output}}"
"""


def _snakemake(workdir: Path, *extra: str, **env: str):
    cmd = [sys.executable, "-m", "snakemake", "-s", "Snakefile", "-d", str(workdir), "--cores", "1", *extra]
    return subprocess.run(cmd, cwd=workdir, env={**os.environ, **env}, capture_output=True, text=True, timeout=120)


def _mtimes(workdir: Path, *outputs: str) -> dict[str, int]:
    paths = [workdir / o for o in outputs]
    paths += [p for o in outputs if (workdir / o).is_dir() for p in (workdir / o).rglob("*")]
    return {str(p): p.stat().st_mtime_ns for p in paths}


def test_killed_run_reports_only_recorded_jobs_and_rerun_agrees(tmp_path):
    (tmp_path / "Snakefile").write_text(SNAKEFILE)
    slow_marker = tmp_path / ".snakemake" / "incomplete" / urlsafe_b64encode(b"slow.txt").decode()
    log = tmp_path / "run.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "snakemake", "-s", "Snakefile", "-d", str(tmp_path), "--cores", "1"],
            cwd=tmp_path,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        # "slow" runs only after Snakemake has post-processed both of its inputs; wait until
        # Snakemake has marked it as running and it has begun writing its output.
        deadline = time.monotonic() + 60
        while not (slow_marker.exists() and (tmp_path / "slow.txt").exists()):
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.02)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()

    assert finished_outputs(tmp_path, [Path(LONG), Path("tree"), Path("slow.txt")]) == [Path(LONG), Path("tree")]
    assert finished_outputs(tmp_path, [tmp_path / "tree/", tmp_path / "slow.txt"]) == [tmp_path / "tree/"]
    before = _mtimes(tmp_path, LONG, "tree")
    assert str(tmp_path / "tree" / ".snakemake_timestamp") in before  # Snakemake's directory mtime

    unlock = _snakemake(tmp_path, "--unlock")
    assert unlock.returncode == 0, unlock.stderr
    # slow.txt exists but is marked incomplete: without --rerun-incomplete Snakemake would
    # stop with IncompleteFilesException.
    rerun = _snakemake(tmp_path, "--rerun-incomplete", SLOW_SECONDS="0")
    assert rerun.returncode == 0, rerun.stderr
    ran = {line.split()[1].rstrip(":") for line in rerun.stderr.splitlines() if line.startswith("localrule ")}
    assert ran == {"slow", "all"}, rerun.stderr
    assert (tmp_path / "slow.txt").read_text() == "partial\ndone\n"
    assert _mtimes(tmp_path, LONG, "tree") == before  # finished jobs were not redone
    assert finished_outputs(tmp_path, [Path(LONG), Path("tree"), Path("slow.txt")]) == [
        Path(LONG),
        Path("tree"),
        Path("slow.txt"),
    ]


def test_records_written_by_snakemake_persistence(tmp_path):
    """The states a kill can leave between started() and the end of finished()."""
    from snakemake.persistence import MetadataRecord
    from snakemake.persistence.file import FilePersistence

    store = FilePersistence(path=tmp_path / ".snakemake")
    outputs = [
        "done.txt",
        "./dotted.txt",
        str(tmp_path / "absolute.txt"),
        LONG,
        "only_marked.txt",
        "marked_and_recorded.txt",
        "a.txt",
        "b.txt",
        "missing.txt",
        "garbled.txt",
    ]
    for name in outputs:
        if name != "missing.txt":
            (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / name).write_text("x")

    def record(key, job_hash):
        store._write_record(key, MetadataRecord(rule="r", job_hash=job_hash, shellcmd=key, incomplete=False))

    for i, key in enumerate(["done.txt", "./dotted.txt", str(tmp_path / "absolute.txt"), LONG, "missing.txt"]):
        record(key, i)
    store._mark_incomplete("only_marked.txt", None)  # started, not finished
    record("marked_and_recorded.txt", 10)  # killed inside finished(), before the unmark
    store._mark_incomplete("marked_and_recorded.txt", None)
    for key in ("a.txt", "b.txt"):  # one job, two outputs, killed between the two unmarks
        store._write_record(key, MetadataRecord(rule="two", job_hash=20, shellcmd="cmd", incomplete=False))
    store._mark_incomplete("b.txt", None)
    garbled = store._record_path(store._metadata_path, "garbled.txt")
    Path(garbled).write_text('{"rule": "r", "inp')  # record being written at the kill

    got = finished_outputs(tmp_path, [Path(o) for o in outputs])
    assert got == [Path("done.txt"), Path("./dotted.txt"), tmp_path / "absolute.txt", Path(LONG)]
    assert finished_outputs(tmp_path, [Path("dotted.txt"), tmp_path / "done.txt", Path("absolute.txt")]) == [
        Path("dotted.txt"),
        tmp_path / "done.txt",
        Path("absolute.txt"),
    ]
    assert finished_outputs(tmp_path / "elsewhere", [Path("done.txt")]) == []
