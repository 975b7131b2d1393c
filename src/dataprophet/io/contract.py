"""The parquet data contract shared by the mini suite and the real datasets.

One row per question-answer pair. Every stage downstream (training, evaluation, features)
reads only these columns, so the mini suite and the paper datasets go through one code path.
"""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from dataprophet.io.atomic import atomic_path

# Rows per parquet row group: a reader that wants some rows only (``read_table``'s ``ids``)
# holds one group at a time, about 100 MB at the paper's image sizes, not a whole pool.
ROW_GROUP_ROWS = 1024

COLUMNS = ("id", "dataset", "family", "image", "question", "answers", "choices", "metric")
# An optional text column: the answer-format line joined to the question only when a prompt is
# built (``data.instructions.prompt_texts``), never part of the question the features embed.
# Written only when some row has one, so tables without instructions keep the contract's columns.
INSTRUCTION = "instruction"

SCHEMA = pa.schema(
    [
        ("id", pa.string()),
        ("dataset", pa.string()),
        ("family", pa.string()),
        ("image", pa.binary()),
        ("question", pa.string()),
        ("answers", pa.list_(pa.string())),
        ("choices", pa.list_(pa.string())),
        ("metric", pa.string()),
    ]
)


class ContractError(ValueError):
    """A table that breaks the data contract; the message names the file, row and field."""


# The most pixels an image may have: Pillow's own decompression-bomb limit (about 89.5 M, e.g.
# 9,459 x 9,459). Past it an image is refused with its size instead of Pillow's warning or
# ``DecompressionBombError``; the model sees a few 448-pixel tiles of it anyway.
MAX_IMAGE_PIXELS = 89_478_485


def open_image(data: bytes):
    """The PIL image of contract bytes, decoded in full; a ``ValueError`` that says why when it
    is unreadable or larger than ``MAX_IMAGE_PIXELS``."""
    import warnings

    from PIL import Image, UnidentifiedImageError

    if not isinstance(data, bytes | bytearray):
        raise ValueError(f"image is a {type(data).__name__}, not bytes")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            try:
                img = Image.open(io.BytesIO(data))
            except Image.DecompressionBombError as exc:  # over twice Pillow's limit
                raise ValueError(
                    f"image is past the limit of {MAX_IMAGE_PIXELS / 1e6:.1f} M pixels ({exc}); scale it down first"
                ) from None
            width, height = img.size
            if width * height > MAX_IMAGE_PIXELS:
                raise ValueError(
                    f"image is {width}x{height} pixels ({width * height / 1e6:.1f} M), past the limit of "
                    f"{MAX_IMAGE_PIXELS / 1e6:.1f} M pixels; scale it down first"
                )
            img.load()
    except (UnidentifiedImageError, OSError, TypeError, SyntaxError) as exc:
        raise ValueError(f"corrupt or unreadable image ({exc})") from exc
    return img


def record_problem(rec: dict, seen: set[str]) -> str | None:
    """Why one record breaks the contract (None when it is fine); adds its id to ``seen``."""
    missing = [c for c in COLUMNS if c not in rec]
    if missing:
        return f"is missing field(s) {missing}"
    if rec["id"] in seen:
        return f"duplicate id {rec['id']!r}"
    seen.add(rec["id"])
    if not isinstance(rec["question"], str) or not rec["question"].strip():
        return "empty question"
    answers = rec["answers"]
    if answers is None or len(answers) == 0 or not all(isinstance(a, str) and a.strip() for a in answers):
        return "empty answer"
    try:
        open_image(rec["image"]).close()
    except ValueError as exc:
        return str(exc)
    return None


def validate_records(records: list[dict], source: str) -> None:
    """Reject rows that would fail later (empty text, bad images, duplicate ids) up front;
    rows are counted from 1."""
    seen: set[str] = set()
    for row_number, rec in enumerate(records, start=1):
        problem = record_problem(rec, seen)
        if problem is not None:
            sep = " " if problem.startswith("is ") else ": "
            raise ContractError(f"{source}: row {row_number} (id={rec.get('id')!r}){sep}{problem}")


