"""Stage ``seed_mean``: the ground truth as the mean Delta over the fine-tuning seeds, and
its per-cell standard error.

A stage of its own, apart from the seed agreement (``truth.agreement``), because it reads no
tau setting: changing ``prophet.tau_variant`` or ``exclude_diagonal`` in a finished study
reruns the ceilings and what reads them, and leaves the mean Delta, and the oracle's
allocation, mixtures and fine-tunes behind it, untouched.
Reproduce: ``snakemake results/mini/tables/delta.csv`` (the rule ``seed_mean`` calls
``dataprophet seed-mean`` on every seed's ``tables/seed<k>/delta.csv``).
"""

from __future__ import annotations

from pathlib import Path

from dataprophet.io.atomic import write_csv
from dataprophet.settings import SeedMeanSettings
from dataprophet.truth.agreement import mean_over_seeds, read_deltas


def seed_mean(deltas: list[Path], mean: Path, se: Path, settings: SeedMeanSettings) -> None:
    """Mean Delta over the seeds' tables to ``mean`` and its standard error to ``se``."""
    mean_table, se_table = mean_over_seeds(list(read_deltas(deltas, settings.labels).values()))
    write_csv(mean_table, mean, float_format="%.10g")
    write_csv(se_table, se, float_format="%.10g")
