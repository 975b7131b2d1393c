"""The generation prompt, the validation of a generator's reply, and the token estimate.

The prompt is the project's own text written to the constraints the paper lists (appendix
A.4; ``docs/paper.md``, section 2.4): pairs grounded only in what the image shows, questions
that need a look at the picture, exactly ``n`` diverse pairs, short answers (a few words or
a number), no ambiguous or subjective wording, no near-duplicates, no questions about text
too small to read, and one JSON array of ``{"question", "answer"}`` objects with nothing
around it (answers lowercase, numbers as digits). The image follows the text, after an
"Image:" label, as in the paper's template.

Validation (the paper: "non-empty strings and short answers without special tokens"; the
thresholds are ours): a reply must be one JSON array of exactly ``n`` objects (one
markdown code fence around it is tolerated, and ``{"pairs": [...]}`` for structured-output
modes); else the whole reply is rejected. Each item then needs a non-empty question and
answer, an answer of at most ``max_answer_words`` words, no special token of a chat
template, and a question that no earlier item of the reply asked.
"""

from __future__ import annotations

import json
import math
import re

PROMPT = """You are writing visual question answering data about one image. Use only what is \
visible in the image: no outside knowledge and no guessing. Ask questions that need a look at \
the picture and a small inference about it.

Write exactly {n} different question-answer pairs about the image.
- Every question can be answered from the image alone.
- Every answer is short: a few words or a number.
- No ambiguous or subjective wording, and no two questions that ask nearly the same thing.
- Do not ask about text that is too small to read; if no text is legible, ask nothing about text.

Reply with a single JSON array of {n} objects, each {{"question": "...", "answer": "..."}}. \
Write answers in lowercase and numbers as digits. Write nothing before or after the JSON.

Image:"""

# Markers of chat templates and tokenizers that must never reach a training answer.
SPECIAL_TOKEN = re.compile(
    r"<\|[^|<>]{1,40}\|>|</?s>|<image>|</?img>|<IMG_CONTEXT>|\[/?INST\]|<unk>|<pad>|<start_of_turn>|<end_of_turn>"
)
FENCE = re.compile(r"^```(?:json|JSON)?\s*\n(.*)\n```$", re.S)

# Expected output tokens per pair (a short question and answer in JSON), for the estimate.
TOKENS_PER_PAIR = 30


def prompt_text(n: int) -> str:
    return PROMPT.format(n=n)


def _norm(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split())


def parse_reply(text: str | None, n: int, max_answer_words: int) -> tuple[list[dict], list[dict]]:
    """(valid pairs, rejects) of one reply. A pair: {item, question, answer}; a reject:
    {item (-1 = the whole reply), reason, question, answer}."""

    def whole(reason: str) -> tuple[list, list]:
        return [], [{"item": -1, "reason": reason, "question": "", "answer": (text or "")[:200]}]

    if text is None or not text.strip():
        return whole("empty reply")
    body = text.strip()
    fenced = FENCE.match(body)
    if fenced:
        body = fenced.group(1).strip()
    try:
        data = json.loads(body)
    except json.JSONDecodeError as exc:
        return whole(f"not valid JSON ({exc.msg}, character {exc.pos})")
    if isinstance(data, dict) and set(data) == {"pairs"}:
        data = data["pairs"]
    if not isinstance(data, list):
        return whole(f"JSON {type(data).__name__}, not an array")
    if len(data) != n:
        return whole(f"{len(data)} items, expected {n}")
    pairs, rejects, asked = [], [], {}
    for i, item in enumerate(data):
        q = item.get("question") if isinstance(item, dict) else None
        a = item.get("answer") if isinstance(item, dict) else None
        reason = None
        if not isinstance(item, dict):
            reason = "item is not an object"
        elif not isinstance(q, str) or not q.strip():
            reason = "empty question"
        elif not isinstance(a, (str, int, float)) or isinstance(a, bool) or not str(a).strip():
            reason = "empty answer"
        else:
            a = str(a).strip()
            q = q.strip()
            if SPECIAL_TOKEN.search(q) or SPECIAL_TOKEN.search(a):
                reason = "special token"
            elif len(a.split()) > max_answer_words:
                reason = f"answer longer than {max_answer_words} words"
            elif _norm(q) in asked:
                reason = f"repeats the question of item {asked[_norm(q)]}"
        if reason is None:
            asked[_norm(q)] = i
            pairs.append({"item": i, "question": q, "answer": a})
        else:
            rejects.append({"item": i, "reason": reason, "question": str(q or "")[:200], "answer": str(a or "")[:200]})
    return pairs, rejects


def image_tokens(width: int, height: int, detail: str) -> int:
    """Input tokens of one image by OpenAI's published tile rule for its vision models
    (85 for "low"; else 85 + 170 per 512-px tile after fitting into 2048 px and scaling the
    short side to 768). An estimate: other providers count differently."""
    if detail == "low":
        return 85
    scale = min(1.0, 2048 / max(width, height))
    w, h = width * scale, height * scale
    scale = min(1.0, 768 / min(w, h))
    w, h = w * scale, h * scale
    return 85 + 170 * math.ceil(w / 512) * math.ceil(h / 512)


def estimate_tokens(n_requests: int, n: int, width: int, height: int, detail: str, max_tokens: int) -> dict:
    """Token estimate of ``n_requests`` requests: input (prompt text at ~4 characters a token,
    plus the image), expected output and the output cap."""
    text = math.ceil(len(prompt_text(n)) / 4) + 10  # + message framing
    per_input = text + image_tokens(width, height, detail)
    return {
        "requests": n_requests,
        "input_tokens": n_requests * per_input,
        "output_tokens_expected": n_requests * n * TOKENS_PER_PAIR,
        "output_tokens_at_most": n_requests * max_tokens,
    }
