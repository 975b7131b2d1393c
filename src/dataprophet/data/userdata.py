"""A user's own datasets for ``dataprophet score`` and ``select``: one reader for both formats.

Formats: a contract ``.parquet`` table, or a folder with ``<folder>/data.jsonl``, one JSON
object per line with ``image`` (a path relative to the folder), ``question``, and ``answer``
(a string) or ``answers`` (a list); ``id``, ``choices`` (a list of strings) and ``metric`` are
optional. Every row of either format is checked for what it means before any model is
loaded (``check_row``): a non-empty question, answers a non-empty list of non-empty strings,
choices a list of strings or nothing, ids unique, and the image decoded in full within
``MAX_IMAGE_PIXELS``. A parquet file is checked for column types first, so a column of
plain strings where the contract has lists is refused instead of being read one character
at a time. An error names the file and the 1-based line (a JSONL file, counted as a text
editor counts them, blank lines included) or row (a parquet table).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from dataprophet.io.contract import COLUMNS, MAX_IMAGE_PIXELS, ContractError, open_image

__all__ = ["MAX_IMAGE_PIXELS", "MIN_TARGET_SAMPLES", "ContractError", "check_row", "load_user_dataset"]

# The fewest samples a target may have: its perplexity is a mean over its answers and its
# similarities are means over its rows, and fewer than this is no estimate of either.
MIN_TARGET_SAMPLES = 3

# column -> (what the contract wants, test on the arrow type)
_COLUMN_TYPES = {
    "id": ("text", lambda t: pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_integer(t)),
    "question": ("text", lambda t: pa.types.is_string(t) or pa.types.is_large_string(t)),
    "image": ("bytes (the encoded image file)", lambda t: pa.types.is_binary(t) or pa.types.is_large_binary(t)),
    "answers": ("a list of strings per row", lambda t: _is_string_list(t)),
    "choices": ("a list of strings per row (or null)", lambda t: pa.types.is_null(t) or _is_string_list(t)),
}


def _is_string_list(kind) -> bool:
    return (pa.types.is_list(kind) or pa.types.is_large_list(kind)) and (
        pa.types.is_string(kind.value_type) or pa.types.is_large_string(kind.value_type)
    )


def _text(value, where: str, key: str) -> str:
    if not isinstance(value, str) or not value.strip():
        shown = "null" if value is None else repr(value)
        raise ContractError(f"{where}: field '{key}' must be a non-empty string, got {shown}")
    return value


def _string_list(value, where: str, key: str, empty_ok: bool) -> list[str]:
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if not isinstance(value, list) or (not value and not empty_ok):
        hint = ' (for one answer write "answer": "...")' if key == "answers" else ""
        raise ContractError(f"{where}: field '{key}' must be a non-empty list of strings{hint}, got {value!r}")
    return [_text(v, where, key) for v in value]


def check_row(row: dict, where: str, first_seen: dict[str, str], image_name: str = "image") -> None:
    """Raise ContractError naming ``where`` when one row's values do not mean what the
    contract says; ``first_seen`` maps every id met so far to where it was met, and
    ``image_name`` is how an image error names the image."""
    rid = str(row["id"])
    if rid in first_seen:
        raise ContractError(f"{where}: duplicate id {rid!r} (first at {first_seen[rid]})")
    first_seen[rid] = where.rsplit(": ", 1)[-1]
    _text(row["question"], where, "question")
    _string_list(row["answers"], where, "answers", empty_ok=False)
    if row.get("choices") is not None:
        _string_list(row["choices"], where, "choices", empty_ok=True)
    try:
        open_image(row["image"]).close()
    except ValueError as exc:
        raise ContractError(f"{where}: {image_name}: {exc}") from None


def _answers(row: dict, where: str) -> list[str]:
    """``answers`` (a list of strings) or ``answer`` (one string); nothing else is guessed."""
    if "answers" in row:
        return _string_list(row["answers"], where, "answers", empty_ok=False)
    if "answer" in row:
        return [_text(row["answer"], where, "answer")]
    raise ContractError(f"{where}: missing field 'answer' (or 'answers')")


def _lines(manifest: Path):
    """(1-based line number, text) of every line, blank ones counted; bytes that are not
    UTF-8 are an error naming the line."""
    for number, raw in enumerate(manifest.read_bytes().split(b"\n"), start=1):
        try:
            yield number, raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ContractError(
                f"{manifest}: line {number}: not UTF-8 text (byte 0x{raw[exc.start]:02x} at column {exc.start + 1}); "
                f"save the file as UTF-8"
            ) from None


def _folder_records(folder: Path) -> list[dict]:
    manifest = folder / "data.jsonl"
    if not manifest.exists():
        raise FileNotFoundError(f"{folder} has no data.jsonl (expected one JSON object per line)")
    records, first_seen = [], {}
    for line_number, line in _lines(manifest):
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
        record = {
            "id": str(row.get("id", f"{folder.name}-{line_number}")),
            "dataset": folder.name,
            "family": row.get("family", "unknown"),
            "image": image_path.read_bytes(),
            "question": _text(row["question"], where, "question"),
            "answers": answers,
            "choices": row.get("choices"),
            "metric": row.get("metric", "exact_match"),
        }
        check_row(record, where, first_seen, image_name=f"image {image_path}")
        records.append(record)
    if not records:
        raise ContractError(f"{manifest}: no samples (the file has no JSON lines)")
    return records


def _parquet_records(path: Path) -> pd.DataFrame:
    try:
        schema = pq.read_schema(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise ContractError(f"{path}: not a parquet file ({exc})") from None
    missing = [c for c in COLUMNS if c not in schema.names]
    if missing:
        raise ContractError(f"{path}: missing column(s) {missing}; the contract is {list(COLUMNS)}")
    for column, (wanted, fits) in _COLUMN_TYPES.items():
        kind = schema.field(column).type
        if not fits(kind):
            raise ContractError(
                f"{path}: column '{column}' is of type {str(kind).replace('large_', '')}; the contract wants {wanted}"
            )
    frame = pq.read_table(path).to_pandas()
    first_seen: dict[str, str] = {}
    for number, row in enumerate(frame.to_dict("records"), start=1):
        check_row(row, f"{path}: row {number}", first_seen)
    if frame.empty:
        raise ContractError(f"{path}: no samples (the table has no rows)")
    return frame


def load_user_dataset(path: str | Path) -> tuple[str, pd.DataFrame]:
    """(name, contract frame) from a parquet file or a folder with data.jsonl, every row
    checked (module docstring)."""
    path = Path(path)
    if path.is_dir():
        return path.name, pd.DataFrame(_folder_records(path))
    if path.suffix == ".parquet":
        if not path.exists():
            raise FileNotFoundError(f"data table {path} does not exist")
        return path.stem, _parquet_records(path)
    raise ValueError(f"{path}: expected a .parquet contract table or a folder with data.jsonl")
