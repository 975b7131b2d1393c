"""Command ``select``: a ready training mixture for your target, from your candidate sources.

The study's own code path, on your data: DataProphet scores each candidate source against
the target (``dataprophet score``), Algorithm 1 splits the budget over the sources in
proportion to M (``--method uniform``: equally), capped by what each source holds with the
excess handed on by weight (``selection.budget``), and the samples are drawn with the
seed (``selection.mixture``). Written to the ``out`` folder:

* ``mixture.parquet``: the contract table to fine-tune on;
* ``ids.csv``: id, source and part of every drawn sample (audit and rebuild);
* ``allocation.csv``: samples per source, with M and each source's size;
* ``scores.csv``: every factor per source, with its warnings (dataprophet only).

The files are written into a temporary folder and moved into place together, so a kill
leaves the previous set whole, and a rerun replaces the folder: no file of the previous run
(a ``scores.csv`` from an earlier dataprophet run beside a uniform mixture) is left. A folder
holding any other file is refused rather than replaced.

Reproduce: ``dataprophet select --model results/mini/models/base --target
results/mini/data/test/chart_bar.parquet --sources results/mini/data/train/*.parquet
--budget 2000 --out /tmp/mixture``
"""

from __future__ import annotations

import warnings
from dataclasses import fields
from pathlib import Path

import pandas as pd

from dataprophet.data.userdata import load_user_dataset
from dataprophet.io.atomic import atomic_dir, write_csv
from dataprophet.selection.budget import allocate
from dataprophet.selection.mixture import draw_mixture, write_mixture
from dataprophet.settings import ScoreSettings, SelectSettings

OUTPUTS = ("mixture.parquet", "ids.csv", "allocation.csv", "scores.csv")


def select(
    target: Path, sources: list[Path], out: Path, settings: SelectSettings, model: Path | None = None, threads: int = 1
) -> pd.DataFrame:
    """The mixture for ``target`` from ``sources`` under ``out``/; returns the allocation.
    ``model`` (the frozen base) is needed by the dataprophet method only."""
    if settings.method == "dataprophet" and model is None:
        raise ValueError("--method dataprophet scores the sources with the base model: give --model")
    if out.exists() and not out.is_dir():
        raise ValueError(f"--out {out} is a file; give a folder for the mixture")
    if out.is_dir():
        foreign = sorted(p.name for p in out.iterdir() if p.name not in OUTPUTS)
        if foreign:
            raise ValueError(
                f"--out {out} holds files that select does not write ({', '.join(foreign[:5])}); a rerun replaces "
                f"the whole folder, so give a new folder or one holding only {', '.join(OUTPUTS)}"
            )
    frames = {}
    for path in sources:
        name, frame = load_user_dataset(path)
        if name in frames:
            raise ValueError(
                f"two candidate sources are both named {name!r}; rename one so the mixture can tell them apart"
            )
        frames[name] = frame
    sizes = pd.Series({n: len(f) for n, f in frames.items()}, dtype="int64")
    if settings.budget > sizes.sum():
        raise ValueError(
            f"budget {settings.budget} exceeds the {sizes.sum()} samples the sources hold ({sizes.to_dict()})"
        )
    if settings.budget < len(sizes):
        raise ValueError(f"budget {settings.budget} is smaller than the number of sources ({len(sizes)})")
    ranking = None
    if settings.method == "dataprophet":
        from dataprophet.prophet.score import score

        score_settings = ScoreSettings(**{f.name: getattr(settings, f.name) for f in fields(ScoreSettings)})
        ranking = score(model, target, list(sources), None, score_settings, threads=threads)
        weights = ranking.set_index("source")["M"].reindex(sizes.index)
    else:
        weights = pd.Series(1.0, index=sizes.index)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        counts = allocate(weights.rename("target"), settings.budget, settings.method, pool_sizes=sizes)
    for warning in caught:
        print(f"note: {warning.message}")
    empty = pd.DataFrame(columns=next(iter(frames.values())).columns)
    mixture = draw_mixture(counts, {n: (f, empty) for n, f in frames.items()}, settings.seed)
    allocation = pd.DataFrame({"samples": counts, "available": sizes, "weight": weights})
    allocation.index.name = "source"
    with atomic_dir(out) as tmp:
        write_mixture(mixture, tmp / "mixture.parquet", tmp / "ids.csv")
        write_csv(allocation, tmp / "allocation.csv")
        if ranking is not None:
            write_csv(ranking, tmp / "scores.csv", index_label="rank")
    print(allocation.to_string())
    print(f"{len(mixture)} samples for {Path(target).stem} ({settings.method}) -> {out / 'mixture.parquet'}")
    return allocation
