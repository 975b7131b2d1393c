"""Can the tiny InternVL's vision tower learn to tell shapes apart, and from how many samples?

A diagnostic of testbed v2's gate 0 (docs/testbed.md): the tiny model's own vision tower
(InternViT at the mini study's size), trained from scratch with a linear head on the
shape questions of vqa_scene (one 16-22 px object on a textured scene, five shapes), then
scored on fresh samples. No language model is involved: it separates what the vision tower
can learn from what the study's pretraining gives it.

Reproduce: ``python bench/vision_probe.py --train 500 --steps 400`` and
``python bench/vision_probe.py --train 5000 --steps 1500`` (one thread each).
"""

from __future__ import annotations

import argparse
import random
import time

import torch


def shape_samples(n: int, seed: int):
    """``n`` shape questions of vqa_scene: (images, labels, label names)."""
    from dataprophet.data.suite.draw import SHAPES
    from dataprophet.data.suite.general import make_scene

    rng = random.Random(seed)
    images, labels = [], []
    while len(images) < n:
        s = make_scene(rng, 64)
        if "colou" in s["question"]:
            continue
        images.append(s["image"])
        labels.append(SHAPES.index(s["answers"][0]))
    return images, torch.tensor(labels), SHAPES


def probe(train: int, test: int, steps: int, hidden: int, layers: int, layer_scale: float, seed: int = 0) -> dict:
    from transformers import InternVLVisionConfig, InternVLVisionModel
    from transformers.models.got_ocr2.image_processing_pil_got_ocr2 import GotOcr2ImageProcessorPil

    torch.manual_seed(seed)
    processor = GotOcr2ImageProcessorPil(size={"height": 64, "width": 64}, crop_to_patches=False)
    train_images, y_train, names = shape_samples(train, seed=seed + 1)
    test_images, y_test, _ = shape_samples(test, seed=seed + 2)
    x_train = processor(images=train_images, return_tensors="pt")["pixel_values"]
    x_test = processor(images=test_images, return_tensors="pt")["pixel_values"]
    config = InternVLVisionConfig(
        hidden_size=hidden,
        num_hidden_layers=layers,
        num_attention_heads=4,
        intermediate_size=4 * hidden,
        image_size=[64, 64],
        patch_size=[8, 8],
        use_mask_token=False,
        use_absolute_position_embeddings=True,
        layer_scale_init_value=layer_scale,
    )
    tower = InternVLVisionModel(config)
    head = torch.nn.Linear(hidden * 64, len(names))
    optimizer = torch.optim.AdamW([*tower.parameters(), *head.parameters()], lr=1e-3)
    started = time.time()
    for _ in range(steps):
        batch = torch.randint(0, len(y_train), (32,))
        features = tower(pixel_values=x_train[batch]).last_hidden_state[:, 1:, :].flatten(1)
        loss = torch.nn.functional.cross_entropy(head(features), y_train[batch])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        logits = head(tower(pixel_values=x_test).last_hidden_state[:, 1:, :].flatten(1))
    return {
        "train_samples": train,
        "steps": steps,
        "train_loss": round(float(loss.detach()), 4),
        "test_accuracy": round(float((logits.argmax(1) == y_test).float().mean()), 3),
        "chance": round(1 / len(names), 3),
        "seconds": round(time.time() - started, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", type=int, default=5000)
    parser.add_argument("--test", type=int, default=500)
    parser.add_argument("--steps", type=int, default=1500)
    parser.add_argument("--hidden", type=int, default=64)
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--layer-scale", type=float, default=0.1)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(probe(args.train, args.test, args.steps, args.hidden, args.layers, args.layer_scale))


if __name__ == "__main__":
    main()
