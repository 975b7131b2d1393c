"""Judge-free answer scorers for a vision-language model's generated answers.

Every scorer has the signature ``scorer(prediction, answers, choices) -> float`` and
returns a per-sample score in [0, 1]. ``answers`` is the list of reference answers
(annotators, aliases); ``choices`` is the option list and is used only by
``multiple_choice``. Benchmarks name their metric; ``SCORERS`` maps that name to its
scorer, ``score`` dispatches by name and ``aggregate`` turns per-sample scores into the
benchmark score (a plain mean of the per-sample scores, for every metric; for ``bleu``
that is mean sentence BLEU, not corpus BLEU).

The generation metrics wrap maintained packages rather than re-implementing them:
``rouge_l`` is Google's ``rouge-score`` (ROUGE-L F, Porter stemming on) and ``bleu`` is
``sacrebleu`` sentence-level BLEU; both are imported on first use. The other scorers are
implemented here.

Each scorer's docstring states its conventions exactly, because a metric that differs
from the benchmark's own harness by one normalisation step moves the numbers that the
transfer analysis is built on.
"""

from __future__ import annotations

import math
import re
import string
from collections import Counter
from collections.abc import Callable, Sequence
from functools import cache, partial

__all__ = [
    "GENERATION_METRICS",
    "ROUGE_USE_STEMMER",
    "SCORERS",
    "UnknownMetricError",
    "aggregate",
    "anls",
    "bleu",
    "exact_match",
    "extract_answer",
    "levenshtein",
    "metric_names",
    "multiple_choice",
    "normalize_squad",
    "normalize_vqa",
    "parse_number",
    "relaxed_accuracy",
    "relaxed_numeric",
    "rouge_l",
    "score",
    "score_reply",
    "token_f1",
    "vqa_accuracy",
]

Scorer = Callable[[str, list[str], "list[str] | None"], float]

# ROUGE-L with Porter stemming; see ``rouge_l``.
ROUGE_USE_STEMMER = True

# Float slack for tolerance comparisons, so that e.g. 1.05 vs 1.0 at a 5% tolerance
# counts as inside despite (1.05 - 1.0) being 0.05000000000000004 in binary floating point.
_FLOAT_SLACK = 1e-9


# --------------------------------------------------------------------------- helpers


def _references(answers: Sequence[str]) -> list[str]:
    """Validate the reference list: a bare string would silently be scored per character."""
    if isinstance(answers, str):
        raise TypeError("answers must be a list of reference strings, not a single str")
    refs = [str(a) for a in answers]
    if not refs:
        raise ValueError("answers must hold at least one reference")
    return refs


_PUNCT_TABLE = str.maketrans("", "", string.punctuation)
_ARTICLES = re.compile(r"\b(a|an|the)\b")


def normalize_squad(text: str) -> str:
    """SQuAD answer normalisation: lowercase, drop ASCII punctuation, drop a/an/the,
    collapse whitespace. Punctuation removal also removes decimal points ("3.5" -> "35"),
    as in the official SQuAD script."""
    text = str(text).lower().translate(_PUNCT_TABLE)
    text = _ARTICLES.sub(" ", text)
    return " ".join(text.split())


_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_THOUSANDS = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d*)?")


def parse_number(text: str) -> float | None:
    """Parse a bare number, allowing surrounding whitespace, one trailing '%' and
    thousands separators ("1,234.5"); return None for anything else.

    The '%' is dropped, not divided out ("50%" -> 50.0), as in ChartQA's evaluation,
    where references and predictions both write percentages as numbers with a sign.
    Words such as "inf"/"nan" and numbers with units ("3 m") are not numbers here.
    """
    s = str(text).strip()
    if s.endswith("%"):
        s = s[:-1].rstrip()
    if _THOUSANDS.fullmatch(s):
        s = s.replace(",", "")
    if not _NUMBER.fullmatch(s):
        return None
    value = float(s)
    return value if math.isfinite(value) else None


def levenshtein(a: str, b: str) -> int:
    """Edit distance (insert, delete, substitute, each cost 1) by a two-row DP."""
    if len(a) < len(b):
        a, b = b, a
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i]
        for j, cb in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def _f1(overlap: int, n_pred: int, n_ref: int) -> float:
    """F1 (beta = 1) from an overlap count; if either side is empty, 1 only when both are."""
    if n_pred == 0 or n_ref == 0:
        return float(n_pred == n_ref)
    if overlap == 0:
        return 0.0
    precision, recall = overlap / n_pred, overlap / n_ref
    return 2 * precision * recall / (precision + recall)


