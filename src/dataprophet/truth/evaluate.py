"""Stage ``evaluate``: batched greedy generation over every target, each scored by its own metric.

One job evaluates one model (the base, or one fine-tune) on all targets, loading it once.
Predictions are kept beside the scores so any number in a table can be audited back to the
generated strings. Reproduce: ``snakemake results/mini/eval/base/scores.json`` (the rule
``evaluate`` calls ``dataprophet evaluate``).
"""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd
import torch

from dataprophet.answer_scoring import aggregate, score_reply
from dataprophet.data.instructions import prompt_texts
from dataprophet.io.atomic import atomic_path, write_json
from dataprophet.io.contract import decode_image, read_table
from dataprophet.io.progress import batch_starts
from dataprophet.model.encoding import chat_prompt, end_of_turn_ids
from dataprophet.model.modeling import load_base, load_finetuned, load_processor, set_threads
from dataprophet.settings import EvalSettings


@torch.no_grad()
def generate_answers(
    model, processor, frame: pd.DataFrame, settings: EvalSettings, max_new_tokens: int | None = None
) -> list[str]:
    """Greedy answers for contract rows, in row order (left padding, batched)."""
    tokenizer = processor.tokenizer
    tokenizer.padding_side = "left"
    device = next(model.parameters()).device
    dtype = next(model.parameters()).dtype
    answers: list[str] = []
    desc = f"generate {frame['dataset'].iloc[0]}" if len(frame) else "generate"
    for start in batch_starts(len(frame), settings.batch_size, desc):
        batch = frame.iloc[start : start + settings.batch_size]
        images = [decode_image(b) for b in batch["image"]]
        prompts = [chat_prompt(processor, q) for q in prompt_texts(batch)]  # question + instruction
        inputs = processor(images=images, text=prompts, return_tensors="pt", padding=True)
        inputs = {k: v.to(device) for k, v in inputs.items()}
        inputs["pixel_values"] = inputs["pixel_values"].to(dtype)
        out = model.generate(
            **inputs,
            max_new_tokens=max_new_tokens or settings.max_new_tokens,
            do_sample=False,
            eos_token_id=end_of_turn_ids(tokenizer),
            pad_token_id=tokenizer.pad_token_id,
        )
        new_tokens = out[:, inputs["input_ids"].shape[1] :]
        answers.extend(t.strip() for t in tokenizer.batch_decode(new_tokens, skip_special_tokens=True))
    return answers


def evaluate_targets(model, processor, targets: dict[str, pd.DataFrame], settings: EvalSettings):
    """Score one model on each target; returns (predictions frame, {target: score}, seconds)."""
    model.eval()
    rows, scores, seconds = [], {}, {}
    for name, frame in targets.items():
        started = time.time()
        metric = frame["metric"].iloc[0]
        replies = generate_answers(model, processor, frame, settings, settings.tokens_for(metric))
        per_sample = []
        for rec, reply in zip(frame.to_dict("records"), replies):
            choices = list(rec["choices"]) if rec["choices"] is not None else None
            pred, value = score_reply(rec["metric"], reply, list(rec["answers"]), choices)
            per_sample.append(value)
            rows.append(
                {
                    "target": name,
                    "id": rec["id"],
                    "metric": rec["metric"],
                    "reply": reply,
                    "prediction": pred,
                    "answers": list(rec["answers"]),
                    "score": value,
                }
            )
        scores[name] = aggregate(metric, per_sample)
        seconds[name] = round(time.time() - started, 3)
    return pd.DataFrame(rows), scores, seconds


def evaluate(
    name: str,
    base: Path,
    finetuned: Path | None,
    targets: list[Path],
    predictions: Path,
    scores: Path,
    settings: EvalSettings,
    threads: int = 1,
) -> dict[str, float]:
    """Evaluate the base (``finetuned`` None) or a fine-tune of it on every target table.

    Writes every generated reply, the answer extracted from it (``scoring.extract_answer``)
    and its score to ``predictions`` (parquet: target, id, metric, reply, prediction,
    answers, score) and
    ``{"model": name, "scores": {target: score}, "seconds": ...}`` to ``scores`` (JSON).
    """
    set_threads(threads)
    tables = {Path(p).stem: read_table(p) for p in targets}
    processor = load_processor(base, settings.max_tiles)
    if finetuned is None:
        model = load_base(base, settings.dtype)
    else:
        model = load_finetuned(base, finetuned, settings.dtype)
    frame, per_target, seconds = evaluate_targets(model, processor, tables, settings)
    with atomic_path(predictions) as tmp:
        frame.to_parquet(tmp, index=False)
    write_json({"model": name, "scores": per_target, "seconds": seconds}, scores)
    print(f"evaluated {name}: mean score {sum(per_target.values()) / len(per_target):.3f}")
    return per_target
