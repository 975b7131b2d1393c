"""Paper-scale data stage: a registry dataset's train and test samples as contract tables.

Each split is streamed through its adapter and sampled uniformly with a seed (20K train and
1K test in the paper); the drawn ids are saved beside the tables and reused on every rerun.
Rows that break the contract stop the job with the file, row and reason, or, with
``on_bad_rows="skip"``, go to a rejects file that the log counts.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from dataprophet.adapters import AdapterError, LazyImage
from dataprophet.atomic import write_csv
from dataprophet.contract import ContractError, split_rejects, validate_records, write_table
from dataprophet.sampling import sample_split

ROLES = ("train", "test")
BAD_ROW_MODES = ("error", "skip")


def prepare_dataset(spec, sizes: dict, seed: int, ids_dir: str | Path, out_dir: str | Path,
                    rejects_path: str | Path, on_bad_rows: str = "error") -> dict:
    """Write ``out_dir/<role>/<name>.parquet`` for both roles; returns rows kept and rejected.

    Both splits are sampled and checked before anything is written, so a bad test row does
    not leave a fresh train table behind.
    """
    if on_bad_rows not in BAD_ROW_MODES:
        raise ValueError(f"on_bad_rows {on_bad_rows!r} is not one of {', '.join(BAD_ROW_MODES)}")
    tables, rejects, report = {}, [], {}
    for role in ROLES:
        ids_file = Path(ids_dir) / f"{spec.name}.{role}.json"
        records = sample_split(spec, role, int(sizes[role]), seed, ids_file, resolve=False)
        where = f"{spec.name} {role} split ({spec.config_file}; sampled ids in {ids_file})"
        records, unreadable = _read_images(records, where, stop=on_bad_rows == "error")
        if on_bad_rows == "error":
            validate_records(records, where)
            kept, bad = records, []
        else:
            kept, bad = split_rejects(records)
            bad = unreadable + bad
        if not kept:
            raise ValueError(f"{where}: no usable rows (asked for {sizes[role]})")
        tables[role] = kept
        rejects += [{"role": role, **r} for r in bad]
        report[role] = {"asked": int(sizes[role]), "kept": len(kept), "rejected": len(bad)}
    for role, records in tables.items():
        write_table(records, Path(out_dir) / role / f"{spec.name}.parquet", validate=False)  # checked above
    write_csv(pd.DataFrame(rejects, columns=["role", "row", "id", "reason"]), rejects_path, index=False)
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
