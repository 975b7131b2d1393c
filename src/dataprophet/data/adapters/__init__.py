"""Row adapters: one per source schema, each turning a source row into contract records.

``ADAPTERS`` names every adapter with its logical fields (and their default column names)
and its options (and defaults). The registry checks a yaml file's ``fields`` and ``options``
against this table, so a typo fails at load time, not after an hour of streaming.
``iter_records`` runs a dataset's sources through their adapters lazily.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from dataprophet.data.adapters import clevr, multi, single
from dataprophet.data.adapters.common import AdapterError, LazyImage, RowContext, resolve_images
from dataprophet.data.adapters.sources import SourceError, iter_hf, iter_local

Adapter = Callable[[dict, int, RowContext], list[dict]]


@dataclass(frozen=True)
class AdapterDef:
    """An adapter with its default field -> column mapping and its option defaults.
    Fields whose default is None are optional (``id``: the row index is used instead)."""

    name: str
    fn: Adapter
    fields: dict[str, str | None]
    options: dict[str, Any] = field(default_factory=dict)


_IMG = {"image_suffix": ""}
_QA = {"answer_regex": None, "list_answer": "references", **_IMG}
_CAULDRON_FIELDS = {"image": "images", "qa": "texts", "question": "user", "answers": "assistant", "id": None}
_CLEVR_FIELDS = {
    "image": "image_filename",
    "question": "question",
    "answers": "answer",
    "program": "program",
    "id": "question_index",
}

_DEFS = (
    AdapterDef("qa", single.qa, {"image": "image", "question": "question", "answers": "answer", "id": None}, _QA),
    AdapterDef("chartqa", single.qa, {"image": "image", "question": "query", "answers": "label", "id": None}, _QA),
    AdapterDef(
        "docvqa", single.qa, {"image": "image", "question": "question", "answers": "answers", "id": "questionId"}, _QA
    ),
    AdapterDef(
        "visual_cot",
        single.qa,
        {"image": "image", "question": "question", "answers": "answer", "id": "question_id"},
        _QA,
    ),
    AdapterDef(
        "visual_cot_benchmark",
        single.visual_cot_benchmark,
        {"image": "image", "qa": "conversations", "speaker": "from", "text": "value", "id": "question_id"},
        {"human": "human", "gpt": "gpt", **_IMG},
    ),
    AdapterDef(
        "mapqa",
        single.qa,
        {"image": "map_id", "question": "question", "answers": "answer", "id": "question_id"},
        {**_QA, "list_answer": "unordered"},
    ),
    AdapterDef(
        "geomverse", single.qa, {"image": "image", "question": "question", "answers": "answer", "id": None}, _QA
    ),
    AdapterDef(
        "chart2text",
        single.chart2text,
        {"image": "image", "answers": "caption", "id": None},
        {"question": "Describe the chart.", **_IMG},
    ),
    AdapterDef(
        "screenqa",
        single.screenqa,
        {"image": "image", "question": "question", "answers": "ground_truth", "id": None},
        {"answer_key": "full_answer", **_IMG},
    ),
    AdapterDef(
        "a_okvqa",
        single.a_okvqa,
        {
            "image": "image",
            "question": "question",
            "choices": "choices",
            "correct_choice_idx": "correct_choice_idx",
            "direct_answers": "direct_answers",
            "id": "question_id",
        },
        {"keep_direct_answers": False, "choices_in_question": True, **_IMG},
    ),
    AdapterDef(
        "ocr_vqa",
        multi.ocr_vqa,
        {"image": "image", "question": "questions", "answers": "answers", "id": "image_id"},
        _IMG,
    ),
    AdapterDef(
        "qa_list",
        multi.qa_list,
        {"image": "image", "qa": "qa", "question": "question", "answers": "answer", "id": None},
        {"answer_regex": None, **_IMG},
    ),
    AdapterDef(
        "the_cauldron",
        multi.the_cauldron,
        _CAULDRON_FIELDS,
        {"prompt_regex": multi.DEFAULT_PROMPT_REGEX, "clean_answers": True, "answer_regex": None, **_IMG},
    ),
    AdapterDef(
        "open_spatial",
        multi.open_spatial,
        {"image": "filename", "qa": "conversations", "speaker": "from", "text": "value", "regions": "bbox", "id": "id"},
        {"human": "human", "gpt": "gpt", "draw_regions": True, **_IMG},
    ),
    AdapterDef("clevr_counting", clevr.clevr_counting, _CLEVR_FIELDS, {"disjoint": True, **_IMG}),
    AdapterDef("clevr_relation", clevr.clevr_relation, _CLEVR_FIELDS, {"disjoint": True, **_IMG}),
)
ADAPTERS: dict[str, AdapterDef] = {d.name: d for d in _DEFS}
OPTIONAL_FIELDS = frozenset({"id", "direct_answers", "regions"})


def context_for(spec, role: str, source, index: int = 0) -> RowContext:
    """The RowContext of one source: adapter defaults, then dataset-level ``fields`` /
    ``options`` (only when the source uses the dataset's adapter), then the source's own."""
    adapter = source.adapter or spec.adapter
    definition = ADAPTERS[adapter]
    inherit = adapter == spec.adapter
    fields, origin = dict(definition.fields), {k: f"fields.{k}" for k in definition.fields}
    options = dict(definition.options)
    key = f"{role}[{index}]" if len(getattr(spec, role)) > 1 else role
    if inherit:
        fields.update(spec.fields)
        options.update(spec.options)
    fields.update(source.fields)
    options.update(source.options)
    origin.update({k: f"{key}.fields.{k}" for k in source.fields})
    return RowContext(
        dataset=spec.name,
        family=spec.family,
        metric=spec.metric,
        role=role,
        config_file=spec.config_file,
        fields=fields,
        field_origin=origin,
        options=options,
        image_root=source.image_root,
        source_name=source.name,
    )


def iter_source_rows(source) -> Iterator[dict]:
    """Raw rows of one registry source (hub stream or local file)."""
    if source.kind == "hf":
        return iter_hf(source.id, source.split, source.config, source.data_files, source.revision)
    return iter_local(source.path, source.records_key)


def _source_rows(spec, role: str, index: int, source, rows_for: Callable | None) -> Iterator[dict]:
    """Rows of one source; a source that cannot be opened or read (a wrong hub id, split or
    file) fails naming the dataset, the registry key and its file."""
    if rows_for is not None:
        yield from rows_for(source)
        return
    key = f"{role}[{index}]" if len(getattr(spec, role)) > 1 else role
    what = f"{key}.id {source.id!r} (split {source.split!r})" if source.kind == "hf" else f"{key}.path {source.path!r}"
    try:
        yield from iter_source_rows(source)
    except (AdapterError, SourceError) as exc:
        raise SourceError(f"{spec.name}: source {what} in {spec.config_file}: {exc}") from exc
    except (MemoryError, RecursionError, AssertionError):
        raise  # resource limits and bugs keep their own traceback
    except Exception as exc:  # the datasets/hub libraries raise many kinds; name the entry to fix
        raise SourceError(
            f"{spec.name}: cannot read source {what} in {spec.config_file}: {type(exc).__name__}: {exc}"
        ) from exc


def iter_records(spec, role: str, rows_for: Callable | None = None, lazy_images: bool = False) -> Iterator[dict]:
    """Contract records of a dataset split ('train' or 'test'), source after source, lazily.
    ``rows_for(source)`` replaces the reader (tests feed rows without files). With
    ``lazy_images`` the ``image`` field is a ``LazyImage`` (the sampler resolves only the
    records it keeps); otherwise it holds the encoded bytes."""
    if role not in ("train", "test"):
        raise ValueError(f"role must be 'train' or 'test', got {role!r}")
    for index, source in enumerate(getattr(spec, role)):
        ctx = context_for(spec, role, source, index)
        fn = ADAPTERS[source.adapter or spec.adapter].fn
        for row_index, row in enumerate(_source_rows(spec, role, index, source, rows_for)):
            records = fn(row, row_index, ctx)
            yield from (records if lazy_images else resolve_images(records))


__all__ = [
    "ADAPTERS",
    "OPTIONAL_FIELDS",
    "AdapterDef",
    "AdapterError",
    "LazyImage",
    "RowContext",
    "SourceError",
    "context_for",
    "iter_records",
    "iter_source_rows",
    "resolve_images",
]
