"""Stage ``generate`` (mini scale): one suite dataset's pretrain, train and test splits.

Reproduce: ``snakemake results/mini/data/train/ocr_cover.parquet`` (the rule ``generate``
calls ``dataprophet generate``).
"""

from __future__ import annotations

from pathlib import Path

from dataprophet.data.instructions import instruction_for
from dataprophet.data.suite import SPLIT_ORDER, generate_splits, get_spec
from dataprophet.io.contract import write_table
from dataprophet.settings import GenerateSettings

# Splits every study has; the dev split is optional (v2 testbed's pilots read it).
SPLITS = ("pretrain", "test", "train")


def generate(
    dataset: str, pretrain: Path, train: Path, test: Path, settings: GenerateSettings, dev: Path | None = None
) -> None:
    """Generate the disjoint splits of ``dataset`` (sizes from ``settings.sizes``, drawn in
    ``SPLIT_ORDER``; ``dev`` only with a positive ``sizes.dev``), with its difficulty settings
    (``settings.options``) and its metric's answer-format instruction on every question when
    ``settings.instructions`` (the frozen mini testbed has it off: config/config.yaml)."""
    missing = [s for s in SPLITS if int(settings.sizes.get(s, 0)) <= 0]
    if missing:
        raise ValueError(f"sizes {settings.sizes} give no positive sample count for split(s) {missing}")
    wanted = [s for s in SPLIT_ORDER if int(settings.sizes.get(s, 0)) > 0]
    if (dev is None) == ("dev" in wanted):
        raise ValueError(
            f"sizes.dev is {settings.sizes.get('dev', 0)}, but a dev table was {'not ' * (dev is None)}asked for"
        )
    sizes = {s: int(settings.sizes[s]) for s in wanted}
    splits = generate_splits(
        dataset, sizes, seed=settings.seed, image_size=settings.image_size, options=settings.options
    )
    if settings.instructions:
        instruction = instruction_for(get_spec(dataset).metric)
        for records in splits.values():
            for record in records:
                record["instruction"] = instruction  # joined to the question in prompts only
    paths = {"pretrain": pretrain, "train": train, "test": test, "dev": dev}
    for split in wanted:
        write_table(splits[split], paths[split])
