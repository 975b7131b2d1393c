"""Uniform, seeded, reproducible sampling of records from streams too large for memory.

The paper draws 20K train and 1K test samples per dataset from pools of up to 8.7M pairs, so
the pool is streamed: reservoir sampling (one pass, unknown length, n items held) or, when
the length is known, a seeded index set and one pass that keeps those positions. The chosen
ids are written to a JSON file; when it exists, exactly those ids are taken again, so a rerun
(or a changed upstream stream order) cannot silently draw different samples.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterable
from pathlib import Path
from typing import TypeVar

from dataprophet.io.atomic import atomic_path

T = TypeVar("T")


class SamplingError(ValueError):
    """An ids file that does not fit the request or the stream; the message names the file."""


def _check_n(n: int) -> None:
    if not isinstance(n, int) or n < 0:
        raise ValueError(f"sample size must be a non-negative integer, got {n!r}")


def reservoir_sample(items: Iterable[T], n: int, seed: int) -> list[T]:
    """A uniform sample of ``n`` items (all of them if fewer) in stream order, holding only
    ``n`` items at a time (Algorithm R with ``random.Random(seed)``)."""
    _check_n(n)
    rng = random.Random(seed)
    reservoir: list[tuple[int, T]] = []
    for i, item in enumerate(items):
        if i < n:
            reservoir.append((i, item))
        else:
            j = rng.randrange(i + 1)
            if j < n:
                reservoir[j] = (i, item)
    reservoir.sort(key=lambda pair: pair[0])
    return [item for _, item in reservoir]


def sample_indices(length: int, n: int, seed: int) -> list[int]:
    """Sorted positions of a uniform sample of ``n`` out of ``length`` (two-pass sampling)."""
    _check_n(n)
    return sorted(random.Random(seed).sample(range(length), min(n, length)))


def take_indices(items: Iterable[T], indices: list[int]) -> list[T]:
    """The items at the given sorted positions, stopping after the last one."""
    wanted, out = set(indices), []
    last = max(indices, default=-1)
    for i, item in enumerate(items):
        if i > last:
            break
        if i in wanted:
            out.append(item)
    if len(out) != len(wanted):
        raise SamplingError(f"the stream has fewer than {last + 1} items; the known length was wrong")
    return out


def read_ids(path: str | Path, n: int | None = None, seed: int | None = None) -> list[str]:
    """Ids saved by ``write_ids`` (checked against ``n`` and ``seed``) or a plain JSON list."""
    path = Path(path)
    try:
        data = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise SamplingError(f"{path}: not valid JSON ({exc.msg})") from exc
    if isinstance(data, list):
        return [str(i) for i in data]
    if not isinstance(data, dict) or not isinstance(data.get("ids"), list):
        raise SamplingError(f"{path}: expected a list of ids or {{'ids': [...], 'n': ..., 'seed': ...}}")
    for key, wanted in (("n", n), ("seed", seed)):
        if wanted is not None and data.get(key) is not None and data[key] != wanted:
            raise SamplingError(
                f"{path} was drawn with {key}={data[key]}, but {key}={wanted} was asked for; "
                f"delete the file to draw a new sample"
            )
    return [str(i) for i in data["ids"]]


def write_ids(path: str | Path, ids: list[str], n: int, seed: int) -> None:
    with atomic_path(path) as tmp:
        Path(tmp).write_text(json.dumps({"n": n, "seed": seed, "ids": list(ids)}, indent=0) + "\n")


def select_ids(records: Iterable[dict], ids: list[str], source: str = "ids file") -> list[dict]:
    """The records with the given ids, in the given order, stopping once all are found."""
    wanted = {i: None for i in ids}
    missing = len(wanted)
    for rec in records:
        rid = rec["id"]
        if rid in wanted and wanted[rid] is None:
            wanted[rid] = rec
            missing -= 1
            if missing == 0:
                break
    if missing:
        absent = [i for i, rec in wanted.items() if rec is None]
        raise SamplingError(
            f"{source}: {missing} id(s) not found in the stream, e.g. {absent[:3]}; "
            f"the source changed or the file belongs to another dataset"
        )
    return [wanted[i] for i in dict.fromkeys(ids)]


def _counted(records: Iterable[dict], seen: dict) -> Iterable[dict]:
    seen["rows"] = 0
    for rec in records:
        seen["rows"] += 1
        yield rec


def sample_records(
    records: Iterable[dict],
    n: int,
    seed: int,
    ids_file: str | Path | None = None,
    length: int | None = None,
    seen: dict | None = None,
) -> list[dict]:
    """``n`` records drawn uniformly (reservoir, or index sampling when ``length`` is known);
    with ``ids_file``: reuse its ids when it exists, else save the drawn ids to it. With
    ``seen``, ``seen["rows"]`` counts the records streamed (the split's size after a fresh
    reservoir draw, which reads the whole stream; a lower bound when the ids are reused)."""
    _check_n(n)
    if seen is not None:
        records = _counted(records, seen)
    if ids_file is not None and Path(ids_file).exists():
        return select_ids(records, read_ids(ids_file, n, seed), str(ids_file))
    if length is not None:
        sample = take_indices(records, sample_indices(length, n, seed))
    else:
        sample = reservoir_sample(records, n, seed)
    if ids_file is not None:
        write_ids(ids_file, [r["id"] for r in sample], n, seed)
    return sample


def sample_split(
    spec,
    role: str,
    n: int,
    seed: int,
    ids_file: str | Path | None = None,
    resolve: bool = True,
    seen: dict | None = None,
) -> list[dict]:
    """``n`` contract records of a registry dataset's 'train' or 'test' split; images are read
    only for the records kept (the stream's rows are adapted with lazy images). With
    ``resolve=False`` the kept records still hold their ``LazyImage`` (the caller reads them
    one by one, e.g. to reject an unreadable file instead of stopping)."""
    from dataprophet.data.adapters import iter_records, resolve_images

    sample = sample_records(iter_records(spec, role, lazy_images=True), n, seed, ids_file, seen=seen)
    return resolve_images(sample) if resolve else sample


__all__ = [
    "SamplingError",
    "read_ids",
    "reservoir_sample",
    "sample_indices",
    "sample_records",
    "sample_split",
    "select_ids",
    "take_indices",
    "write_ids",
]
