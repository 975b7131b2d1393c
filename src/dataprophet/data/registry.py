"""The registry of the paper's 14 real datasets: one yaml file each in ``config/datasets/``.

A file names the dataset's family, its metric, the adapter that reads its source schema, the
column names (``fields``) and the train / test sources (hub streams or local files). Ids,
splits and columns come from public cards, not from loading the data here, so every value
stays editable: in the yaml, in a user override file (``load_registry(overrides=...)``) or
in code (``override(spec, ...)``). Validation names the file and the key to fix.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from dataclasses import fields as dc_fields
from pathlib import Path
from typing import Any

import yaml

from dataprophet.answer_scoring import SCORERS
from dataprophet.data.adapters import ADAPTERS, OPTIONAL_FIELDS
from dataprophet.data.families import FAMILIES

# The paper's order (docs/method.md, section 1): family by family.
PAPER_ORDER = (
    "ocr_vqa",
    "screenqa",
    "chartqa",
    "chart2text",
    "docvqa",
    "finance_qa",
    "a_okvqa",
    "vc_gvqa",
    "open_spatial",
    "clevr_relation",
    "clevr_counting",
    "tallyqa",
    "geomverse",
    "mapqa",
)
SOURCE_KINDS = {"hf": ("id", "split"), "local": ("path",)}


class RegistryError(ValueError):
    """A registry file that cannot work; the message names the file and the key."""


@dataclass(frozen=True)
class Source:
    """Where one split's rows come from. ``adapter`` / ``fields`` / ``options`` here apply to
    this source only (e.g. a test set on another hub repo with another schema)."""

    kind: str
    id: str | None = None
    config: str | None = None
    split: str | None = None
    data_files: Any = None
    revision: str | None = None
    path: str | None = None
    records_key: str | None = None
    image_root: str | None = None
    name: str | None = None
    adapter: str | None = None
    fields: dict[str, str | None] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class DatasetSpec:
    """One real dataset: a source (its train split) and a target (its test split)."""

    name: str
    paper_name: str
    family: str
    metric: str
    adapter: str
    train: tuple[Source, ...]
    test: tuple[Source, ...]
    fields: dict[str, str | None] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)
    download: str | None = None
    instruction: str | None = None  # None: the metric's default (data.instructions); "": none
    paper_pool: int | None = None  # the paper's stated pool size in QA pairs (its section 1 table)
    config_file: str = ""


REQUIRED_KEYS = ("name", "paper_name", "family", "metric", "adapter", "train", "test")
TOP_KEYS = frozenset(REQUIRED_KEYS + ("fields", "options", "download", "instruction", "paper_pool"))
SOURCE_KEYS = frozenset(f.name for f in dc_fields(Source))


# ------------------------------------------------------------------------------ checks


def _fail(where: str, key: str, message: str) -> RegistryError:
    return RegistryError(f"{where}: key {key!r}: {message}")


def _choice(where: str, key: str, value: Any, allowed, what: str) -> str:
    if not isinstance(value, str) or value not in allowed:
        raise _fail(where, key, f"unknown {what} {value!r}; valid: {', '.join(sorted(allowed))}")
    return value


def _mapping(where: str, key: str, value: Any) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise _fail(where, key, f"expected a mapping, got {type(value).__name__}")
    return dict(value)


def _check_fields(where: str, key: str, adapter: str, fields: dict, options: dict) -> None:
    definition = ADAPTERS[adapter]
    for name, column in fields.items():
        if name not in definition.fields:
            raise _fail(
                where,
                f"{key}fields.{name}",
                f"adapter {adapter!r} has no field {name!r}; fields: {', '.join(definition.fields)}",
            )
        if column is not None and not isinstance(column, str):
            raise _fail(where, f"{key}fields.{name}", f"a column name must be a string, got {column!r}")
        if column is None and name not in OPTIONAL_FIELDS:
            raise _fail(where, f"{key}fields.{name}", f"field {name!r} is required by adapter {adapter!r}")
    for name in options:
        if name not in definition.options:
            raise _fail(
                where,
                f"{key}options.{name}",
                f"adapter {adapter!r} has no option {name!r}; options: {', '.join(definition.options) or '(none)'}",
            )


def _source(where: str, key: str, raw: Any, spec_adapter: str) -> Source:
    if not isinstance(raw, dict):
        raise _fail(where, key, f"a source must be a mapping with 'kind', got {type(raw).__name__}")
    unknown = sorted(set(raw) - SOURCE_KEYS)
    if unknown:
        raise _fail(where, f"{key}.{unknown[0]}", f"unknown key; allowed: {', '.join(sorted(SOURCE_KEYS))}")
    kind = _choice(where, f"{key}.kind", raw.get("kind"), SOURCE_KINDS, "source kind")
    for required in SOURCE_KINDS[kind]:
        if not raw.get(required):
            raise _fail(
                where, f"{key}.{required}", f"missing (a '{kind}' source needs {', '.join(SOURCE_KINDS[kind])})"
            )
    adapter = spec_adapter
    if raw.get("adapter") is not None:
        adapter = _choice(where, f"{key}.adapter", raw["adapter"], ADAPTERS, "adapter")
    values = dict(raw)
    values["fields"] = _mapping(where, f"{key}.fields", raw.get("fields"))
    values["options"] = _mapping(where, f"{key}.options", raw.get("options"))
    _check_fields(where, f"{key}.", adapter, values["fields"], values["options"])
    for text_key in ("id", "config", "split", "revision", "path", "records_key", "image_root", "name"):
        if values.get(text_key) is not None:
            values[text_key] = str(values[text_key])
    return Source(**values)


def _sources(where: str, key: str, raw: Any, spec_adapter: str) -> tuple[Source, ...]:
    if raw is None or raw == [] or raw == {}:
        raise _fail(where, key, "missing source (a mapping with kind: hf or kind: local, or a list of them)")
    items = raw if isinstance(raw, list) else [raw]
    sources = tuple(
        _source(where, f"{key}[{i}]" if len(items) > 1 else key, item, spec_adapter) for i, item in enumerate(items)
    )
    if len(sources) > 1:
        names = [s.name for s in sources]
        if None in names or len(set(names)) != len(names):
            raise _fail(where, key, f"several sources need distinct 'name's (they keep ids unique), got {names}")
    return sources


def parse_spec(raw: Any, where: str, expected_name: str | None = None) -> DatasetSpec:
    """Validate one registry entry (``where`` names its file in errors) and type it."""
    if not isinstance(raw, dict):
        raise RegistryError(f"{where}: expected a mapping of keys, got {type(raw).__name__}")
    unknown = sorted(set(raw) - TOP_KEYS)
    if unknown:
        raise _fail(where, unknown[0], f"unknown key; allowed: {', '.join(sorted(TOP_KEYS))}")
    for key in REQUIRED_KEYS:
        if key not in raw:
            raise _fail(where, key, "missing" + (" source" if key in ("train", "test") else ""))
    name = str(raw["name"])
    if expected_name is not None and name != expected_name:
        raise _fail(where, "name", f"{name!r} differs from the file name {expected_name!r}")
    family = _choice(where, "family", raw["family"], FAMILIES, "family")
    metric = _choice(where, "metric", raw["metric"], SCORERS, "metric")
    adapter = _choice(where, "adapter", raw["adapter"], ADAPTERS, "adapter")
    fields = _mapping(where, "fields", raw.get("fields"))
    options = _mapping(where, "options", raw.get("options"))
    _check_fields(where, "", adapter, fields, options)
    instruction = raw.get("instruction")
    if instruction is not None and not isinstance(instruction, str):
        raise _fail(where, "instruction", f"expected a line of text ('' for none), got {instruction!r}")
    paper_pool = raw.get("paper_pool")
    if paper_pool is not None and (not isinstance(paper_pool, int) or isinstance(paper_pool, bool) or paper_pool < 1):
        raise _fail(where, "paper_pool", f"expected a positive whole number of QA pairs, got {paper_pool!r}")
    return DatasetSpec(
        name=name,
        paper_name=str(raw["paper_name"]),
        family=family,
        metric=metric,
        adapter=adapter,
        train=_sources(where, "train", raw["train"], adapter),
        test=_sources(where, "test", raw["test"], adapter),
        fields=fields,
        options=options,
        download=raw.get("download"),
        instruction=instruction,
        paper_pool=paper_pool,
        config_file=where,
    )


# ---------------------------------------------------------------------- load / override


def _read_yaml(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise RegistryError(f"{path}: not valid YAML ({exc})") from exc


def load_spec(path: str | Path) -> DatasetSpec:
    """One registry file; its ``name`` must match the file name."""
    path = Path(path)
    return parse_spec(_read_yaml(path), str(path), expected_name=path.stem)


# Keys saying where a source's rows are; the rest (name, adapter, fields, options) say how to read them.
LOCATION_KEYS = frozenset(
    {"kind", "id", "config", "split", "data_files", "revision", "path", "records_key", "image_root"}
)


def _merge_source(base: Any, change: dict) -> dict:
    """A source override: with ``kind`` its location replaces the old one (hub -> local file)
    while name, adapter, fields and options are kept unless given; without ``kind`` it is a
    plain deep merge (e.g. only ``image_root``)."""
    base = dict(base) if isinstance(base, dict) else {}
    if "kind" in change:
        base = {k: v for k, v in base.items() if k not in LOCATION_KEYS}
    return _merge(base, change)


def _merge_sources(base: Any, change: Any) -> Any:
    if isinstance(change, dict):
        return [_merge_source(b, change) for b in base] if isinstance(base, list) else _merge_source(base, change)
    if isinstance(change, list) and isinstance(base, list) and len(base) == len(change):
        return [_merge_source(b, c) if isinstance(c, dict) else copy.deepcopy(c) for b, c in zip(base, change)]
    return copy.deepcopy(change)


def _merge(base: Any, changes: Any) -> Any:
    """Deep merge for overrides: mappings merge key by key, ``train`` / ``test`` merge as
    sources (see ``_merge_source``; a list of another length replaces), anything else replaces."""
    if isinstance(base, dict) and isinstance(changes, dict):
        out = dict(base)
        for k, v in changes.items():
            if k in ("train", "test") and k in base:
                out[k] = _merge_sources(base[k], v)
            else:
                out[k] = _merge(base.get(k), v) if k in base else copy.deepcopy(v)
        return out
    return copy.deepcopy(changes)


def spec_to_dict(spec: DatasetSpec) -> dict:
    """The yaml form of a spec (None values and empty mappings dropped)."""

    def clean(obj) -> dict:
        out = {f.name: getattr(obj, f.name) for f in dc_fields(obj)}
        return {k: copy.deepcopy(v) for k, v in out.items() if v is not None and v != {} and k != "config_file"}

    raw = clean(spec)
    for role in ("train", "test"):
        items = [clean(s) for s in getattr(spec, role)]
        raw[role] = items[0] if len(items) == 1 else items
    return raw


def override(spec: DatasetSpec, _where: str | None = None, **changes: Any) -> DatasetSpec:
    """A new, re-validated spec with ``changes`` merged in, e.g.
    ``override(spec, metric="anls", train={"kind": "local", "path": "x.parquet"})``."""
    merged = _merge(spec_to_dict(spec), changes)
    where = _where or f"{spec.config_file} (overridden in code)"
    return parse_spec(merged, where, expected_name=spec.name)


def load_registry(
    folder: str | Path = "config/datasets", overrides: str | Path | dict | None = None
) -> dict[str, DatasetSpec]:
    """Every ``*.yaml`` in ``folder`` by name; ``overrides`` (a yaml file or a dict
    ``{name: {partial entry}}``) is merged into the named entries and re-validated."""
    folder = Path(folder)
    paths = sorted(folder.glob("*.yaml"))
    if not paths:
        raise RegistryError(f"{folder}: no registry files (*.yaml) found")
    registry = {p.stem: load_spec(p) for p in paths}
    if overrides is None:
        return registry
    label = "override dict"
    if not isinstance(overrides, dict):
        label, overrides = str(overrides), _read_yaml(Path(overrides))
        if overrides is None:
            return registry
        if not isinstance(overrides, dict):
            raise RegistryError(f"{label}: expected a mapping {{dataset name: changes}}")
    for name, changes in overrides.items():
        if name not in registry:
            raise _fail(label, str(name), f"unknown dataset; known: {', '.join(sorted(registry))}")
        if not isinstance(changes, dict):
            raise _fail(label, str(name), "expected a mapping of changes")
        spec = registry[name]
        registry[name] = override(spec, _where=f"{spec.config_file} (overridden by {label})", **changes)
    return registry


__all__ = [
    "DatasetSpec",
    "PAPER_ORDER",
    "RegistryError",
    "Source",
    "load_registry",
    "load_spec",
    "override",
    "parse_spec",
    "spec_to_dict",
]
