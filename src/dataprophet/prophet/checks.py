"""What ``dataprophet score`` checks beyond the data contract, and the warnings it gives.

Refusals (before the base model is loaded; the tokenizer and processor only are read):

* a target with fewer than ``MIN_TARGET_SAMPLES`` samples (``data.userdata``);
* a question whose prompt (chat template, image tokens, question and answer) is longer than
  the model's context (``max_position_embeddings`` of its language model).

Warnings (printed to stderr as ``warning: ...`` and kept in the ranking's ``warnings``
column, one ``; ``-separated text per source), each a sign that a source's M may not mean
what it seems:

* ``outlier_warnings``: a source whose M, perplexity, similarity or diversity lies more
  than ``OUTLIER_ORDERS`` orders of magnitude (a factor of 100) above the median of the
  other sources' values. Real candidate sources differ by a few times in each factor; a factor of
  100 has so far always meant broken text or images (a perplexity of 3.4e8 for questions the
  tokenizer cannot read, an M of 3630 for answers cut to one character).
* ``byte_split_share``: text the tokenizer splits into single bytes for more than
  ``BYTE_SPLIT_SHARE`` of its characters. A byte-level tokenizer has no unknown token: a
  script it never learnt (emoji, CJK, Arabic for the mini suite's tokenizer) comes out as
  one token per UTF-8 byte, and its perplexity is that of random bytes.
* ``shared_rows``: a source that holds rows of the target itself (the same image bytes and
  question), which would be scored as near-perfect similarity to the test set.
"""

from __future__ import annotations

import hashlib
import math
from pathlib import Path

import numpy as np
import pandas as pd

OUTLIER_ORDERS = 2.0
# Columns of the ranking checked for outliers (M and its positive factors).
OUTLIER_COLUMNS = ("M", "ppl_source", "qsim", "asim", "isim", "diversity")
BYTE_SPLIT_SHARE = 0.5
# A warning also goes with a target whose estimates rest on fewer samples than this.
FEW_TARGET_SAMPLES = 20


def context_limit(model_dir: str | Path) -> int | None:
    """The language model's context in tokens (None when the config does not say)."""
    from transformers import AutoConfig

    config = AutoConfig.from_pretrained(model_dir, trust_remote_code=False)
    for part in (getattr(config, "text_config", None), getattr(config, "llm_config", None), config):
        limit = getattr(part, "max_position_embeddings", None) if part is not None else None
        if limit:
            return int(limit)
    return None


def check_context(processor, frame: pd.DataFrame, where: str, limit: int | None) -> None:
    """ValueError naming ``where`` and the row when a prompt does not fit the context.

    Text lengths are counted for every row; the fixed part (chat template and image tokens)
    is measured once, on the row with the longest text, with the real encoding."""
    from dataprophet.io.contract import decode_image
    from dataprophet.model.encoding import encode_example

    if limit is None or frame.empty:
        return
    tokenizer = processor.tokenizer
    questions = frame["question"].tolist()
    answers = [a[0] for a in frame["answers"]]
    lengths = np.array(
        [len(q) + len(a) for q, a in zip(
            tokenizer(questions, add_special_tokens=False)["input_ids"],
            tokenizer(answers, add_special_tokens=False)["input_ids"],
        )]
    )  # fmt: skip
    longest = int(lengths.argmax())
    row = frame.iloc[longest]
    full = len(encode_example(processor, decode_image(row["image"]), row["question"], row["answers"][0])["input_ids"])
    overhead = full - int(lengths[longest])
    over = np.flatnonzero(lengths + overhead > limit)
    if over.size:
        first = int(over[0])
        raise ValueError(
            f"{where}: row {first + 1} (id={frame.iloc[first]['id']!r}): its prompt takes "
            f"{int(lengths[first]) + overhead} tokens (question and answer {int(lengths[first])}, image and chat "
            f"template {overhead}), past the model's context of {limit}; {over.size} row(s) are too long. "
            f"Shorten those questions or leave them out"
        )


def byte_split_share(tokenizer, texts: list[str]) -> float:
    """Share of the non-space characters of ``texts`` that the tokenizer cuts into several
    tokens each (one per byte): 0 for text it knows, near 1 for a script it never saw."""
    split = total = 0
    for text in texts:
        encoded = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
        spans: dict[tuple[int, int], int] = {}
        for start, end in encoded["offset_mapping"]:
            spans[(start, end)] = spans.get((start, end), 0) + 1
        total += sum(not ch.isspace() for ch in text)
        split += sum(
            sum(not ch.isspace() for ch in text[start:end])
            for (start, end), count in spans.items()
            if count > 1 and end - start == 1
        )
    return split / total if total else 0.0


def text_warning(tokenizer, name: str, frame: pd.DataFrame) -> str | None:
    """The byte-split warning for one dataset's questions and answers, or None."""
    if not getattr(tokenizer, "is_fast", False):
        return None  # offsets need a fast tokenizer; every model of this workflow has one
    texts = frame["question"].tolist() + [a[0] for a in frame["answers"]]
    share = byte_split_share(tokenizer, texts)
    if share <= BYTE_SPLIT_SHARE:
        return None
    return (
        f"{share:.0%} of the characters of {name!r}'s questions and answers are split by the tokenizer into "
        f"single bytes (a script it does not know); its perplexity and text similarities are not meaningful"
    )


def row_keys(frame: pd.DataFrame) -> set[tuple[str, str]]:
    return {(hashlib.sha256(bytes(img)).hexdigest(), str(q)) for img, q in zip(frame["image"], frame["question"])}


def shared_rows(source: pd.DataFrame, target_keys: set[tuple[str, str]]) -> int:
    """How many of the target's rows (image bytes and question) the source holds."""
    return len(row_keys(source) & target_keys)


def outlier_warnings(ranking: pd.DataFrame) -> dict[str, list[str]]:
    """{source: warnings} for values more than ``OUTLIER_ORDERS`` orders of magnitude above
    the median of the other sources' values (positive values only; needs two sources).

    Only values above are named: every factor raises M, so a broken value that is too large
    is what puts a junk source first, while one too small sends it to the bottom, where it
    misleads no one (and a single outlier above would otherwise make every ordinary source
    look "below" a median that it pulls up)."""
    out: dict[str, list[str]] = {}
    if len(ranking) < 2:
        return out
    for column in OUTLIER_COLUMNS:
        values = ranking.set_index("source")[column].astype(float)
        for source, value in values.items():
            others = values.drop(source)
            others = others[others > 0]
            if not (value > 0 and len(others)) or not math.isfinite(value):
                continue
            reference = float(others.median())
            orders = math.log10(value / reference)
            if orders > OUTLIER_ORDERS:
                out.setdefault(source, []).append(
                    f"{column} {value:.4g} is {orders:.1f} orders of magnitude above the median of the other "
                    f"sources ({reference:.4g}); check its text and images"
                )
    return out
