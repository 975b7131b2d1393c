"""Stage ``generate`` (mini scale): one suite dataset's pretrain, train and test splits.

Reproduce: ``snakemake results/mini/data/train/ocr_cover.parquet`` (the rule ``generate``
calls ``dataprophet generate``).
"""

from __future__ import annotations

from pathlib import Path

from dataprophet.data.instructions import instruction_for
from dataprophet.data.suite import generate_splits, get_spec
from dataprophet.io.contract import write_table
from dataprophet.settings import GenerateSettings

# Generation order: splits are disjoint, each drawing past what earlier ones took, so the
# test split comes before the train split and stays the same whatever the train size.
SPLITS = ("pretrain", "test", "train")


def generate(dataset: str, pretrain: Path, train: Path, test: Path, settings: GenerateSettings) -> None:
    """Generate the three disjoint splits of ``dataset`` (sizes from ``settings.sizes``), with
    its metric's answer-format instruction on every question when ``settings.instructions``
    (the frozen mini testbed has it off: config/config.yaml)."""
    missing = [s for s in SPLITS if int(settings.sizes.get(s, 0)) <= 0]
    if missing:
        raise ValueError(f"sizes {settings.sizes} give no positive sample count for split(s) {missing}")
    sizes = {s: int(settings.sizes[s]) for s in SPLITS}
    splits = generate_splits(dataset, sizes, seed=settings.seed, image_size=settings.image_size)
    if settings.instructions:
        instruction = instruction_for(get_spec(dataset).metric)
        for records in splits.values():
            for record in records:
                record["instruction"] = instruction  # joined to the question in prompts only
    for split, path in (("pretrain", pretrain), ("train", train), ("test", test)):
        write_table(splits[split], path)
