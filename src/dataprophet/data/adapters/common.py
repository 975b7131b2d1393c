"""Shared pieces of the row adapters: the per-row context, column access, images, answers.

Adapters are pure functions ``(row, index, ctx) -> list[record]``. Everything they need to
know about the dataset (its name, the config file a user would edit, the column names) lives
in ``RowContext``, so an error deep in a 1M-row stream can still tell the user which yaml key
to change.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


class AdapterError(ValueError):
    """A source row that does not fit its adapter; the message names dataset, field and config."""


def _clip(names, limit: int = 30) -> str:
    names = sorted(str(n) for n in names)
    return repr(names if len(names) <= limit else names[:limit] + ["..."])


@dataclass(frozen=True)
class RowContext:
    """What an adapter needs besides the row: names for records and for error messages."""

    dataset: str
    family: str
    metric: str
    role: str  # "train" or "test": the contract split the records belong to
    config_file: str
    fields: dict[str, str | None]
    field_origin: dict[str, str] = field(default_factory=dict)  # field -> yaml key, for errors
    options: dict[str, Any] = field(default_factory=dict)
    image_root: str | None = None
    source_name: str | None = None  # set when a split has several sources (keeps ids unique)

    # -- errors and column access ------------------------------------------------------
    def where(self, key: str) -> str:
        return f"{self.field_origin.get(key, f'fields.{key}')} in {self.config_file}"

    def fail(self, message: str) -> AdapterError:
        return AdapterError(f"{self.dataset}: {message}")

    def column(self, row: dict, key: str) -> Any:
        """The value of logical field ``key``; a missing column names the yaml key to fix.
        A dotted name ("image_info.file_path") reads a key inside a mapping column, also one
        stored as text (``"{'file_path': ...}"``, as some hub exports store dict columns)."""
        name = self.fields.get(key)
        found, value = self._lookup(row, name, key)
        if not found:
            raise self.fail(f"column {name!r} ({self.where(key)}) not found; columns are {_clip(row)}")
        return value

    def optional(self, row: dict, key: str) -> Any:
        """Like ``column`` but None when the field is unset or absent (optional fields only)."""
        name = self.fields.get(key)
        return self._lookup(row, name, key)[1] if name is not None else None

    def _lookup(self, row: dict, name: str | None, key: str) -> tuple[bool, Any]:
        if name is None:
            return False, None
        if name in row:
            return True, row[name]
        head, _, rest = name.partition(".")
        if not rest or head not in row:
            return False, None
        value = stringified_literal(row[head], self, key)
        for part in rest.split("."):
            if not isinstance(value, dict) or part not in value:
                return False, None
            value = value[part]
        return True, value

    def item(self, item: Any, key: str, container: str) -> Any:
        """A key inside a nested item (e.g. one entry of a ``qa`` list)."""
        name = self.fields.get(key)
        if not isinstance(item, dict) or name not in item:
            keys = _clip(item) if isinstance(item, dict) else type(item).__name__
            raise self.fail(f"key {name!r} ({self.where(key)}) not found in a {container!r} item; keys are {keys}")
        return item[name]

    # -- records ------------------------------------------------------------------------
    def row_id(self, row: dict, index: int) -> str:
        """The source's own id column when configured and present, else the row index."""
        value = self.optional(row, "id") if "id" in self.fields else None
        rid = str(index) if value is None or str(value).strip() == "" else str(value).strip()
        return f"{self.source_name}.{rid}" if self.source_name else rid

    def record(
        self,
        row_id: str,
        qa_index: int,
        image: bytes,
        question: str,
        answers: list[str],
        choices: list[str] | None = None,
    ) -> dict:
        return {
            "id": f"{self.dataset}-{self.role}-{row_id}-{qa_index}",
            "dataset": self.dataset,
            "family": self.family,
            "image": image,
            "question": question,
            "answers": answers,
            "choices": choices,
            "metric": self.metric,
        }

    def image(self, value: Any, transform: Callable[[bytes], bytes] | None = None) -> LazyImage:
        """The row's image, read only when a sampled record needs it (see ``LazyImage``)."""
        return LazyImage(value, self.image_root, self.options.get("image_suffix", "") or "", self, transform)


