"""Stage ``synthesize``: one dataset's synthetic pool, written by generator models about its
train images (the paper's Table 3, right half).

The first ``images`` rows of the train table (0 = all; the paper: the 20K subset) are split
into equal disjoint shares, one per generator, by a seeded permutation. Each image gets one
request for ``pairs_per_image`` pairs (``dataprophet.synthetic.pairs``); each reply is
validated, and each pair kept becomes one contract row (id ``<image id>-<generator>-<k>``,
the source's dataset, family and metric (exact match for a multiple-choice source: a pair
has no options), the image, the pair, and that metric's answer-format instruction in the ``instruction`` column
unless ``instructions`` is off) with two more columns:
``generator`` and ``source_image``. Rejected replies and pairs go to ``rejects`` (CSV) with
their reason, and the log counts them by reason.

Procedural generators (mini) write in-process. API generators (``kind: openai``) go through
``dataprophet.synthetic.client``: cached, retried, rate-limited. Before anything is sent the
stage prints how many requests it would send and an estimate of their tokens; with
``--dry_run true`` it stops there, and without ``--send true`` (config ``synthetic.send: true``) it
stops there with an error, so nothing is paid for by accident.
Reproduce: ``snakemake results/mini/data/synthetic/chart_bar.parquet`` (the rule
``synthesize`` calls ``dataprophet synthesize``).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd

from dataprophet.data.instructions import instruction_for
from dataprophet.io.atomic import write_csv
from dataprophet.io.contract import decode_image, read_table, write_table
from dataprophet.settings import SynthesizeSettings
from dataprophet.synthetic.client import ApiGenerator, GenerationError, ReplyCache, api_key, image_sha
from dataprophet.synthetic.pairs import estimate_tokens, parse_reply, prompt_text
from dataprophet.synthetic.procedural import ProceduralGenerator

EXTRA = ("generator", "source_image")
# A generated pair is a free-form short answer with no options, so a source scored by
# multiple choice gives its pairs exact match (what the RL reward and any evaluation use).
METRIC_WITHOUT_CHOICES = {"multiple_choice": "exact_match"}
REJECT_COLUMNS = ("source_image", "generator", "item", "reason", "question", "answer")


def split_images(ids: list[str], names: list[str], seed: int) -> dict[str, list[str]]:
    """Disjoint, equal (up to one) shares of ``ids``, one per generator, by a seeded permutation."""
    order = np.random.default_rng(seed).permutation(len(ids))
    return {name: [ids[i] for i in sorted(order[k :: len(names)])] for k, name in enumerate(names)}


def plan(frame: pd.DataFrame, settings: SynthesizeSettings, cache: Path | None) -> list[dict]:
    """Per generator: its image ids, how many are cached, and the token estimate of the rest."""
    shares = split_images(frame["id"].astype(str).tolist(), [g.name for g in settings.generators], settings.seed)
    images = dict(zip(frame["id"].astype(str), frame["image"]))
    prompt = prompt_text(settings.pairs_per_image)
    rows = []
    for g in settings.generators:
        ids = shares[g.name]
        cached = 0
        if g.kind == "openai":
            if cache is None:
                raise ValueError(f"generator {g.name!r} calls an API: give --cache, the folder of its reply cache")
            store = ReplyCache(cache, g, prompt)
            cached = sum(store.path(image_sha(images[i])).exists() for i in ids)
        to_send = len(ids) - cached if g.kind == "openai" else 0
        width, height = decode_image(images[ids[0]]).size if ids else (0, 0)
        estimate = estimate_tokens(to_send, settings.pairs_per_image, width, height, g.detail, g.max_tokens)
        rows.append({"generator": g, "ids": ids, "cached": cached, **estimate})
    return rows


def describe(dataset: str, planned: list[dict]) -> str:
    lines = []
    for p in planned:
        g = p["generator"]
        if g.kind == "procedural":
            lines.append(f"{dataset} {g.name}: {len(p['ids'])} images, procedural (no requests)")
            continue
        lines.append(
            f"{dataset} {g.name} ({g.model} at {g.base_url}): {len(p['ids'])} images, {p['cached']} cached, "
            f"{p['requests']} requests to send, about {p['input_tokens']:,} input tokens and "
            f"{p['output_tokens_expected']:,} output tokens (at most {p['output_tokens_at_most']:,})"
        )
    return "\n".join(lines)


def rows_of(source: dict, generator: str, reply: str, settings: SynthesizeSettings) -> tuple[list[dict], list[dict]]:
    """Contract rows and rejects of one reply about one source row."""
    pairs, rejects = parse_reply(reply, settings.pairs_per_image, settings.max_answer_words)
    sid = str(source["id"])
    metric = METRIC_WITHOUT_CHOICES.get(source["metric"], source["metric"])
    instruction = instruction_for(metric) if settings.instructions else ""
    rows = [
        {
            "id": f"{sid}-{generator}-{p['item']}",
            "dataset": source["dataset"],
            "family": source["family"],
            "image": source["image"],
            "question": p["question"],
            "instruction": instruction,
            "answers": [p["answer"]],
            "choices": None,
            "metric": metric,
            "generator": generator,
            "source_image": sid,
        }
        for p in pairs
    ]
    return rows, [{"source_image": sid, "generator": generator, **r} for r in rejects]


def synthesize(
    dataset: str, train: Path, out: Path, rejects: Path, cache: Path | None, settings: SynthesizeSettings
) -> dict:
    """Write ``dataset``'s synthetic pool to ``out`` and its rejects to ``rejects``; returns the
    counts (images, pairs kept, rejects by reason)."""
    frame = read_table(train)
    if settings.images:
        if settings.images > len(frame):
            raise ValueError(f"{train}: {settings.images} images asked, the table holds {len(frame)}")
        frame = frame.iloc[: settings.images]
    if len(frame) < len(settings.generators):
        raise ValueError(f"{train}: {len(frame)} images cannot be shared by {len(settings.generators)} generators")
    planned = plan(frame, settings, cache)
    print(describe(dataset, planned))
    to_send = sum(p["requests"] for p in planned)
    if settings.dry_run:
        print(f"dry run: nothing sent, nothing written ({to_send} requests would be sent)")
        return {"requests": to_send}
    if to_send and not settings.send:
        raise ValueError(
            f"{dataset}: {to_send} API requests would be sent (estimate above); pass --send true (config "
            f"'synthetic.send: true') to send them, or --dry_run true to only see the estimate"
        )
    for p in planned:  # a missing key stops the stage before any request
        if p["requests"]:
            api_key(p["generator"])
    by_id = {str(r["id"]): r for r in frame.to_dict("records")}
    prompt = prompt_text(settings.pairs_per_image)
    records, rejected, failed = [], [], []
    replies_of = {}
    for p in planned:  # every generator runs even when another one failed: all it gets is cached
        g, ids = p["generator"], p["ids"]
        if g.kind == "procedural":
            writer = ProceduralGenerator(g, settings.seed)
            replies_of[g.name] = {
                i: writer.reply(by_id[i], np.asarray(decode_image(by_id[i]["image"])), settings.pairs_per_image)
                for i in ids
            }
            continue
        try:
            client = ApiGenerator(g, ReplyCache(cache, g, prompt), settings)
            replies_of[g.name] = client.replies({i: by_id[i]["image"] for i in ids}, label=dataset)
        except GenerationError as exc:
            failed.append(str(exc))
    if failed:
        raise GenerationError(f"{dataset}: " + "; ".join(failed))
    for p in planned:
        g, ids = p["generator"], p["ids"]
        replies = replies_of[g.name]
        for i in ids:
            rows, bad = rows_of(by_id[i], g.name, replies[i], settings)
            records += rows
            rejected += bad
    if not records:
        raise ValueError(f"{dataset}: every reply was rejected ({Counter(r['reason'] for r in rejected)})")
    write_table(records, out, extra=EXTRA)
    write_csv(pd.DataFrame(rejected, columns=list(REJECT_COLUMNS)), rejects, index=False)
    reasons = Counter(r["reason"] for r in rejected)
    per_gen = Counter(r["generator"] for r in records)
    print(
        f"{dataset}: {len(records)} pairs kept from {len(frame)} images ({dict(per_gen)}), {len(rejected)} "
        f"rejected -> {out}"
    )
    for reason, n in reasons.most_common():
        print(f"  rejected: {n} x {reason}")
    return {"images": len(frame), "pairs": len(records), "rejects": dict(reasons)}
