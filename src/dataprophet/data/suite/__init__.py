"""The mini suite: 14 procedurally generated vision-language datasets, 7 task families x 2.

Each dataset stands in for one of the paper's datasets (``SuiteSpec.mirrors``). The two datasets
of a family share a skill but differ in layout and question form, like the real pairs.
``generate_splits`` turns a dataset into contract records (see ``dataprophet.io.contract``).
"""

from __future__ import annotations

import hashlib
import io
import random
from collections.abc import Callable
from dataclasses import dataclass

from dataprophet.answer_scoring import SCORERS
from dataprophet.data.families import FAMILIES
from dataprophet.data.suite import chart, counting, document, general, mapmath, ocr, spatial

# Scorer names a dataset may use: exactly the scorers the evaluation stage knows.
METRICS: frozenset[str] = frozenset(SCORERS)


@dataclass(frozen=True)
class SuiteSpec:
    name: str
    family: str
    metric: str
    mirrors: str
    make_sample: Callable[[random.Random, int], dict]


_SPECS = (
    SuiteSpec("ocr_cover", "ocr", "exact_match", "OCR-VQA", ocr.make_cover),
    SuiteSpec("ocr_screen", "ocr", "exact_match", "ScreenQA", ocr.make_screen),
    SuiteSpec("chart_bar", "chart", "relaxed_accuracy", "ChartQA", chart.make_bar),
    SuiteSpec("chart_line", "chart", "rouge_l", "Chart2Text", chart.make_line),
    SuiteSpec("doc_form", "document", "anls", "DocVQA", document.make_form),
    SuiteSpec("doc_table", "document", "anls", "FinanceQA", document.make_table),
    SuiteSpec("vqa_scene", "general_vqa", "multiple_choice", "A-OKVQA", general.make_scene),
    SuiteSpec("vqa_object", "general_vqa", "vqa_accuracy", "Visual-CoT (general VQA)", general.make_boxed),
    SuiteSpec("spatial_open", "spatial", "spatial_ratio", "Open-Spatial", spatial.make_open),
    SuiteSpec("spatial_grid", "spatial", "exact_match", "CLEVR-Relation", spatial.make_relation),
    SuiteSpec("count_shapes", "counting", "exact_match", "CLEVR-Counting", counting.make_shapes),
    SuiteSpec("count_tally", "counting", "exact_match", "TallyQA", counting.make_tally),
    SuiteSpec("math_geom", "map_math", "relaxed_numeric", "GeomVerse", mapmath.make_geom),
    SuiteSpec("map_regions", "map_math", "exact_match", "MapQA", mapmath.make_map),
)
SUITE: dict[str, SuiteSpec] = {s.name: s for s in _SPECS}

# The order splits are drawn in, each past what the earlier ones took: the dev split comes
# last, so adding it leaves pretrain, test and train as they were (v1's testbed had no dev).
SPLIT_ORDER = ("pretrain", "test", "train", "dev")

# Candidates tried per requested sample before giving up on finding unique content.
MAX_TRIES_PER_SAMPLE = 20
EXTRA_TRIES = 1000


def get_spec(name: str) -> SuiteSpec:
    try:
        return SUITE[name]
    except KeyError:
        raise KeyError(f"unknown mini-suite dataset {name!r}; valid names: {', '.join(SUITE)}") from None


def check_options(name: str, options: dict | None, where: str = "suite") -> dict:
    """The difficulty settings of ``name``: keyword options of its sampler, checked by name and
    type (each default is v1's value, so no options reproduce v1's datasets exactly)."""
    import inspect

    options = dict(options or {})
    params = {
        p.name: p for p in inspect.signature(get_spec(name).make_sample).parameters.values() if p.kind == p.KEYWORD_ONLY
    }
    for key, value in options.items():
        if key not in params:
            known = ", ".join(params) or "none"
            raise ValueError(f"config key '{where}.{name}.{key}': {name} has no such setting (known: {known})")
        default = params[key].default
        if isinstance(default, bool) or not isinstance(value, (int, float)) or isinstance(value, bool):
            raise ValueError(f"config key '{where}.{name}.{key}': expected a number, got {value!r}")
        if isinstance(default, int) and not float(value).is_integer():
            raise ValueError(f"config key '{where}.{name}.{key}': expected a whole number, got {value!r}")
        options[key] = type(default)(value)
    return options


def split_rng(seed: int, name: str, split: str) -> random.Random:
    """A generator seeded from a stable hash of (seed, dataset, split) -- never Python's ``hash()``."""
    digest = hashlib.sha256(f"{seed}/{name}/{split}".encode()).digest()
    return random.Random(int.from_bytes(digest[:16], "big"))


def encode_png(image) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format="PNG", compress_level=6)
    return buf.getvalue()


def content_key(png: bytes, question: str) -> str:
    """Identity of a sample for the split-disjointness check: image bytes plus question."""
    h = hashlib.sha256(png)
    h.update(b"\x00")
    h.update(question.encode())
    return h.hexdigest()


def draw_unique(
    make: Callable[..., dict],
    name: str,
    split: str,
    n: int,
    rng: random.Random,
    used: set[str],
    image_size: int,
    family: str,
    metric: str,
    options: dict | None = None,
) -> list[dict]:
    """``n`` contract records from ``make``, none sharing a content key with ``used`` (which
    grows); ids ``<name>-<split>-<k>``."""
    if n < 0:
        raise ValueError(f"{name}: split {split!r} has negative size {n}")
    records: list[dict] = []
    budget = MAX_TRIES_PER_SAMPLE * n + EXTRA_TRIES
    tries = 0
    while len(records) < n:
        if tries >= budget:
            raise ValueError(
                f"mini-suite dataset {name!r}: found only {len(records)} of {n} unique samples for split "
                f"{split!r} after {tries} tries; its content space is too small for these sizes"
            )
        tries += 1
        s = make(rng, image_size, **(options or {}))
        img = s["image"]
        if img.mode != "RGB" or img.size != (image_size, image_size):
            raise ValueError(f"{name}: sampler returned a {img.mode} {img.size} image, expected RGB {image_size}px")
        png = encode_png(img)
        key = content_key(png, s["question"])
        if key in used:
            continue
        used.add(key)
        records.append(
            {
                "id": f"{name}-{split}-{len(records):06d}",
                "dataset": name,
                "family": family,
                "image": png,
                "question": s["question"],
                "answers": list(s["answers"]),
                "choices": list(s["choices"]) if s.get("choices") is not None else None,
                "metric": metric,
            }
        )
    return records


def generate_splits(
    name: str, sizes: dict[str, int], seed: int, image_size: int = 64, options: dict | None = None
) -> dict[str, list[dict]]:
    """Contract records for each split in ``sizes`` (generated in that order), pairwise disjoint by
    content key; deterministic given (name, sizes, seed, image_size, options). ``options`` are
    the dataset's difficulty settings (``check_options``)."""
    spec = get_spec(name)
    options = check_options(name, options)
    used: set[str] = set()
    return {
        split: draw_unique(
            spec.make_sample,
            name,
            split,
            n,
            split_rng(seed, name, split),
            used,
            image_size,
            spec.family,
            spec.metric,
            options,
        )
        for split, n in sizes.items()
    }


__all__ = [
    "FAMILIES",
    "METRICS",
    "SPLIT_ORDER",
    "SUITE",
    "SuiteSpec",
    "check_options",
    "content_key",
    "draw_unique",
    "generate_splits",
    "get_spec",
    "split_rng",
]
