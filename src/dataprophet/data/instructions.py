"""Answer-format instructions: the line appended to every question of a dataset.

A general instruction model answers a bare question in a sentence, which exact match,
relaxed accuracy and ANLS score near zero. The evaluation harnesses therefore append a
per-task instruction to the question (lmms-eval's ``post_prompt``: ChartQA "Answer the
question with a single word.", DocVQA "Answer the question using a single word or
phrase."). Here every dataset gets one, by its metric unless its registry file says
``instruction:``. The contract tables keep it apart from the question, in an ``instruction``
column (``prepare``, ``generate``, ``synthesize``), and it is joined to the question only where
a prompt is built (``prompt_texts``: training, evaluation, GRPO and the answer-perplexity
factor), so every model sees the same prompt while the similarity factors embed the bare
question: one line shared by ten datasets would otherwise raise their question similarity.
A table without the column (the mini suite with instructions off, user data) prompts with the
question alone.

Multiple choice asks for the option's text, not its letter as lmms-eval's multiple-choice
tasks do, because the fine-tuning target of a multiple-choice row is the correct option's
text and training and evaluation must share one prompt; evaluation accepts a letter too
(``answer_scoring.extract_answer``).
"""

from __future__ import annotations

SHORT = "Answer the question using a single word or phrase."

# The default instruction of each metric; "" = none (free-text generation is asked for in
# the question itself, e.g. "Describe the chart.").
BY_METRIC: dict[str, str] = {
    "exact_match": SHORT,
    "anls": SHORT,
    "token_f1": SHORT,
    "vqa_accuracy": SHORT,
    "relaxed_numeric": SHORT,
    "spatial_ratio": SHORT,
    "relaxed_accuracy": "Answer the question with a single word.",
    "multiple_choice": "Answer with the correct option's text from the given choices directly.",
    "rouge_l": "",
    "bleu": "",
}


def instruction_for(metric: str, override: str | None = None) -> str:
    """The instruction for a dataset scored by ``metric``: ``override`` when given (a
    registry file's ``instruction:``; "" means none), else the metric's default."""
    if override is not None:
        return str(override).strip()
    if metric not in BY_METRIC:
        raise KeyError(f"no default instruction for metric {metric!r}; known: {', '.join(sorted(BY_METRIC))}")
    return BY_METRIC[metric]


def with_instruction(question: str, instruction: str) -> str:
    """``question``, then a newline and ``instruction`` (as lmms-eval joins its post-prompt);
    unchanged when the instruction is empty or already ends the question."""
    question = str(question).rstrip()
    if not instruction or question.endswith(instruction):
        return question
    return f"{question}\n{instruction}"


def prompt_texts(frame) -> list[str]:
    """The prompt text of each contract row (a DataFrame): its question, then its
    ``instruction`` when the table has that column and the row's is not empty."""
    questions = [str(q) for q in frame["question"]]
    if "instruction" not in frame.columns:
        return questions
    # a row without one holds None, or NaN after concatenating tables with and without the column
    return [with_instruction(q, i if isinstance(i, str) else "") for q, i in zip(questions, frame["instruction"])]


__all__ = ["BY_METRIC", "SHORT", "instruction_for", "prompt_texts", "with_instruction"]
