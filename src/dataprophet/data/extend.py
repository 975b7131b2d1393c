"""Stage ``extend``: samples past a dataset's train and test tables, for data selection.

Two tables per dataset, both disjoint from every table the study already has:

* ``pool``: more training samples of the source. A mixture that asks a source for more than
  its train table holds draws the rest from here (the paper's Table 3 draws past the 20K
  subset from the full training split).
* ``val``: validation samples of the target for ICONS' target gradients, never the test
  samples the mixtures are scored on.

Mini scale: the suite generator replays the study's splits in their order (pretrain, test,
train) and continues past them, so the new samples are disjoint by content from all three,
and the replayed train split is checked against the train table on disk. Paper scale: the
registry's train split (pool) and test split (val) are streamed again and sampled uniformly
with the seed among the rows whose ids are not in the train or test table; a split that
holds fewer rows gives what it has, and the log says so.
Reproduce: ``snakemake results/mini/data/pool/chart_bar.parquet`` (the rule ``extend`` calls
``dataprophet extend``).
"""

from __future__ import annotations

from pathlib import Path

from dataprophet.io.contract import read_table, validate_records, write_table
from dataprophet.settings import ExtendSettings

# The mini generator draws splits in this order; pool and val continue after them.
MINI_ORDER = ("pretrain", "test", "train", "dev", "pool", "val")


def extend(
    dataset: str,
    train: Path,
    test: Path,
    pool: Path,
    val: Path,
    registry: Path | None,
    overrides: Path | None,
    settings: ExtendSettings,
) -> dict:
    """Write ``dataset``'s ``pool`` and ``val`` tables; with a ``registry`` folder the dataset is
    a real one (paper scale), else a mini-suite dataset. Returns the rows written per table."""
    train_frame = read_table(train)
    test_frame = read_table(test)
    if registry is None:
        tables = _mini(dataset, train_frame, settings)
    else:
        tables = _registry(dataset, registry, overrides, train_frame, test_frame, settings)
    # pool rows prompt as the train rows do, val rows as the test rows (data.instructions)
    for name, frame in (("pool", train_frame), ("val", test_frame)):
        instruction = _instruction_of(frame)
        if instruction:
            tables[name] = [{**r, "instruction": instruction} for r in tables[name]]
    for name, path in (("pool", pool), ("val", val)):
        write_table(tables[name], path)
    report = {name: len(rows) for name, rows in tables.items()}
    print(f"{dataset}: pool {report['pool']} samples past its {len(train_frame)} train samples, val {report['val']}")
    return report


def _instruction_of(frame) -> str:
    """The answer-format instruction of a dataset's table ("" when it has none)."""
    if "instruction" not in frame.columns or frame.empty:
        return ""
    values = {v for v in frame["instruction"] if isinstance(v, str)}
    return values.pop() if len(values) == 1 else ""


def _mini(dataset: str, train_frame, settings: ExtendSettings) -> dict[str, list[dict]]:
    from dataprophet.data.suite import generate_splits

    sizes = {s: int(settings.sizes.get(s, 0)) for s in MINI_ORDER[:4]}
    sizes.update(pool=settings.pool_extra, val=settings.val_size)
    splits = generate_splits(
        dataset, sizes, seed=settings.seed, image_size=settings.image_size, options=settings.options
    )
    replayed = [r["id"] for r in splits["train"]]
    if replayed != train_frame["id"].tolist() or [r["image"] for r in splits["train"][:5]] != list(
        train_frame["image"].iloc[:5]
    ):
        raise ValueError(
            f"{dataset}: the generator no longer reproduces the train table on disk (seed {settings.seed}, "
            f"sizes {sizes}); regenerate the data before extending it"
        )
    return {"pool": splits["pool"], "val": splits["val"]}


def _registry(dataset, registry, overrides, train_frame, test_frame, settings: ExtendSettings) -> dict:
    from dataprophet.data.adapters import iter_records, resolve_images
    from dataprophet.data.registry import load_registry
    from dataprophet.data.sampling import sample_records

    specs = load_registry(registry, overrides=overrides)
    if dataset not in specs:
        raise ValueError(f"unknown dataset {dataset!r}; registry {registry} has {sorted(specs)}")
    spec = specs[dataset]
    taken = set(train_frame["id"].astype(str)) | set(test_frame["id"].astype(str))
    out = {}
    for name, role, n in (("pool", "train", settings.pool_extra), ("val", "test", settings.val_size)):
        rest = [r for r in iter_records(spec, role, lazy_images=True) if str(r["id"]) not in taken]
        if n > len(rest):
            print(f"note: {dataset} {role} split has {len(rest)} rows outside the study's tables; {name} keeps all")
        rows = resolve_images(sample_records(rest, min(n, len(rest)), settings.seed + 1)) if n else []
        validate_records(rows, f"{dataset} {name} table (from the {role} split of {spec.config_file})")
        out[name] = rows
    return out
