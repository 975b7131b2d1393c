"""Stage ``prepare`` (paper scale): a registry dataset's train and test samples as contract tables.

Each split is streamed through its adapter and sampled uniformly with a seed (20K train and
1K test in the paper); the drawn ids are saved and reused on every rerun.
Each row gets the dataset's answer-format instruction (``data.instructions``; the registry
file's ``instruction:`` or its metric's default) in its ``instruction`` column, apart from the
question, unless ``instructions`` is off. Hand-fetched local files are checked first
(``data.check_data``), so a missing test file stops the job before the train split streams.
Rows that break the contract stop the job with the file, row and reason, or, with
``on_bad_rows="skip"``, go to a rejects file that the log counts.
Reproduce: ``snakemake --configfile config/paper.yaml results/paper/data/train/chartqa.parquet``
(the rule ``prepare`` calls ``dataprophet prepare``).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from dataprophet.data.adapters import AdapterError, LazyImage
from dataprophet.data.check_data import check_spec
from dataprophet.data.instructions import instruction_for
from dataprophet.data.registry import load_registry
from dataprophet.data.sampling import sample_split
from dataprophet.io.atomic import write_csv, write_json
from dataprophet.io.contract import ContractError, split_rejects, validate_records, write_table
from dataprophet.settings import PrepareSettings


def prepare(
    dataset: str,
    registry: Path,
    overrides: Path | None,
    train: Path,
    test: Path,
    train_ids: Path,
    test_ids: Path,
    rejects: Path,
    settings: PrepareSettings,
    sizes_report: Path | None = None,
) -> dict:
    """Sample ``dataset`` of the ``registry`` folder (with the ``overrides`` yaml merged in)
    into the ``train`` and ``test`` tables; the drawn ids go to (and, on a rerun, come from)
    ``train_ids`` and ``test_ids``; rejected rows to ``rejects``; rows asked, found, kept and
    rejected per split, with the paper's pool size, to ``sizes_report`` (JSON). Returns that
    report.

    Both splits are sampled and checked before anything is written, so a bad test row does
    not leave a fresh train table behind.
    """
    specs = load_registry(registry, overrides=overrides)
    if dataset not in specs:
        raise ValueError(f"unknown dataset {dataset!r}; registry {registry} has {sorted(specs)}")
    return sample_dataset(specs[dataset], train, test, train_ids, test_ids, rejects, settings, sizes_report)


def sample_dataset(
    spec,
    train: Path,
    test: Path,
    train_ids: Path,
    test_ids: Path,
    rejects: Path,
    settings: PrepareSettings,
    sizes_report: Path | None = None,
) -> dict:
    """``prepare`` for a dataset spec already loaded (``data.registry.DatasetSpec``)."""
    check_spec(spec)  # a missing hand-fetched test file stops here, not after streaming the train split
    tables, bad_rows, report = {}, [], {}
    for role, ids_file in (("train", train_ids), ("test", test_ids)):
        n = int(settings.sizes[role])
        seen: dict = {}
        records = sample_split(spec, role, n, settings.seed, ids_file, resolve=False, seen=seen)
        # fewer than asked: the split holds only these (sampling then takes every row)
        available = seen.get("rows", len(records)) if len(records) < n else None
        where = f"{spec.name} {role} split ({spec.config_file}; sampled ids in {ids_file})"
        records, unreadable = _read_images(records, where, stop=settings.on_bad_rows == "error")
        if settings.on_bad_rows == "error":
            validate_records(records, where)
            kept, bad = records, []
        else:
            kept, bad = split_rejects(records)
            bad = unreadable + bad
        if not kept:
            raise ValueError(f"{where}: no usable rows (asked for {n})")
        if settings.instructions:
            instruction = instruction_for(spec.metric, spec.instruction)
            kept = [{**r, "instruction": instruction} for r in kept]  # joined in prompts, not embedded
        tables[role] = kept
        bad_rows += [{"role": role, **r} for r in bad]
        report[role] = {"asked": n, "available": available, "kept": len(kept), "rejected": len(bad)}
    for role, path in (("train", train), ("test", test)):
        write_table(tables[role], path, validate=False)  # checked above
    write_csv(pd.DataFrame(bad_rows, columns=["role", "row", "id", "reason"]), rejects, index=False)
    for role, counts in report.items():
        print(f"{spec.name} {role}: asked {counts['asked']}, kept {counts['kept']}, rejected {counts['rejected']}")
        if counts["available"] is not None:
            paper = f"; the paper states a pool of ~{spec.paper_pool:,}" if spec.paper_pool and role == "train" else ""
            print(
                f"note: {spec.name} {role} split holds only {counts['available']:,} usable pairs, fewer than the "
                f"{counts['asked']:,} asked: all are taken{paper}"
            )
    if sizes_report is not None:
        write_json({"dataset": spec.name, "paper_pool": spec.paper_pool, **report}, sizes_report)
    if bad_rows:
        print(f"rejected rows and reasons: {rejects}")
    return report


def _read_images(records: list[dict], where: str, stop: bool) -> tuple[list[dict], list[dict]]:
    """Read each kept record's image; one that cannot be read (a missing file under
    ``image_root``, an image dict without bytes) stops with its row and id, or is set aside
    as a reject."""
    readable, unreadable = [], []
    for row, rec in enumerate(records):
        try:
            image = rec["image"].resolve() if isinstance(rec["image"], LazyImage) else rec["image"]
        except AdapterError as exc:
            if stop:
                raise ContractError(f"{where}: row {row} (id={rec['id']!r}): {exc}") from exc
            unreadable.append({"row": row, "id": str(rec["id"]), "reason": str(exc)})
            continue
        readable.append({**rec, "image": image})
    return readable, unreadable