def split_rejects(records: list[dict]) -> tuple[list[dict], list[dict]]:
    """(good records, rejects) where each reject is {row, id, reason}: the documented
    ``on_bad_rows: skip`` mode for real datasets with the odd broken image."""
    seen: set[str] = set()
    good, rejects = [], []
    for row_number, rec in enumerate(records):
        problem = record_problem(rec, seen)
        if problem is None:
            good.append(rec)
        else:
            rejects.append({"row": row_number, "id": str(rec.get("id")), "reason": problem})
    return good, rejects


def write_table(records: list[dict], path: str | Path, validate: bool = True, extra: tuple[str, ...] = ()) -> None:
    """Validate, then write atomically so a half-written parquet is never taken as complete.
    ``validate=False`` only for records the caller has just checked (no second decode of
    every image). ``extra``: text columns kept after the contract's (the synthetic pool's
    ``generator`` and ``source_image``); stages that read the contract ignore them."""
    if validate:
        validate_records(records, str(path))
    if INSTRUCTION not in extra and any(_text(r.get(INSTRUCTION)) for r in records):
        extra = (*extra, INSTRUCTION)
    schema = SCHEMA
    for name in extra:
        schema = schema.append(pa.field(name, pa.string()))
    columns = (*COLUMNS, *extra)
    rows = [{c: _text(r.get(c)) if c == INSTRUCTION else r[c] for c in columns} for r in records]
    table = pa.Table.from_pylist(rows, schema=schema)
    with atomic_path(path) as tmp:
        pq.write_table(table, tmp, row_group_size=ROW_GROUP_ROWS)


def _text(value) -> str:
    """A row's instruction as text: "" for none (absent, None, or NaN after a pandas concat)."""
    return value if isinstance(value, str) else ""


def table_columns(frame: pd.DataFrame) -> list[str]:
    """The contract's columns, and ``instruction`` when the frame has it: what a stage that
    copies rows (a mixture, an RL prompt set) writes back."""
    return [*COLUMNS, *([INSTRUCTION] if INSTRUCTION in frame.columns else [])]