# --------------------------------------------------------------------------- scorers


def exact_match(prediction: str, answers: list[str], choices: list[str] | None = None) -> float:
    """1.0 if the SQuAD-normalised prediction equals any SQuAD-normalised reference, else 0.0.

    Normalisation is ``normalize_squad`` (lowercase, no punctuation, so a trailing period
    goes too, no articles, single spaces). There is deliberately no number-word mapping:
    "3" and "three" differ, as in the SQuAD script.
    """
    pred = normalize_squad(prediction)
    return float(any(pred == normalize_squad(ref) for ref in _references(answers)))


def _chartqa_float(text: str) -> float | None:
    """A number as lmms-eval's ChartQA task reads one: Python ``float`` of the text, after
    turning a trailing '%' into a division by 100; None when ``float`` refuses it. So
    " 12 ", "1e3", "inf" and "1_000" are numbers and "1,000" and "12 m" are not."""
    try:
        if text.endswith("%"):
            return float(text.rstrip("%")) / 100.0
        return float(text)
    except ValueError:
        return None


def relaxed_accuracy(prediction: str, answers: list[str], choices: list[str] | None = None) -> float:
    """ChartQA relaxed accuracy as lmms-eval's ``chartqa`` task computes it, max over references.

    Both sides are read by ``_chartqa_float`` ("50%" is 0.5, so "50%" matches "0.5" and not
    "50"). When the prediction is a number and the reference a non-zero number, correct
    when |pred - ref| / |ref| <= 0.05, with no slack for float round-off (105 vs 100 is
    correct, 1.05 vs 1.0 is not, as in the harness). Otherwise, including every zero
    reference and every number with thousands separators, correct only on a
    case-insensitive exact match of the strings ("0.0" does not match "0"; "1,000" matches
    "1,000" only). The ChartQA paper states only "within 5% of the gold answer"; where the
    two could differ (percent signs, separators, a zero reference) this follows the harness.
    """
    pred = str(prediction)
    pred_num = _chartqa_float(pred)
    for ref in _references(answers):
        ref_num = _chartqa_float(ref)
        if pred_num is not None and ref_num:
            if abs(pred_num - ref_num) / abs(ref_num) <= 0.05:
                return 1.0
        elif pred.lower() == ref.lower():
            return 1.0
    return 0.0


def relaxed_numeric(
    prediction: str,
    answers: list[str],
    choices: list[str] | None = None,
    *,
    rel_tol: float,
) -> float:
    """Numeric-only tolerance match, max over references.

    Correct when |pred - ref| <= rel_tol * |ref| (inclusive; ref 0 needs pred 0). The
    prediction must be a bare number per ``parse_number`` (no units, no words); anything
    else scores 0, and non-numeric references are skipped. Registered as
    ``relaxed_numeric`` with rel_tol 0.03 (GeomVerse) and as ``spatial_ratio`` with rel_tol
    0.25, which is the same as requiring pred / ref in [0.75, 1.25] (Open-Spatial
    quantitative questions): for ref != 0, |pred/ref - 1| <= 0.25 <=> |pred - ref| <=
    0.25 |ref|, and a negative ratio falls outside both.
    """
    if rel_tol < 0:
        raise ValueError(f"rel_tol must be >= 0, got {rel_tol}")
    refs = _references(answers)
    pred = parse_number(prediction)
    if pred is None:
        return 0.0
    for ref in refs:
        value = parse_number(ref)
        if value is not None and abs(pred - value) <= (rel_tol + _FLOAT_SLACK) * abs(value):
            return 1.0
    return 0.0


def _anls_text(text: str) -> str:
    return " ".join(str(text).strip().lower().split())


