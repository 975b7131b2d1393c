"""A user's own datasets for ``dataprophet score``: a contract parquet, or a folder.

Folder format: ``<folder>/data.jsonl``, one JSON object per line with ``image`` (a path
relative to the folder), ``question``, and ``answer`` (a string) or ``answers`` (a list);
``id`` is optional. Rows are checked with the contract's rules before any model work, and
an error names the file and line.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from dataprophet.io.contract import ContractError, read_table, validate_records


def _folder_records(folder: Path) -> list[dict]:
    manifest = folder / "data.jsonl"
    if not manifest.exists():
        raise FileNotFoundError(f"{folder} has no data.jsonl (expected one JSON object per line)")
    records = []
    for line_number, line in enumerate(manifest.read_text().splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{manifest}: line {line_number}"
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ContractError(f"{where}: not valid JSON ({exc.msg})") from exc
        for key in ("image", "question"):
            if key not in row:
                raise ContractError(f"{where}: missing field '{key}'")
        answers = row.get("answers", [row["answer"]] if "answer" in row else None)
        if answers is None:
            raise ContractError(f"{where}: missing field 'answer' (or 'answers')")
        image_path = folder / row["image"]
        if not image_path.exists():
            raise ContractError(f"{where}: image file {image_path} does not exist")
        records.append(
            {
                "id": str(row.get("id", f"{folder.name}-{line_number}")),
                "dataset": folder.name,
                "family": row.get("family", "unknown"),
                "image": image_path.read_bytes(),
                "question": row["question"],
                "answers": [str(a) for a in answers],
                "choices": row.get("choices"),
                "metric": row.get("metric", "exact_match"),
            }
        )
    validate_records(records, str(manifest))
    return records


def load_user_dataset(path: str | Path) -> tuple[str, pd.DataFrame]:
    """(name, contract frame) from a parquet file or a folder with data.jsonl."""
    path = Path(path)
    if path.is_dir():
        return path.name, pd.DataFrame(_folder_records(path))
    if path.suffix == ".parquet":
        return path.stem, read_table(path, validate=True)
    raise ValueError(f"{path}: expected a .parquet contract table or a folder with data.jsonl")
