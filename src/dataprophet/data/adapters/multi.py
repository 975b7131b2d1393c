"""Adapters that flatten rows holding several question-answer pairs into one record each.

The paper's pool sizes count QA pairs (OCR-VQA ~1M from 207K images), so rows are flattened
before sampling. A record's id ends in the pair's position in the row, which keeps ids stable
when an empty pair is skipped.
"""

from __future__ import annotations

import io
import json
import re

from dataprophet.data.adapters.common import RowContext, answer_list, stringified_list, text
from dataprophet.data.adapters.single import extract

# the_cauldron's builder appended an instruction asking for a short answer on its own line
# (e.g. "Give a very brief answer."). Removed only when it is the last line, follows a real
# question, has no '?', is short, and asks for brevity; anything else is kept.
DEFAULT_PROMPT_REGEX = (
    r"(?i)\b(brief|briefly|short|concise|concisely|succinct|succinctly|terse|compact|brevity|"
    r"single word|one word|word or phrase|a few words)\b"
)
MAX_PROMPT_CHARS = 80
# Short answers (at most this many words) get the builder's re-casing and final period undone.
MAX_CLEANED_WORDS = 5


def _pairs(ctx: RowContext, row_id: str, image_value, pairs) -> list[dict]:
    """Records from (qa_index, question, answers) triples; the image is read once per row."""
    pairs = [(i, q, a) for i, q, a in pairs if q and a]
    if not pairs:
        return []
    image = ctx.image(image_value)
    return [ctx.record(row_id, i, image, q, a) for i, q, a in pairs]


def ocr_vqa(row: dict, index: int, ctx: RowContext) -> list[dict]:
    """Parallel ``questions`` / ``answers`` lists, one image."""
    questions = ctx.column(row, "question") or []
    answers = ctx.column(row, "answers") or []
    if len(questions) != len(answers):
        raise ctx.fail(
            f"row {index}: {len(questions)} questions but {len(answers)} answers "
            f"({ctx.where('question')}, {ctx.where('answers')})"
        )
    triples = ((i, text(q), answer_list(a)) for i, (q, a) in enumerate(zip(questions, answers)))
    return _pairs(ctx, ctx.row_id(row, index), ctx.column(row, "image"), triples)


def parse_qa_text(value: str):
    """The QA list held as text: JSON, or the text of a Python list of dicts (single-quoted, as
    ``str()`` writes one), the form in which Sujet-Finance's ``qa_pairs`` is stored and which
    JSON cannot read. Read with ``ast.literal_eval`` (literals only, nothing is executed).
    A ValueError says why neither reading works."""
    import ast

    try:
        return json.loads(value)
    except json.JSONDecodeError as json_error:
        try:
            return ast.literal_eval(value.strip())
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError) as exc:
            raise ValueError(
                f"neither JSON ({json_error.msg}) nor a Python literal ({type(exc).__name__}: {exc})"
            ) from None


def _qa_items(row: dict, ctx: RowContext, index: int) -> list:
    """The list of QA items, parsing its text (Sujet-Finance ``qa_pairs``, ``parse_qa_text``) if needed."""
    value = ctx.column(row, "qa")
    if isinstance(value, str):
        try:
            value = parse_qa_text(value)
        except ValueError as exc:
            raise ctx.fail(f"row {index}: {ctx.where('qa')} holds text that is {exc}") from None
    if isinstance(value, dict):  # {"qa_pairs": [...]}-style wrapper with one list inside
        lists = [v for v in value.values() if isinstance(v, list)]
        value = lists[0] if len(lists) == 1 else [value]
    if not isinstance(value, list):
        raise ctx.fail(f"row {index}: {ctx.where('qa')} is a {type(value).__name__}, expected a list of QA items")
    return value


def qa_list(row: dict, index: int, ctx: RowContext) -> list[dict]:
    """A list of {question, answer} items (TallyQA ``qa``, Sujet-Finance ``qa_pairs``)."""
    container = ctx.fields["qa"]
    triples = []
    for i, item in enumerate(_qa_items(row, ctx, index)):
        question = text(ctx.item(item, "question", container))
        answers = extract(answer_list(ctx.item(item, "answers", container)), ctx.options.get("answer_regex"))
        triples.append((i, question, answers))
    return _pairs(ctx, ctx.row_id(row, index), ctx.column(row, "image"), triples)


def strip_prompt(question: str, pattern: str | None) -> str:
    """Drop a trailing short-answer instruction line (see DEFAULT_PROMPT_REGEX)."""
    if not pattern:
        return question
    head, sep, last = question.rstrip().rpartition("\n")
    line = last.strip()
    if not sep or not head.strip() or "?" in line or len(line) > MAX_PROMPT_CHARS:
        return question
    return head.rstrip() if re.search(pattern, line) else question