def anls(prediction: str, answers: list[str], choices: list[str] | None = None) -> float:
    """Average Normalized Levenshtein Similarity, threshold 0.5, per sample, as lmms-eval's
    ``anls`` metric (DocVQA tasks) computes it.

    The distance is taken between the normalised strings (stripped, lowercased, runs of
    whitespace collapsed to one space), but divided by the longer of the two strings as
    given (their ``upper()`` lengths, before normalising). NL is the smallest such ratio
    over references; the score is 1 - NL, set to 0 when it is below 0.5. So a similarity
    of exactly 0.5 ("76" for "70") keeps 0.5: the harness's boundary. The official DocVQA
    definition sets NL >= 0.5 to 0 (Biten et al.), which gives 0 there; this follows the
    harness. Two empty strings score 1. The benchmark ANLS is the mean of these values.
    """
    pred = str(prediction)
    ratios = []
    for ref in _references(answers):
        longest = max(len(ref.upper()), len(pred.upper()))
        ratios.append(levenshtein(_anls_text(pred), _anls_text(ref)) / longest if longest else 0.0)
    similarity = 1.0 - min(ratios)
    return similarity if similarity >= 0.5 else 0.0


_VQA_NUMBER_WORDS = {
    "none": "0", "zero": "0", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5",
    "six": "6", "seven": "7", "eight": "8", "nine": "9", "ten": "10",
}  # fmt: skip
_VQA_ARTICLES = frozenset({"a", "an", "the"})
# The marks the VQA processor removes or turns into spaces ('.', ':' and "'" are not among them).
_VQA_PUNCTUATION = ';/[]"{}()=+\\_-><@`,?!'
_DIGIT_COMMA_DIGIT = re.compile(r"(?<=\d),+(?=\d)")
_PERIOD_NOT_BEFORE_DIGIT = re.compile(r"\.(?!\d)")


def _contractions() -> dict[str, str]:
    """Apostrophe-less spellings of common English contractions -> the spelling with the
    apostrophe, so that "dont" and "don't" compare equal. Only forms that are not also
    English words ("its", "hell", "well", "shed", "wed", "ill" stay as they are)."""
    table = {f"{stem}nt": f"{stem}n't" for stem in (
        "ai", "are", "ca", "could", "did", "does", "do", "had", "has", "have", "is", "might",
        "must", "need", "ought", "sha", "should", "was", "were", "wo", "would")}  # fmt: skip
    suffixes = {
        "ve": ("could", "might", "must", "should", "would", "we", "they", "you", "who", "what", "where"),
        "ll": ("how", "it", "somebody", "someone", "something", "they", "what", "who", "why", "you"),
        "re": ("they", "what", "why", "you", "there"),
        "d": ("he", "how", "it", "someone", "something", "there", "they", "where", "who", "you"),
        "s": ("he", "how", "somebody", "someone", "that", "there", "what", "when", "where", "who", "why"),
    }
    for suffix, stems in suffixes.items():
        table.update({stem + suffix: f"{stem}'{suffix}" for stem in stems})
    table.update({"oclock": "o'clock", "maam": "ma'am", "yall": "y'all", "twas": "'twas"})
    return table


_VQA_CONTRACTIONS = _contractions()


def normalize_vqa(text: str) -> str:
    """VQA answer normalisation in the steps of lmms-eval's VQAv2 scoring (its
    ``EvalAIAnswerProcessor``: ``process_punctuation`` then ``process_digit_article``).

    1. Newlines and tabs become spaces; the text is stripped.
    2. Punctuation: for each mark of ``_VQA_PUNCTUATION``, when the text has that mark
       next to a space, or has a comma between digits anywhere, every such mark is
       deleted; otherwise each is replaced by a space. Then every '.' not followed by a
       digit is deleted (at most 32 of them: the harness passes ``re.UNICODE`` where
       ``re.sub`` takes its count). Apostrophes and colons are kept.
    3. Lowercase, split on whitespace, map "none" and zero..ten to digits, drop a/an/the,
       restore the apostrophe of common contractions ("dont" -> "don't"), join with spaces.

    The harness's own contraction table (copied from EvalAI) has about 120 entries; the
    table here is written from the same rule and covers the common ones, so a rare
    contraction written without its apostrophe on one side only may compare unequal here.
    """
    s = str(text).replace("\n", " ").replace("\t", " ").strip()
    drop_all = _DIGIT_COMMA_DIGIT.search(s) is not None
    out = s
    for mark in _VQA_PUNCTUATION:
        if drop_all or (mark + " ") in s or (" " + mark) in s:
            out = out.replace(mark, "")
        else:
            out = out.replace(mark, " ")
    out = _PERIOD_NOT_BEFORE_DIGIT.sub("", out, count=32)
    words = []
    for word in out.lower().split():
        word = _VQA_NUMBER_WORDS.get(word, word)
        if word not in _VQA_ARTICLES:
            words.append(_VQA_CONTRACTIONS.get(word, word))
    return " ".join(words)


