"""ICONS on the tiny model: gradient features, projection, influence and both selections."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from dataprophet.data.suite import generate_splits
from dataprophet.io.contract import decode_image
from dataprophet.model.encoding import TrainCollator, encode_example
from dataprophet.selection.gradients import LoraGradients, batch_gradients, example_losses, projected_gradients
from dataprophet.selection.icons import consensus, influence, project, projection_block, top_n, unit_rows
from dataprophet.settings import GradientSettings, TrainSettings


@pytest.fixture(scope="module")
def frame():
    return pd.DataFrame(generate_splits("count_shapes", {"train": 10}, seed=3)["train"])


@pytest.fixture(scope="module")
def lora_model(tiny_parts):
    """The tiny model with LoRA on its language model, B made non-zero (a fresh adapter's B
    is 0, which would zero every A gradient) as after a warm-up."""
    import copy

    from dataprophet.model.train import wrap_lora

    _, processor, model, _ = tiny_parts
    peft_model = wrap_lora(copy.deepcopy(model), TrainSettings(method="lora", lora_r=4, lora_alpha=8))
    generator = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for name, p in peft_model.named_parameters():
            if "lora_B" in name:
                p.copy_(0.05 * torch.randn(p.shape, generator=generator))
    return peft_model.eval(), processor


def _batch(processor, rows):
    examples = [
        encode_example(processor, decode_image(r["image"]), r["question"], r["answers"][0]) for _, r in rows.iterrows()
    ]
    return TrainCollator(processor.tokenizer.pad_token_id)(examples)


def test_hooked_per_example_gradients_equal_one_backward_per_example(lora_model, frame):
    model, processor = lora_model
    capture = LoraGradients(model)
    try:
        batched = torch.cat(batch_gradients(model, capture, _batch(processor, frame.head(4))), dim=1)
    finally:
        capture.close()
    params = [m.weight for _, m in LoraGradients(model).layers]
    for i in range(4):
        model.zero_grad(set_to_none=True)
        example_losses(model, _batch(processor, frame.iloc[[i]])).sum().backward()
        single = torch.cat([p.grad.reshape(-1) for p in params])
        torch.testing.assert_close(batched[i], single, rtol=1e-4, atol=1e-6)
    assert batched.shape[1] == sum(p.numel() for p in params)
    assert batched.abs().sum() > 0


def test_projected_gradients_have_the_asked_shape_and_are_repeatable(lora_model, frame):
    model, processor = lora_model
    settings = GradientSettings(projection_dim=16, block_dims=50, batch_size=3)
    first = projected_gradients(model, processor, frame, settings)
    again = projected_gradients(
        model, processor, frame, GradientSettings(projection_dim=16, block_dims=50, batch_size=4)
    )
    assert first.shape == (len(frame), 16) and first.dtype == np.float32
    np.testing.assert_allclose(first, again, rtol=1e-4, atol=1e-6)  # batch size changes nothing


def test_blockwise_projection_equals_one_matrix_made_from_the_same_blocks():
    rng = np.random.default_rng(0)
    pieces = [torch.tensor(rng.normal(size=(3, 7)), dtype=torch.float32), torch.tensor(rng.normal(size=(3, 5)))]
    out, next_block = project(pieces, dim=6, seed=4, block_dims=3)
    # Blocks: piece 1 -> 3 + 3 + 1 columns, piece 2 -> 3 + 2: five blocks in all.
    assert next_block == 5
    sizes = [3, 3, 1, 3, 2]
    matrix = torch.cat([projection_block(4, b, n, 6) for b, n in enumerate(sizes)])
    whole = torch.cat([p.float() for p in pieces], dim=1)
    torch.testing.assert_close(out, whole @ matrix)
    assert set(torch.unique(projection_block(4, 0, 3, 6) * 6**0.5).tolist()) <= {-1.0, 1.0}
    assert not torch.equal(projection_block(4, 0, 3, 6), projection_block(5, 0, 3, 6))


def test_projection_preserves_cosines_roughly_at_enough_dimensions():
    rng = np.random.default_rng(1)
    x = torch.tensor(rng.normal(size=(2, 400)), dtype=torch.float32)
    y, _ = project([x], dim=2048, seed=0, block_dims=128)
    cos = lambda a, b: float(a @ b / (a.norm() * b.norm()))  # noqa: E731
    assert abs(cos(y[0], y[1]) - cos(x[0], x[1])) < 0.1


def test_a_pool_example_identical_to_the_targets_validation_examples_ranks_first(lora_model, frame):
    model, processor = lora_model
    settings = GradientSettings(projection_dim=64, block_dims=100, batch_size=4)
    val = frame.iloc[[0]]
    pool = pd.concat([frame.iloc[1:], frame.iloc[[0]]], ignore_index=True)  # the planted copy is last
    g_pool = projected_gradients(model, processor, pool, settings)
    g_val = projected_gradients(model, processor, val, settings)
    scores = pd.Series(influence(g_pool, g_val), index=pool["id"])
    assert top_n(scores, 1)[0] == frame["id"].iloc[0]
    assert scores.max() == pytest.approx(1.0, abs=1e-5)


def test_influence_is_the_mean_cosine_over_validation_examples():
    rng = np.random.default_rng(2)
    pool, val = rng.normal(size=(5, 8)), rng.normal(size=(3, 8))
    expected = (unit_rows(pool) @ unit_rows(val).T).mean(axis=1)
    np.testing.assert_allclose(influence(pool, val), expected)
    with pytest.raises(ValueError, match="must be"):
        influence(pool, val[:, :4])


def test_top_n_breaks_ties_by_id():
    scores = pd.Series([0.5, 0.9, 0.5, 0.1], index=["d", "a", "b", "c"])
    assert list(top_n(scores, 3)) == ["a", "b", "d"]
    with pytest.raises(ValueError, match="exceeds the pool"):
        top_n(scores, 5)


def test_consensus_votes_at_the_percentile_and_breaks_ties_by_mean_score():
    # Two targets, five examples; top_percent 40 -> each target's 60th percentile.
    scores = pd.DataFrame(
        {"t1": [0.9, 0.8, 0.1, 0.2, 0.3], "t2": [0.1, 0.7, 0.9, 0.2, 0.3]}, index=["a", "b", "c", "d", "e"]
    )
    ids, votes = consensus(scores, 3, top_percent=40)
    # t1 threshold: 60th pct of [.1 .2 .3 .8 .9] = .5 -> a, b; t2: of [.1 .2 .3 .7 .9] = .46 -> b, c.
    assert votes.to_dict() == {"a": 1, "b": 2, "c": 1, "d": 0, "e": 0}
    # b (2 votes) first; a and c tie at 1 vote with the same mean 0.5, so id decides: a, c.
    assert list(ids) == ["b", "a", "c"]
    ids, _ = consensus(scores.assign(t2=[0.1, 0.7, 0.95, 0.2, 0.3]), 2, top_percent=40)
    assert list(ids) == ["b", "c"]  # c's mean (0.525) now beats a's (0.5)


def test_one_gradients_job_groups_each_datasets_source_tables_with_its_val_table():
    from pathlib import Path

    from dataprophet.selection.gradients import group_sources

    sources = [Path(p) for p in ("t/a.parquet", "p/a.parquet", "t/b.parquet", "p/b.parquet")]
    groups = group_sources(sources, [Path("v/b.parquet"), Path("v/a.parquet")], [Path("g/b.npz"), Path("g/a.npz")])
    assert groups == [
        ([Path("t/b.parquet"), Path("p/b.parquet")], Path("v/b.parquet"), Path("g/b.npz")),
        ([Path("t/a.parquet"), Path("p/a.parquet")], Path("v/a.parquet"), Path("g/a.npz")),
    ]
    with pytest.raises(ValueError, match=r"2 val tables but 1 output paths"):
        group_sources(sources, [Path("v/a.parquet"), Path("v/b.parquet")], [Path("g/a.npz")])
    with pytest.raises(ValueError, match=r"source tables \['t/b.parquet', 'p/b.parquet'\] match no val table"):
        group_sources(sources, [Path("v/a.parquet")], [Path("g/a.npz")])
    with pytest.raises(ValueError, match=r"val table v/c.parquet has no source table"):
        group_sources(sources[:2], [Path("v/a.parquet"), Path("v/c.parquet")], [Path("g/a.npz"), Path("g/c.npz")])
    with pytest.raises(ValueError, match=r"repeat a dataset name"):
        group_sources(sources[:2], [Path("v/a.parquet"), Path("w/a.parquet")], [Path("g/a.npz"), Path("h/a.npz")])
