"""Row readers for registry sources, all lazy, so a 32 GB JSON or a 1M-row hub split is
streamed rather than loaded.

- ``kind: hf``: ``datasets.load_dataset(id, config, split=..., streaming=True)`` with image
  decoding switched off, so images arrive as their original encoded bytes.
- ``kind: local``: ``.parquet`` (record batches), ``.jsonl``/``.ndjson`` (line by line), or
  ``.json`` (a top-level array, concatenated objects, or an object whose ``records_key`` holds
  the array, as CLEVR's ``{"info": ..., "questions": [...]}``), parsed incrementally; or a
  folder of ``.parquet`` shards read in name order (a downloaded hub dataset repo's ``data/``,
  e.g. SpatialRGPT-Bench's); or a glob pattern of files read in name order (one split of a
  downloaded repo, ``data/train-*.parquet``: the offline alternative to a hub stream).
"""

from __future__ import annotations

import glob
import json
import os
from collections.abc import Iterator
from pathlib import Path

_WS = " \t\r\n"
_CHUNK = 1 << 20


class SourceError(ValueError):
    """A source file that cannot be read as configured; the message names the file."""


class _JsonReader:
    """Incremental JSON reader over a text file: values are decoded from a sliding buffer."""

    def __init__(self, handle, path: Path):
        self.handle, self.path = handle, path
        self.buf, self.pos, self.eof = "", 0, False
        self.decoder = json.JSONDecoder()

    def _fill(self) -> None:
        data = self.handle.read(_CHUNK)
        if not data:
            self.eof = True
        self.buf, self.pos = self.buf[self.pos :] + data, 0

    def peek(self) -> str:
        """Next non-whitespace character ('' at end of file), not consumed."""
        while True:
            while self.pos < len(self.buf) and self.buf[self.pos] in _WS:
                self.pos += 1
            if self.pos < len(self.buf) or self.eof:
                return self.buf[self.pos] if self.pos < len(self.buf) else ""
            self._fill()

    def expect(self, char: str) -> None:
        if self.peek() != char:
            raise SourceError(f"{self.path}: expected {char!r} near character {self.pos} of the current chunk")
        self.pos += 1

    def value(self):
        self.peek()
        while True:
            try:
                obj, end = self.decoder.raw_decode(self.buf, self.pos)
            except json.JSONDecodeError as exc:
                if self.eof:
                    raise SourceError(f"{self.path}: invalid JSON ({exc.msg})") from exc
                self._fill()
                continue
            if end == len(self.buf) and not self.eof:  # a number may continue in the next chunk
                self._fill()
                continue
            self.pos = end
            return obj

    def array(self) -> Iterator:
        self.expect("[")
        if self.peek() == "]":
            self.pos += 1
            return
        while True:
            yield self.value()
            nxt = self.peek()
            self.pos += 1
            if nxt == "]":
                return
            if nxt != ",":
                raise SourceError(f"{self.path}: expected ',' or ']' between array items, found {nxt!r}")


def _iter_json(path: Path, records_key: str | None) -> Iterator[dict]:
    with open(path, encoding="utf-8") as handle:
        reader = _JsonReader(handle, path)
        first = reader.peek()
        if first == "[":
            yield from reader.array()
        elif first == "{" and records_key:
            reader.expect("{")
            while reader.peek() not in ("}", ""):
                key = reader.value()
                reader.expect(":")
                if key == records_key:
                    yield from reader.array()
                    return
                reader.value()  # skip e.g. CLEVR's "info"
                if reader.peek() == ",":
                    reader.pos += 1
            raise SourceError(f"{path}: top-level key {records_key!r} (records_key) not found")
        else:  # JSON Lines or concatenated objects
            while reader.peek():
                yield reader.value()


def _iter_jsonl(path: Path) -> Iterator[dict]:
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if line.strip():
                try:
                    yield json.loads(line)
                except json.JSONDecodeError as exc:
                    raise SourceError(f"{path}: line {number} is not valid JSON ({exc.msg})") from exc


def _iter_parquet(path: Path) -> Iterator[dict]:
    import pyarrow.parquet as pq

    for batch in pq.ParquetFile(path).iter_batches(batch_size=256):
        yield from batch.to_pylist()


def is_pattern(path: str) -> bool:
    """Whether a local source's path is a glob pattern (``*``, ``?`` or ``[``) naming shards."""
    return glob.has_magic(path)


def iter_local(path: str | Path, records_key: str | None = None) -> Iterator[dict]:
    """Rows of a local JSON / JSONL / parquet file, by extension, or of a folder of parquet shards."""
    path = Path(os.path.expanduser(os.path.expandvars(str(path))))
    if not path.exists() and not is_pattern(str(path)):
        raise SourceError(f"local source {path} does not exist (see the download note in its registry file)")
    if is_pattern(str(path)):  # e.g. a downloaded hub repo's data/train-*.parquet
        shards = sorted(Path(p) for p in glob.glob(str(path)))
        if not shards:
            raise SourceError(f"local source {path} matches no file (see the download note in its registry file)")
        return (row for shard in shards for row in iter_local(shard, records_key))
    if path.is_dir():
        shards = sorted(path.glob("*.parquet"))
        if not shards:
            raise SourceError(f"local source {path} is a folder without .parquet files (see its registry file)")
        return (row for shard in shards for row in _iter_parquet(shard))
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        return _iter_parquet(path)
    if suffix in (".jsonl", ".ndjson"):
        return _iter_jsonl(path)
    if suffix == ".json":
        return _iter_json(path, records_key)
    raise SourceError(f"{path}: unsupported file type {suffix!r} (use .json, .jsonl or .parquet)")


def iter_hf(
    hub_id: str, split: str, config: str | None = None, data_files=None, revision: str | None = None
) -> Iterator[dict]:
    """Stream a hub dataset with image decoding off (original bytes, no PIL round trip)."""
    import datasets

    kwargs = {k: v for k, v in {"data_files": data_files, "revision": revision}.items() if v}
    stream = datasets.load_dataset(hub_id, config, split=split, streaming=True, **kwargs)
    if hasattr(stream, "decode"):
        stream = stream.decode(False)
    return iter(stream)