def vqa_accuracy(prediction: str, answers: list[str], choices: list[str] | None = None) -> float:
    """VQA accuracy as lmms-eval's VQAv2 task computes it.

    Prediction and annotator answers are compared after ``normalize_vqa``. Each annotator
    answer is held out in turn and the prediction scores min(#other answers equal to it / 3,
    1); the score is the mean over the n held-out cases. So k matching answers of n give
    (k * min((k-1)/3, 1) + (n-k) * min(k/3, 1)) / n: 0.3, 0.6, 0.9, 1.0 for k = 1..4 with
    n = 10, and 2/3 for k = 2 of n = 3. A single reference would always score 0 under that
    rule (nothing is left once it is held out), so with one reference the score is exact
    match of the normalised strings instead: our choice, which the harness never meets
    because VQAv2 has ten answers per question.
    """
    refs = [normalize_vqa(ref) for ref in _references(answers)]
    pred = normalize_vqa(prediction)
    matches = sum(ref == pred for ref in refs)
    n = len(refs)
    if n == 1:
        return float(matches == 1)
    held_out_match = min((matches - 1) / 3.0, 1.0) if matches else 0.0
    held_out_other = min(matches / 3.0, 1.0)
    return (matches * held_out_match + (n - matches) * held_out_other) / n


_LETTER_ANSWER = re.compile(r"\(?\s*([A-Za-z])\s*\)?\s*\.?")


def multiple_choice(prediction: str, answers: list[str], choices: list[str] | None = None) -> float:
    """Multiple-choice accuracy. ``answers[0]`` is the correct option's text and
    ``choices`` the options in order, lettered A, B, C, ...

    Correct (1.0) when the SQuAD-normalised prediction equals the normalised correct
    option text, or when the whole prediction is the correct option's letter, written
    "B", "(B)", "B." or "(B)." (case-insensitive, surrounding whitespace allowed). Anything
    else, including a letter followed by text ("B. red"), scores 0. The correct option is
    located in ``choices`` by exact text, else by normalised text. Raises ValueError when
    ``choices`` is None/empty or does not contain ``answers[0]``.
    """
    if not choices:
        raise ValueError("multiple_choice needs a non-empty list of choices")
    correct = _references(answers)[0]
    if correct in choices:
        index = list(choices).index(correct)
    else:
        normalised = [normalize_squad(c) for c in choices]
        if normalize_squad(correct) not in normalised:
            raise ValueError(f"correct answer {correct!r} is not among the choices {list(choices)!r}")
        index = normalised.index(normalize_squad(correct))
    pred = normalize_squad(prediction)
    if pred and pred == normalize_squad(choices[index]):
        return 1.0
    letter = _LETTER_ANSWER.fullmatch(str(prediction).strip())
    if letter and index < 26 and letter.group(1).upper() == string.ascii_uppercase[index]:
        return 1.0
    return 0.0


@cache
def _rouge_l_scorer():
    """The one ``rouge_score`` ROUGE-L scorer, built on first use (the import pulls in nltk,
    which every ``import dataprophet.answer_scoring`` would otherwise pay for)."""
    from rouge_score import rouge_scorer

    return rouge_scorer.RougeScorer(["rougeL"], use_stemmer=ROUGE_USE_STEMMER)


def rouge_l(prediction: str, answers: list[str], choices: list[str] | None = None) -> float:
    """ROUGE-L F-measure from Google's ``rouge-score`` package, max over references.

    ``rouge_score.rouge_scorer.RougeScorer(["rougeL"], use_stemmer=True)``: the package's
    default tokenizer lowercases, replaces every run of characters outside [a-z0-9] with a
    space (so punctuation goes, "3.5" becomes "3 5", and non-ASCII letters are dropped:
    "café" -> "caf"), splits on whitespace and Porter-stems tokens longer than 3
    characters ("jumps"/"jumped" -> "jump"; "ran"/"run" are not conflated). No stop
    words. With LCS the longest common subsequence of the token lists, P = LCS / len(pred),
    R = LCS / len(ref), F = 2PR / (P + R) (beta = 1); this is sentence-level ``rougeL``,
    not the summary-level ``rougeLsum``. Per reference the package scores 0 when either
    side has no tokens, so an empty prediction scores 0 and, unlike the SQuAD-style F1
    here, an empty prediction against an empty reference also scores 0. The score is the
    largest F over references (``RougeScorer.score_multi``).

    Stemming is on (``ROUGE_USE_STEMMER``) as in the original ROUGE-1.5.5 run with ``-m``
    that summarisation papers report and the package README's example; HuggingFace
    ``evaluate``'s "rouge" defaults to no stemming, so its numbers can be lower.
    Judge-free metric for chart-to-text style generation datasets.
    """
    refs = _references(answers)
    return float(_rouge_l_scorer().score_multi(refs, str(prediction))["rougeL"].fmeasure)


