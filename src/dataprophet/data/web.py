"""Stage ``web`` (mini scale, testbed v2): the base's pretraining collages, no benchmark sample.

One table of ``settings.samples`` unique samples of the web generator
(``dataprophet.data.suite.web``), scored by exact match if ever evaluated. The base is
pretrained on it (plus, with ``web.benchmark_share`` > 0, a small slice of the benchmarks'
pretrain splits). Reproduce: ``snakemake --configfile config/testbed_pilot.yaml
results/testbed_pilot/data/web/pretrain.parquet`` (the rule ``web`` calls ``dataprophet web``).
"""

from __future__ import annotations

from pathlib import Path

from dataprophet.data.suite import draw_unique, split_rng
from dataprophet.data.suite.web import make_web
from dataprophet.io.contract import write_table
from dataprophet.settings import WebSettings

NAME = "web"


def web(out: Path, settings: WebSettings) -> int:
    """Write the web pretraining table to ``out``; returns its row count."""
    if settings.samples <= 0:
        raise ValueError(f"web.samples is {settings.samples}: nothing to generate")
    rng = split_rng(settings.seed, NAME, "pretrain")
    records = draw_unique(
        make_web, NAME, "pretrain", settings.samples, rng, set(), settings.image_size, NAME, "exact_match"
    )
    write_table(records, out)
    print(f"web: {len(records)} samples")
    return len(records)
