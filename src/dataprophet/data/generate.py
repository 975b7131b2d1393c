"""Stage ``generate`` (mini scale): one suite dataset's pretrain, train and test splits.

Reproduce: ``snakemake results/mini/data/train/ocr_cover.parquet`` (the rule ``generate``
calls ``dataprophet generate``).
"""

from __future__ import annotations

from pathlib import Path

from dataprophet.data.suite import generate_splits
from dataprophet.io.contract import write_table
from dataprophet.settings import GenerateSettings

# Generation order: splits are disjoint, each drawing past what earlier ones took, so the
# test split comes before the train split and stays the same whatever the train size.
SPLITS = ("pretrain", "test", "train")


def generate(dataset: str, pretrain: Path, train: Path, test: Path, settings: GenerateSettings) -> None:
    """Generate the three disjoint splits of ``dataset`` (sizes from ``settings.sizes``)."""
    missing = [s for s in SPLITS if int(settings.sizes.get(s, 0)) <= 0]
    if missing:
        raise ValueError(f"sizes {settings.sizes} give no positive sample count for split(s) {missing}")
    sizes = {s: int(settings.sizes[s]) for s in SPLITS}
    splits = generate_splits(dataset, sizes, seed=settings.seed, image_size=settings.image_size)
    for split, path in (("pretrain", pretrain), ("train", train), ("test", test)):
        write_table(splits[split], path)