@cache
def _bleu_metric():
    """The one sacrebleu sentence-level BLEU object, built on first use."""
    from sacrebleu.metrics import BLEU

    return BLEU(effective_order=True)


def bleu(prediction: str, answers: list[str], choices: list[str] | None = None) -> float:
    """Sentence-level BLEU from ``sacrebleu``, divided by 100 into [0, 1].

    ``sacrebleu.metrics.BLEU(effective_order=True).sentence_score(prediction, answers)``
    with sacrebleu's other defaults, i.e. signature
    ``nrefs:N|case:mixed|eff:yes|tok:13a|smooth:exp``: case-sensitive ("The" and "the"
    differ), the 13a (mteval-v13a) tokenizer, which splits punctuation off as its own
    tokens ("sat." -> "sat ."), n-grams up to 4, and NIST "exp" smoothing (the k-th order
    with zero matches gets precision 1 / (2^k * total n-grams of that order)).
    Effective order averages the log-precisions only over the orders the prediction has
    n-grams for (a 2-token prediction uses orders 1-2), so short predictions are not
    zeroed. No n-gram matches at all, including an empty prediction, gives 0.

    Multiple references are used jointly, as in standard multi-reference BLEU, not as a
    max over single-reference scores: each prediction n-gram count is clipped at its
    largest count in any one reference, and the brevity penalty exp(1 - r / c) (when
    c < r) uses the reference length r closest to the prediction length c (the shorter on
    a tie). Values are clipped to 1.0 against float round-off (identical strings give
    100.00000000000004 in sacrebleu). This is per-sample BLEU; ``aggregate`` averages it,
    which is not corpus BLEU (corpus BLEU pools n-gram counts before dividing).
    """
    refs = _references(answers)
    return min(1.0, _bleu_metric().sentence_score(str(prediction), refs).score / 100.0)


def token_f1(prediction: str, answers: list[str], choices: list[str] | None = None) -> float:
    """SQuAD token-level F1, max over references.

    Tokens come from ``normalize_squad``; overlap is the multiset intersection of
    prediction and reference tokens; F1 with beta = 1. An empty side scores 0 unless both
    are empty (1), as in the SQuAD script. A judge-free fallback for benchmarks whose
    papers score open answers with an LLM judge.
    """
    pred = normalize_squad(prediction).split()
    best = 0.0
    for ref in _references(answers):
        ref_tokens = normalize_squad(ref).split()
        overlap = sum((Counter(pred) & Counter(ref_tokens)).values())
        best = max(best, _f1(overlap, len(pred), len(ref_tokens)))
    return best


# --------------------------------------------------------------------------- extraction

# Metrics that score a whole generated text: the reply is scored as it is (stripped).
GENERATION_METRICS = frozenset({"rouge_l", "bleu"})
# "The answer is", "Answer:", "The correct answer is", "Final answer:" at the start of a reply.
_ANSWER_LEAD = re.compile(r"^(?:the\s+)?(?:final\s+|correct\s+)?answer(?:\s+is\b\s*:?|\s*:)\s*", re.IGNORECASE)
# A letter alone ("B", "(B)", "B.", "B)", "b"), or a capital letter that opens a longer reply
# ("B. red", "(B) red", "B) red", "B: red").
_LETTER_ALONE = re.compile(r"\(?\s*([A-Za-z])\s*\)?\s*[.:)]?")
_LETTER_LEADS = re.compile(r"\(?([A-Z])(?:\)|[.:)])\s+\S")