def read_table(
    path: str | Path, validate: bool = False, columns: list[str] | None = None, ids: list[str] | None = None
) -> pd.DataFrame:
    """Read a contract table; with ``validate`` the rows are checked as on write.

    ``columns`` reads only those columns (the contract's are still required in the file), and
    ``ids`` only the rows with those ids, in file order: a pool's images never need to be
    read whole to choose from it."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"data table {path} does not exist")
    names = pq.read_schema(path).names
    missing = [c for c in COLUMNS if c not in names]
    if missing:
        raise ContractError(f"{path}: missing column(s) {missing}; the contract is {list(COLUMNS)}")
    absent = [c for c in columns or () if c not in names]
    if absent:
        raise ContractError(f"{path}: no column(s) {absent}")
    if ids is None:
        frame = pq.read_table(path, columns=columns).to_pandas()
    else:  # a batch at a time, keeping only the wanted rows: memory holds one batch and those
        wanted = pa.array([str(i) for i in ids], pa.string())
        source = pq.ParquetFile(path, pre_buffer=False)  # pre-buffering would read the whole file in
        kept = [
            batch.filter(pc.is_in(batch.column("id"), value_set=wanted))
            for batch in source.iter_batches(batch_size=ROW_GROUP_ROWS, columns=columns)
        ]
        schema = source.schema_arrow if columns is None else pa.schema([source.schema_arrow.field(c) for c in columns])
        frame = pa.Table.from_batches(kept, schema=schema).to_pandas()
    if validate:
        validate_records(frame.to_dict("records"), str(path))
    return frame


def read_rows(tables: list[str | Path], source_of: pd.Series, ids) -> pd.DataFrame:
    """The whole rows (images too) of ``ids``, in that order, with a ``source`` column:
    ``source_of`` maps each id to the stem of the table that holds it, and each table is read
    for its own rows only, so a pool is never held whole to take a selection from it."""
    ids = [str(i) for i in ids]
    wanted = source_of.set_axis(source_of.index.astype(str)).loc[ids]
    parts = []
    for path in tables:
        stem = Path(path).stem
        own = wanted.index[wanted == stem]
        if len(own):
            parts.append(read_table(path, ids=own.tolist()).assign(source=stem))
    rows = pd.concat(parts, ignore_index=True)
    return rows.set_axis(rows["id"].astype(str)).loc[ids].reset_index(drop=True)


def to_rgb(img):
    """An RGB copy of a PIL image whose values are scaled, never clipped: 16-bit and 32-bit
    integer images (``I;16``, ``I``) are divided down to 8 bits by their type's range, and
    floating-point ones (``F``) are taken as 0..1 when they lie there, else stretched between
    their minimum and maximum. Pillow's own ``convert("RGB")`` clips such values at 255, so a
    16-bit scan becomes a white page. Other modes go through ``convert`` unchanged."""
    import numpy as np
    from PIL import Image

    if img.mode.startswith("I;16") or img.mode in ("I", "F"):
        values = np.asarray(img, dtype=np.float64)
        if img.mode.startswith("I;16") or (img.mode == "I" and values.min() >= 0 and values.max() <= 65535):
            scaled = values / 65535.0
        elif img.mode == "F" and values.min() >= 0 and values.max() <= 1:
            scaled = values
        else:
            low, high = values.min(), values.max()
            scaled = (values - low) / (high - low) if high > low else np.zeros_like(values)
        img = Image.fromarray(np.round(scaled * 255).astype(np.uint8), mode="L")
    return img.convert("RGB")


def decode_image(data: bytes):
    """Decode contract image bytes to an RGB PIL image (``to_rgb``: deep images scaled)."""
    from PIL import Image

    img = Image.open(io.BytesIO(data))
    return img.convert("RGB") if img.mode in ("RGB", "L", "P", "RGBA", "CMYK", "YCbCr", "1", "LA") else to_rgb(img)


def validate_file(path: str | Path) -> int:
    """Check every row of a contract table as ``validate_records`` does, one row group at a
    time (memory holds one group, never the table); returns the row count. Errors name the
    file and the 1-based row."""
    path = Path(path)
    read_table(path, columns=["id"])  # exists and has the contract's columns
    seen: set[str] = set()
    row_number = 0
    source = pq.ParquetFile(path, pre_buffer=False)
    for batch in source.iter_batches(batch_size=ROW_GROUP_ROWS):
        for rec in batch.to_pylist():
            row_number += 1
            problem = record_problem(rec, seen)
            if problem is not None:
                sep = " " if problem.startswith("is ") else ": "
                raise ContractError(f"{path}: row {row_number} (id={rec.get('id')!r}){sep}{problem}")
    return row_number


def write_mapped(table: str | Path, out: str | Path, columns: list[str]) -> int:
    """Copy ``columns`` of the contract table ``table`` into an uncompressed Arrow IPC file
    ``out`` that ``MappedRows`` memory-maps, one row group at a time; returns the row count.
    Images are stored as they are (already compressed), so the file is about the parquet's size."""
    source = pq.ParquetFile(Path(table), pre_buffer=False)
    names = [c for c in columns if c in source.schema_arrow.names]
    schema = pa.schema([source.schema_arrow.field(c) for c in names])
    rows = 0
    with atomic_path(out) as tmp, pa.OSFile(str(tmp), "wb") as sink, pa.ipc.new_file(sink, schema) as writer:
        for batch in source.iter_batches(batch_size=ROW_GROUP_ROWS, columns=names):
            writer.write_batch(batch)
            rows += batch.num_rows
    return rows


class MappedRows:
    """Rows of an Arrow IPC file (``write_mapped``) read one at a time from a memory map: the
    bytes live in the operating system's page cache, shared by every process that maps the
    file, and a row costs only its own values in a process's private memory. ``rows[i]`` is a
    dict of the file's columns."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._table = pa.ipc.open_file(pa.memory_map(str(self.path), "r")).read_all()

    def __len__(self) -> int:
        return self._table.num_rows

    @property
    def columns(self) -> list[str]:
        return self._table.column_names

    def __getstate__(self) -> dict:  # data-loader workers reopen the map instead of copying rows
        return {"path": self.path}

    def __setstate__(self, state: dict) -> None:
        self.__init__(state["path"])

    def __getitem__(self, index: int) -> dict:
        if not 0 <= index < len(self):
            raise IndexError(f"row {index} of {self.path} ({len(self)} rows)")
        return self._table.slice(index, 1).to_pylist()[0]
