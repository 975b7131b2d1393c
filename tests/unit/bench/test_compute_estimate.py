"""The calculated compute estimate (bench/compute_estimate.py): tiles from transformers' image
processor, the per-dataset table of docs/compute_estimate.md and the uniform-tile table.

Nothing here needs a GPU or the network; no model is built. The script runs in this process.
"""

from __future__ import annotations

import re
from pathlib import Path

from load_script import load_script

ROOT = Path(__file__).resolve().parents[3]
ESTIMATE = ROOT / "bench" / "compute_estimate.py"


def _estimate_module():
    """The script loaded once, so its cache of image-processor tile counts is shared."""
    return load_script(ESTIMATE)


def _run(*args: str, capsys) -> str:
    """What ``python bench/compute_estimate.py ARGS`` prints, run in this process (it only
    calculates: no model, no network; the tests' HF_HUB_OFFLINE holds for its image processor)."""
    capsys.readouterr()
    _estimate_module().main(list(args))
    return capsys.readouterr().out


def test_the_processor_gives_one_tile_untiled_and_seven_for_a_photo_at_six():
    estimate = _estimate_module()
    assert estimate.processor_tiles(640, 480, 1) == 1
    # 4:3 at max 6 tiles: a 3x2 grid (6 tiles) plus the thumbnail
    assert estimate.processor_tiles(640, 480, 6) == 7
    assert estimate.processor_tiles(448, 448, 6) == 1  # a 1x1 grid has no thumbnail


def test_estimate_by_dataset_uses_each_dataset_s_tiles_and_measured_sizes(tmp_path, capsys):
    from dataprophet.data.suite import generate_splits
    from dataprophet.io.contract import write_table

    out = _run(capsys=capsys)
    # config/paper.yaml: one tile in training, up to 12 in evaluation
    assert "max_tiles 1 (training, features), eval max_tiles 12" in out and "typical sizes" in out
    assert re.search(r"docvqa\s+1700x2200\s+1\s+13\s+7\s+13\s", out), out
    assert "mixtures, selection (Table 3 left)" in out and "total (ICONS and RL not in)" in out
    for name in ("chart_bar", "doc_form"):
        write_table(generate_splits(name, {"train": 3}, seed=0)["train"], tmp_path / "data" / f"{name}.parquet")
    measured = _run("--data", str(tmp_path / "data"), "--max-tiles", "6", capsys=capsys)
    assert "max_tiles 6" in measured and "median of" in measured
    assert re.search(r"chart_bar\s+64x64\s+1\s", measured), measured
    estimate = _estimate_module()
    args = estimate.parse_args(["--max-tiles", "6", "--mfu", "0.35"])
    more = estimate.estimate_by_dataset(args)
    fewer = estimate.estimate_by_dataset(estimate.parse_args(["--mfu", "0.35"]))
    assert more["total"][0] > 4 * fewer["total"][0]  # tiles drive the cost
    one = estimate.estimate_by_dataset(estimate.parse_args(["--eval-tiles", "1", "--mfu", "0.35"]))
    assert one["hours"]["fine-tune"] == fewer["hours"]["fine-tune"]  # evaluation's tiles cost evaluation only
    assert fewer["hours"]["evaluate"][0] > 2 * one["hours"]["evaluate"][0]


def test_uniform_tiles_print_the_calculated_table(capsys):
    out = _run("--tiles", "4", capsys=capsys)
    assert "CALCULATED ESTIMATE (not a measurement)" in out
    assert "A100-80GB" in out and "H100 SXM" in out
    assert "samples: train / eval / features" in out and "280,000 / 210,000" in out