def _chosen_option(text: str, choices: Sequence[str]) -> str | None:
    """The option a multiple-choice reply picks, as the option's text; None if unclear."""
    letters = string.ascii_uppercase[: len(choices)]
    for pattern in (_LETTER_ALONE, _LETTER_LEADS):
        found = pattern.fullmatch(text) if pattern is _LETTER_ALONE else pattern.match(text)
        if found and found.group(1).upper() in letters:
            return choices[letters.index(found.group(1).upper())]
    said = normalize_squad(text)
    options = [(c, normalize_squad(c)) for c in choices]
    named = [c for c, norm in options if norm and norm == said]
    if not named:  # an option's text inside a longer reply, when exactly one option is named
        named = [c for c, norm in options if norm and f" {norm} " in f" {said} "]
    return named[0] if len(named) == 1 else None


def extract_answer(metric: str, reply: str, choices: Sequence[str] | None = None) -> str:
    """The answer in a generated reply, as the evaluation harnesses' filters reduce it
    before scoring; every metric's scorer then sees the extracted answer.

    - Every reply is stripped of surrounding whitespace.
    - Generation metrics (``GENERATION_METRICS``) take the whole reply.
    - Every other metric drops a leading "The answer is" / "Answer:" / "The correct answer
      is" / "Final answer:" (case-insensitive).
    - Multiple choice (``choices`` given) then takes the option the reply picks and returns
      that option's text: a letter alone ("B", "(B)", "b."), a capital letter opening the
      reply ("B. red", "(B) red", "B: red"), the option's text itself, or the one option
      whose text the reply contains ("it is red" when only "red" is named). A reply that
      picks no single option is kept as it is and scores 0 unless it is an option's text.
    - Short answers then lose one trailing period ("Paris." -> "Paris"; "3.5" keeps its
      decimal point).
    """
    text = str(reply).strip()
    if metric in GENERATION_METRICS:
        return text
    text = _ANSWER_LEAD.sub("", text, count=1).strip() or text
    if metric == "multiple_choice" and choices:
        option = _chosen_option(text, list(choices))
        return option if option is not None else text
    if text.endswith(".") and not text.endswith(".."):
        text = text[:-1].rstrip()
    return text


def score_reply(metric: str, reply: str, answers: list[str], choices: list[str] | None = None) -> tuple[str, float]:
    """(extracted answer, its score): ``extract_answer`` then ``score``, as evaluation and
    the RL reward use them."""
    answer = extract_answer(metric, reply, choices)
    return answer, score(metric, answer, answers, choices)


# --------------------------------------------------------------------------- registry

SCORERS: dict[str, Scorer] = {
    "exact_match": exact_match,
    "relaxed_accuracy": relaxed_accuracy,
    "relaxed_numeric": partial(relaxed_numeric, rel_tol=0.03),
    "spatial_ratio": partial(relaxed_numeric, rel_tol=0.25),
    "anls": anls,
    "vqa_accuracy": vqa_accuracy,
    "multiple_choice": multiple_choice,
    "rouge_l": rouge_l,
    "bleu": bleu,
    "token_f1": token_f1,
}


class UnknownMetricError(KeyError, ValueError):
    """Raised for a metric name not in ``SCORERS``; catchable as KeyError or ValueError."""

    def __str__(self) -> str:  # KeyError would otherwise repr-quote the message
        return str(self.args[0]) if self.args else ""


def metric_names() -> list[str]:
    """The registered metric names, sorted."""
    return sorted(SCORERS)


def _scorer(metric: str) -> Scorer:
    try:
        return SCORERS[metric]
    except (KeyError, TypeError):
        raise UnknownMetricError(f"unknown metric {metric!r}; valid metrics: {', '.join(metric_names())}") from None


def score(metric: str, prediction: str, answers: list[str], choices: list[str] | None = None) -> float:
    """Score one prediction with the named metric; returns a float in [0, 1]."""
    return float(_scorer(metric)(prediction, answers, choices))


def aggregate(metric: str, per_sample_scores: Sequence[float]) -> float:
    """Benchmark score from per-sample scores: the mean, for every registered metric.

    The metric name is checked so a typo fails here too. Raises ValueError on an empty
    list, since a benchmark with no scored samples has no score.
    """
    _scorer(metric)
    values = [float(v) for v in per_sample_scores]
    if not values:
        raise ValueError(f"no per-sample scores to aggregate for metric {metric!r}")
    return math.fsum(values) / len(values)
