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


def _text(value, where: str, key: str) -> str:
    if not isinstance(value, str) or not value.strip():
        shown = "null" if value is None else repr(value)
        raise ContractError(f"{where}: field '{key}' must be a non-empty string, got {shown}")
    return value


def _answers(row: dict, where: str) -> list[str]:
    """``answers`` (a list of strings) or ``answer`` (one string); nothing else is guessed."""
    if "answers" in row:
        answers = row["answers"]
        if not isinstance(answers, list) or not answers:
            raise ContractError(
                f"{where}: field 'answers' must be a non-empty list of strings "
                f'(for one answer write "answer": "..."), got {answers!r}'
            )
        return [_text(a, where, "answers") for a in answers]
    if "answer" in row:
        return [_text(row["answer"], where, "answer")]
    raise ContractError(f"{where}: missing field 'answer' (or 'answers')")


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
        if not isinstance(row, dict):
            raise ContractError(
                f"{where}: expected a JSON object with image, question and answer, got a {type(row).__name__}"
            )
        for key in ("image", "question"):
            if key not in row:
                raise ContractError(f"{where}: missing field '{key}'")
        answers = _answers(row, where)
        image_path = folder / _text(row["image"], where, "image")
        if not image_path.is_file():
            what = "is a folder, not an image file" if image_path.is_dir() else "does not exist"
            raise ContractError(f"{where}: image {image_path} {what}")
        records.append(
            {
                "id": str(row.get("id", f"{folder.name}-{line_number}")),
                "dataset": folder.name,
                "family": row.get("family", "unknown"),
                "image": image_path.read_bytes(),
                "question": _text(row["question"], where, "question"),
                "answers": answers,
                "choices": row.get("choices"),
                "metric": row.get("metric", "exact_match"),
            }
        )
    if not records:
        raise ContractError(f"{manifest}: no samples (the file has no JSON lines)")
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
