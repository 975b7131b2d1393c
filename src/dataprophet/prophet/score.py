"""Command ``score``: rank your own candidate source datasets for your target, training-free.

Inputs are contract ``.parquet`` tables or folders with ``data.jsonl`` (docs/usage.md, "Choosing
data for your own target"). Every file is checked for what it means before the model is
loaded (``data.userdata``), and prompts against the model's context; the ranking carries a
``warnings`` column for sources whose numbers look broken (``prophet.checks``), also
printed to stderr.
Reproduce: ``dataprophet score --model results/mini/models/base
--target results/mini/data/test/chart_bar.parquet --sources results/mini/data/train/*.parquet``
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

from dataprophet.data.userdata import MIN_TARGET_SAMPLES, load_user_dataset
from dataprophet.io.atomic import write_csv
from dataprophet.model.modeling import load_base, load_processor, set_threads
from dataprophet.prophet import checks
from dataprophet.prophet.factors import metric_matrix, prophet_terms
from dataprophet.prophet.features import dataset_features
from dataprophet.settings import ScoreSettings


def score(
    model: Path, target: Path, sources: list[Path], out: Path | None, settings: ScoreSettings, threads: int = 1
) -> pd.DataFrame:
    """Every factor and M for each candidate source against one target, best first; printed,
    and written to ``out`` (CSV) when given."""
    set_threads(threads)
    target_name, target_frame = load_user_dataset(target)
    loaded = [(Path(p), *load_user_dataset(p)) for p in sources]
    candidates = {}
    for path, name, frame in loaded:
        if name in candidates:
            first = next(str(q) for q, n, _ in loaded if n == name)
            raise ValueError(
                f"two candidate sources are both named {name!r} ({first} and {path}); "
                f"rename one folder or file so the ranking can tell them apart"
            )
        candidates[name] = frame
    if target_name in candidates:
        target_name = f"{target_name} (target)"
    if len(target_frame) < MIN_TARGET_SAMPLES:
        raise ValueError(
            f"target {target} has {len(target_frame)} sample(s); DataProphet needs at least {MIN_TARGET_SAMPLES} "
            f"(its perplexity and similarities are means over the target's samples)"
        )
    for path, name, frame in loaded:
        usable = len(frame) if settings.samples <= 0 else min(settings.samples, len(frame))
        if usable <= settings.kmeans_k:
            raise ValueError(
                f"candidate source {name!r} ({path}) has {usable} samples to use, too few for "
                f"--kmeans-k {settings.kmeans_k} clusters; give more samples or a smaller --kmeans-k"
            )
    processor = load_processor(model, settings.max_tiles)
    limit = checks.context_limit(model)
    checks.check_context(processor, target_frame, f"target {target}", limit)
    for path, _name, frame in loaded:
        checks.check_context(processor, frame, f"candidate source {path}", limit)
    notes: dict[str, list[str]] = {}
    target_keys = checks.row_keys(target_frame)
    for _path, name, frame in loaded:
        text = checks.text_warning(processor.tokenizer, name, frame)
        if text:
            notes.setdefault(name, []).append(text)
        shared = checks.shared_rows(frame, target_keys)
        if shared:
            notes.setdefault(name, []).append(
                f"holds {shared} of the target's {len(target_frame)} rows (same image and question); "
                f"its similarity to the target is that of a copy of the test set"
            )
    target_notes = [w for w in [checks.text_warning(processor.tokenizer, "the target", target_frame)] if w]
    if len(target_frame) < checks.FEW_TARGET_SAMPLES:
        target_notes.append(
            f"the target has {len(target_frame)} samples; with fewer than {checks.FEW_TARGET_SAMPLES} its "
            f"perplexity and similarities are rough estimates"
        )
    base = load_base(model, settings.dtype).eval()
    source_sets = {n: dataset_features(base, processor, n, f, settings) for n, f in candidates.items()}
    target_set = {target_name: dataset_features(base, processor, target_name, target_frame, settings)}
    terms = prophet_terms(source_sets, target_set, k=settings.kmeans_k, seed=settings.seed)
    terms["M"] = metric_matrix(terms)[target_name].loc[terms["source"]].to_numpy()
    ranking = terms.sort_values("M", ascending=False).drop(columns=["target"]).reset_index(drop=True)
    ranking.index += 1
    for source, found in checks.outlier_warnings(ranking).items():
        notes.setdefault(source, []).extend(found)
    ranking["warnings"] = ranking["source"].map(lambda s: "; ".join(notes.get(s, [])))
    for note in target_notes:
        print(f"warning: {note}", file=sys.stderr)
    for source in ranking["source"]:
        for note in notes.get(source, []):
            print(f"warning: source {source!r}: {note}", file=sys.stderr)
    with pd.option_context("display.width", 200, "display.max_columns", None):
        print(f"candidate sources for target {target_name}, best first:")
        print(ranking.drop(columns="warnings").to_string(float_format=lambda v: f"{v:.4g}"))
    if out is not None:
        write_csv(ranking, out, index_label="rank")
    return ranking