def clean_answer(answer: str) -> str:
    """Undo the builder's 'Capitalised.' form on short answers: drop one final period (not
    an abbreviation's) and lowercase when the text is exactly in capitalize() form."""
    if len(answer.split()) > MAX_CLEANED_WORDS:
        return answer
    if answer.endswith(".") and "." not in re.sub(r"(?<=\d)\.(?=\d)", "", answer[:-1]):
        answer = answer[:-1].rstrip()
    if answer[:1].isupper() and answer == answer.capitalize():
        answer = answer.lower()
    return answer


def the_cauldron(row: dict, index: int, ctx: RowContext) -> list[dict]:
    """the_cauldron: ``images`` list and ``texts`` list of {user, assistant, source}."""
    container = ctx.fields["qa"]
    pattern = ctx.options.get("prompt_regex")
    triples = []
    for i, item in enumerate(ctx.column(row, "qa") or []):
        question = strip_prompt(text(ctx.item(item, "question", container)), pattern)
        answers = answer_list(ctx.item(item, "answers", container))
        if ctx.options.get("clean_answers"):
            answers = answer_list([clean_answer(a) for a in answers])
        triples.append((i, question, extract(answers, ctx.options.get("answer_regex"))))
    return _pairs(ctx, ctx.row_id(row, index), ctx.column(row, "image"), triples)


_IMAGE_TOKEN = re.compile(r"<image>\s*")
_REGION_TOKEN = re.compile(r"<mask>(\s*<depth>)?")


def _draw_regions(data: bytes, boxes) -> bytes:
    """Draw numbered boxes so a plain VLM can see which region 'Region [k]' means."""
    from PIL import Image, ImageDraw

    with Image.open(io.BytesIO(data)) as img:
        fmt = img.format or "PNG"
        img = img.convert("RGB")
    draw = ImageDraw.Draw(img)
    for k, box in enumerate(boxes or []):
        x0, y0, x1, y1 = (float(v) for v in list(box)[:4])
        draw.rectangle([x0, y0, x1, y1], outline=(255, 0, 0), width=2)
        draw.text((x0 + 2, y0 + 1), str(k), fill=(255, 0, 0))
    buf = io.BytesIO()
    img.save(buf, format="JPEG" if fmt == "JPEG" else "PNG", quality=95)
    return buf.getvalue()


_NAMED_REGION = re.compile(r"Region \[\d+\]")


def _clean_turn(value: str) -> str:
    """Remove ``<image>``; a ``<mask> <depth>`` placeholder is dropped when the text already
    names its regions ('Region [0] <mask> <depth>'), else it becomes 'Region [k]', numbered
    from 0 within the turn (each flattened QA must stand alone). Both conventions are
    handled because the released text format is unverified."""
    value = _IMAGE_TOKEN.sub("", value)
    if _NAMED_REGION.search(value):
        value = _REGION_TOKEN.sub("", value)
    else:
        counter = iter(range(10**6))
        value = _REGION_TOKEN.sub(lambda _m: f"Region [{next(counter)}]", value)
    return " ".join(value.split())


def open_spatial(row: dict, index: int, ctx: RowContext) -> list[dict]:
    """``conversations`` of {from, value} turns: each human turn followed by a gpt turn is one
    QA (see ``_clean_turn``). With ``options.draw_regions`` the ``regions`` boxes
    (x0, y0, x1, y1 in pixels, unverified) are drawn and numbered on the image."""
    container = ctx.fields["qa"]
    human, gpt = ctx.options["human"], ctx.options["gpt"]
    triples, qa_index, pending = [], 0, None
    for turn in stringified_list(ctx.column(row, "qa"), ctx, "qa") or []:
        speaker = text(ctx.item(turn, "speaker", container))
        value = _clean_turn(text(ctx.item(turn, "text", container)))
        if speaker == human:
            pending = value
        elif speaker == gpt and pending is not None:
            triples.append((qa_index, pending, answer_list(value)))
            qa_index, pending = qa_index + 1, None
    triples = [t for t in triples if t[1] and t[2]]
    if not triples:
        return []
    boxes = stringified_list(ctx.optional(row, "regions"), ctx, "regions")
    draw = (lambda data: _draw_regions(data, boxes)) if ctx.options.get("draw_regions") and boxes else None
    image = ctx.image(ctx.column(row, "image"), transform=draw)
    rid = ctx.row_id(row, index)
    return [ctx.record(rid, i, image, q, a) for i, q, a in triples]
