"""Which outputs a (possibly killed) Snakemake run has itself recorded as finished.

Reads Snakemake's own bookkeeping in ``<workdir>/.snakemake/`` instead of guessing from
output files, so a test can tell exactly which jobs a rerun will skip. Checked against
Snakemake 9.27 (``snakemake/persistence/__init__.py``, ``snakemake/persistence/file.py``).
"""

from __future__ import annotations

import binascii
import json
import os
from base64 import urlsafe_b64decode
from collections.abc import Iterable
from pathlib import Path

# Record fields that every output of one job gets with identical values in one run
# (PersistenceBase.finished: job_hash is hash(job), i.e. the id of the in-memory Job).
_JOB_FIELDS = ("rule", "job_hash", "shellcmd", "input", "log", "params")


def finished_outputs(workdir: Path, outputs: Iterable[Path]) -> list[Path]:
    """Return those of ``outputs`` that Snakemake has recorded as completed in ``workdir``.

    ``outputs`` are output files or ``directory()`` outputs, absolute or relative to
    ``workdir`` (the directory Snakemake ran in, its ``-d``); they come back as given, in
    the given order. An output counts as finished when it exists, has a metadata record,
    and neither it nor any other output of the same job carries an incomplete marker.

    Snakemake internals relied on (default ``--persistence-backend file``):

    * Key: the output path exactly as the Snakefile declares it, trailing ``/`` of a
      ``directory()`` dropped (``PersistenceBase._get_key``, ``_IOFile.__new__``).
    * Encoding: ``urlsafe_b64encode(key)`` in chunks of ``NAME_MAX - 1`` characters, all
      chunks but the last prefixed with ``@``, joined as nested folders
      (``FilePersistence._record_path``). Keys are decoded here and compared as real
      paths, so ``./x`` and absolute declarations match too.
    * ``.snakemake/incomplete/<encoded key>``: written for every output when the job is
      submitted (``Job.register`` -> ``persistence.started``, called just after the job
      is handed to the executor).
    * ``.snakemake/metadata/<encoded key>``: a JSON record written in
      ``persistence.finished`` at the end of ``Job.postprocess`` (after output checks,
      the ``directory()`` ``.snakemake_timestamp`` touch); finished() first writes every
      output's record, then deletes every output's incomplete marker. A kill at any
      point before the last deletion leaves a marker, which a rerun treats as incomplete.
      An unreadable record counts as absent, as in ``FilePersistence._io_read``.

    Not covered: ``--persistence-backend db`` (raises ``ValueError``), ``--drop-metadata``
    (no records are written, so nothing counts as finished), storage-plugin outputs
    (keyed by their storage query), and remote execution without a shared ``.snakemake``.
    """
    workdir = Path(workdir)
    state = workdir / ".snakemake"
    metadata_dir, incomplete_dir = state / "metadata", state / "incomplete"
    if not metadata_dir.is_dir():
        if (state / "metadata.db").exists():
            raise ValueError(f"{state} uses the db persistence backend, which is not supported")
        return []

    records = {}  # real path -> record (dict)
    for path, raw in _entries(metadata_dir, workdir):
        record = _parse(raw)
        if record is not None:
            records[path] = record
    marked = {path for path, _ in _entries(incomplete_dir, workdir, read=False)}
    # Jobs with some output still marked incomplete (e.g. killed between the unmarks).
    unfinished_jobs = {_job_identity(records[p]) for p in marked if p in records}

    finished = []
    for output in outputs:
        absolute = workdir / output
        path = os.path.realpath(absolute)
        record = records.get(path)
        if (
            record is not None
            and path not in marked
            and _job_identity(record) not in unfinished_jobs
            and os.path.exists(absolute)
        ):
            finished.append(output)
    return finished


def _entries(root: Path, workdir: Path, read: bool = True):
    """Yield (real path of the decoded key, file text or None) for each record under root."""
    for dirpath, _, filenames in os.walk(root):
        prefix = [p.removeprefix("@") for p in Path(dirpath).relative_to(root).parts]
        for name in filenames:
            try:
                key = urlsafe_b64decode("".join([*prefix, name])).decode()
            except (binascii.Error, UnicodeDecodeError, ValueError):
                continue  # e.g. the "migration_underway" flag, not a record
            text = None
            if read:
                try:
                    text = Path(dirpath, name).read_text()
                except OSError:
                    continue
            yield os.path.realpath(workdir / key), text


def _parse(text: str | None) -> dict | None:
    try:
        record = json.loads(text or "")
    except json.JSONDecodeError:
        return None  # being written at the kill; Snakemake ignores it too
    if not isinstance(record, dict) or not record or record.get("incomplete") is True:
        return None  # empty, or a pre-v2 record flagged incomplete
    return record


def _job_identity(record: dict) -> str:
    return json.dumps([record.get(k) for k in _JOB_FIELDS], sort_keys=True, default=str)
