"""Adapters for sources with one question-answer pair per row.

ChartQA, DocVQA, Visual-CoT, MapQA (official JSON), GeomVerse (official archive),
Chart2Text, ScreenQA and A-OKVQA differ only in column names and in how the answer is stored,
so they share ``_single`` and differ in small answer-reading functions.
"""

from __future__ import annotations

import itertools
import re
import string

from dataprophet.data.adapters.common import RowContext, answer_list, stringified_list, text

# Lists up to this long also get every other ordering as a reference, so exact_match becomes
# order-insensitive (4! = 24 references at most); longer lists keep the sorted order only.
MAX_PERMUTED_ITEMS = 4


def unordered_answers(value) -> list[str]:
    """References for a list-valued answer (MapQA): sorted items joined by ', ' first."""
    if not isinstance(value, (list, tuple)):
        return answer_list(value)
    items = [text(v) for v in value if text(v)]
    if len(items) <= 1:
        return items
    canonical = sorted(items)
    refs = [", ".join(canonical)]
    if len(items) <= MAX_PERMUTED_ITEMS:
        for perm in itertools.permutations(canonical):
            joined = ", ".join(perm)
            if joined not in refs:
                refs.append(joined)
    return refs


def extract(answers: list[str], pattern: str | None) -> list[str]:
    """Apply ``options.answer_regex`` (group 1 if any, else the match); drop non-matches."""
    if not pattern:
        return answers
    regex = re.compile(pattern)
    out = []
    for ans in answers:
        m = regex.search(ans)
        if m:
            value = (m.group(1) if regex.groups else m.group(0)).strip()
            if value and value not in out:
                out.append(value)
    return out


def _read_answers(row: dict, ctx: RowContext) -> list[str]:
    value = ctx.column(row, "answers")
    if ctx.options.get("list_answer") == "unordered":
        answers = unordered_answers(value)
    else:
        answers = answer_list(value)
    return extract(answers, ctx.options.get("answer_regex"))


def _single(
    row: dict, index: int, ctx: RowContext, question: str, answers: list[str], choices: list[str] | None = None
) -> list[dict]:
    """One record, or none when question or answer is empty (skipped, never invented)."""
    if not question or not answers:
        return []
    image = ctx.image(ctx.column(row, "image"))
    return [ctx.record(ctx.row_id(row, index), 0, image, question, answers, choices)]


def qa(row: dict, index: int, ctx: RowContext) -> list[dict]:
    """Generic row: ``question``, ``answers`` (str, number or list of references), ``image``."""
    return _single(row, index, ctx, text(ctx.column(row, "question")), _read_answers(row, ctx))


# The box requests Visual-CoT appends to each question (its tools/convert_data_to_llava_format.py:
# the base and the step-by-step prompt); a plain VQA question ends before them.
BOX_REQUESTS = (
    " Please think step by step and provide the bounding box coordinate of the region",
    " Please provide the bounding box coordinate of the region",
)


def visual_cot_question(value: str) -> str:
    """A Visual-CoT first turn as a plain question: the ``<image>`` token and the box
    request (everything from it on) removed."""
    question = text(value).replace("<image>", "").strip()
    for request in BOX_REQUESTS:
        cut = question.find(request.strip())
        if cut >= 0:
            question = question[:cut]
    return question.strip()


def visual_cot_benchmark(row: dict, index: int, ctx: RowContext) -> list[dict]:
    """A Visual-CoT benchmark row ``{dataset, split, question_id, image: [path,
    "path###[box]"], conversations}``: the question is the first human turn without the box
    request, the answer the last gpt turn (a sentence; the second turn is the box, the third
    the cropped image). The image is the first path, the whole picture (``###`` and the box
    after it, if present, are dropped), relative to ``image_root`` as ``cot/<dataset>/<file>``."""
    container = ctx.fields["qa"]
    turns = stringified_list(ctx.column(row, "qa"), ctx, "qa") or []
    said = [(text(ctx.item(t, "speaker", container)), text(ctx.item(t, "text", container))) for t in turns]
    human = [v for who, v in said if who == ctx.options["human"]]
    gpt = [v for who, v in said if who == ctx.options["gpt"]]
    if not human or not gpt:
        return []
    images = ctx.column(row, "image")
    first = images[0] if isinstance(images, (list, tuple)) and images else images
    if isinstance(first, str):
        first = first.split("###")[0]
    question, answers = visual_cot_question(human[0]), answer_list(gpt[-1])
    if not question or not answers:
        return []
    return [ctx.record(ctx.row_id(row, index), 0, ctx.image(first), question, answers)]


def chart2text(row: dict, index: int, ctx: RowContext) -> list[dict]:
    """The caption is the answer to a fixed question (``options.question``), because
    Chart2Text has no questions; the paper does not say which prompt it used."""
    return _single(row, index, ctx, text(ctx.options["question"]), answer_list(ctx.column(row, "answers")))


def screenqa(row: dict, index: int, ctx: RowContext) -> list[dict]:
    """``ground_truth`` is a list of {full_answer, ui_elements} (several annotators) or, in the
    short-answer variant, a list of str; each annotator's answer is one reference."""
    key = ctx.options["answer_key"]
    answers: list[str] = []
    for item in ctx.column(row, "answers") or []:
        value = item.get(key) if isinstance(item, dict) else item
        if isinstance(item, dict) and key not in item:
            raise ctx.fail(
                f"key {key!r} (options.answer_key in {ctx.config_file}) not found in a "
                f"ground_truth item; keys are {sorted(item)}"
            )
        for ans in answer_list(value):
            if ans not in answers:
                answers.append(ans)
    return _single(row, index, ctx, text(ctx.column(row, "question")), answers)


def a_okvqa(row: dict, index: int, ctx: RowContext) -> list[dict]:
    """Multiple choice: the target is the text of ``choices[correct_choice_idx]``. The
    ``direct_answers`` stay out of the target (appended as extra references only when
    ``options.keep_direct_answers``); choices are lettered into the question by default."""
    choices = [text(c) for c in ctx.column(row, "choices")]
    idx = ctx.column(row, "correct_choice_idx")
    if idx is None:  # the test split has no public answers
        return []
    if not isinstance(idx, int) or not 0 <= idx < len(choices):
        raise ctx.fail(
            f"correct_choice_idx {idx!r} is not an index into {len(choices)} choices "
            f"({ctx.where('correct_choice_idx')})"
        )
    answers = [choices[idx]]
    if ctx.options.get("keep_direct_answers"):
        direct = stringified_list(ctx.optional(row, "direct_answers") or [], ctx, "direct_answers")
        answers += [a for a in answer_list(direct) if a != choices[idx]]
    question = text(ctx.column(row, "question"))
    if question and ctx.options.get("choices_in_question", True):
        letters = string.ascii_uppercase
        question += "\n" + "\n".join(f"{letters[i]}. {c}" for i, c in enumerate(choices))
    return _single(row, index, ctx, question, answers, choices)