@dataclass(frozen=True)
class LazyImage:
    """Image bytes read (and optionally transformed) on ``resolve()``, not when the row is
    adapted: sampling 20K pairs out of Open-Spatial's 8.7M must not open 8.7M image files or
    draw 8.7M sets of region boxes. Errors still name the dataset and config key."""

    value: Any
    image_root: str | None
    suffix: str
    ctx: RowContext
    transform: Callable[[bytes], bytes] | None = None

    def resolve(self) -> bytes:
        data = image_bytes(self.value, self.image_root, self.suffix, self.ctx)
        return self.transform(data) if self.transform is not None else data


def resolve_images(records: list[dict]) -> list[dict]:
    """Records with every ``LazyImage`` replaced by its bytes (after sampling)."""
    return [{**r, "image": r["image"].resolve()} if isinstance(r["image"], LazyImage) else r for r in records]


# ------------------------------------------------------------------------------ images


def _png(img) -> bytes:
    """PNG-encode a PIL image (a decoded image has lost its original bytes)."""
    if img.mode not in ("1", "L", "LA", "P", "RGB", "RGBA", "I", "I;16"):
        img = img.convert("RGB")
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def _read_path(path: str, image_root: str | None, ctx: RowContext) -> bytes:
    candidate = Path(os.path.expanduser(path))
    if not candidate.is_absolute() and image_root:
        rooted = Path(os.path.expanduser(os.path.expandvars(image_root))) / candidate
        candidate = rooted if rooted.exists() or not candidate.exists() else candidate
    try:
        return candidate.read_bytes()
    except OSError as exc:
        raise ctx.fail(
            f"image file {str(candidate)!r} cannot be read ({exc.strerror}); "
            f"check image_root / fields.image in {ctx.config_file}"
        ) from exc


def image_bytes(value: Any, image_root: str | None, suffix: str, ctx: RowContext) -> bytes:
    """Encoded image bytes from what a source holds: bytes, a ``datasets`` {bytes, path} dict,
    a PIL image, a path (relative to ``image_root``; ``suffix`` appended, e.g. '.jpg' for ids),
    or a list of those (the first is used: the contract holds one image per record)."""
    if isinstance(value, (list, tuple)):
        if not value:
            raise ctx.fail(f"empty image list ({ctx.where('image')})")
        value = value[0]
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)  # keep the original encoding
    if isinstance(value, dict):
        if value.get("bytes"):
            return bytes(value["bytes"])
        if value.get("path"):
            return _read_path(str(value["path"]), image_root, ctx)
        raise ctx.fail(f"image dict without bytes or path ({ctx.where('image')})")
    if isinstance(value, (str, os.PathLike)):
        return _read_path(f"{value}{suffix}", image_root, ctx)
    if hasattr(value, "save") and hasattr(value, "mode"):
        return _png(value)
    raise ctx.fail(f"cannot read an image from a {type(value).__name__} ({ctx.where('image')})")


# ----------------------------------------------------------------------------- answers


def text(value: Any) -> str:
    """A stripped string ('' for None) from a text-like source value."""
    return "" if value is None else str(value).strip()


def stringified_literal(value: Any, ctx: RowContext, key: str) -> Any:
    """A list or mapping written as text read back (``stringified_list``); else ``value``."""
    if isinstance(value, str) and value.strip().startswith("{"):
        import ast

        try:
            parsed = ast.literal_eval(value.strip())
        except (ValueError, SyntaxError):
            raise ctx.fail(
                f"{key} looks like a mapping but does not parse: {value[:60]!r} ({ctx.where(key)})"
            ) from None
        return parsed if isinstance(parsed, dict) else value
    return stringified_list(value, ctx, key)


def stringified_list(value: Any, ctx: RowContext, key: str) -> Any:
    """A list written as text (``"['bench', 'seat']"``, as some hub exports store list
    columns) read back as a list, with ``ast.literal_eval`` (literals only, no code); any
    other value is returned as it is. Text that starts like a list but does not parse is
    an error naming the field."""
    if isinstance(value, str) and value.strip().startswith("["):
        import ast

        try:
            parsed = ast.literal_eval(value.strip())
        except (ValueError, SyntaxError):
            raise ctx.fail(f"{key} looks like a list but does not parse: {value[:60]!r} ({ctx.where(key)})") from None
        if isinstance(parsed, list):
            return parsed
    return value


def answer_list(value: Any) -> list[str]:
    """References from a str, a number or a list, stripped, empties and repeats dropped."""
    items = value if isinstance(value, (list, tuple)) else [value]
    out: list[str] = []
    for item in items:
        s = text(item)
        if s and s not in out:
            out.append(s)
    return out
