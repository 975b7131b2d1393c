"""CI: the code runs on the lowest versions ``pyproject.toml`` declares for the libraries
whose APIs it uses most (transformers, accelerate, peft).

Installs exactly those floor versions (no other package changes) into a scratch folder put
first on the path, then builds the tiny InternVL, fine-tunes it for two steps (full and
LoRA, through the Trainer arguments the workflow uses), and generates answers. A call to an
API newer than a declared floor fails here.
Reproduce: ``make floors`` (CI runs it after ``make lint``).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHECKED = ("transformers", "accelerate", "peft")

CHECK = r"""
import sys, tempfile
from pathlib import Path
import pandas as pd
import transformers, accelerate, peft
floors = dict(arg.split("==") for arg in sys.argv[1:])
for module in (transformers, accelerate, peft):
    assert module.__version__ == floors[module.__name__], (module.__name__, module.__version__)
from dataprophet.data.suite import generate_splits
from dataprophet.model.modeling import TINY_CHAT_TEMPLATE, TinyModelSpec, build_processor, build_tiny_model
from dataprophet.model.modeling import load_base, train_tokenizer
from dataprophet.model.train import train
from dataprophet.settings import EvalSettings, TrainSettings
from dataprophet.truth.evaluate import evaluate_targets
frame = pd.DataFrame(generate_splits("chart_bar", {"train": 8}, seed=0)["train"])
texts = [*frame["question"], *[a for answers in frame["answers"] for a in answers]]
spec = TinyModelSpec(vocab_size=300)
tokenizer = train_tokenizer(texts, spec.vocab_size)
processor = build_processor(tokenizer, spec.image_size, 1, spec.image_seq_length, TINY_CHAT_TEMPLATE)
work = Path(tempfile.mkdtemp())
for method in ("full", "lora"):
    settings = TrainSettings(method=method, max_steps=2, batch_size=4, save_steps=1, freeze_vision=False)
    train(build_tiny_model(spec, tokenizer, seed=0), processor, frame, settings, work / method, work / f"{method}.ckpt",
          save_full_model=True)
_, scores, _ = evaluate_targets(load_base(work / "full"), processor, {"chart_bar": frame.head(2)}, EvalSettings())
print("floors ok:", floors, scores)
"""


def floors() -> dict[str, str]:
    """``name -> lowest version`` from the ``>=`` of each checked dependency in pyproject.toml."""
    text = (ROOT / "pyproject.toml").read_text()
    found = {}
    for name in CHECKED:
        match = re.search(rf'"{name}>=([0-9.]+)', text)
        if not match:
            raise SystemExit(f"pyproject.toml declares no '>=' floor for {name}")
        found[name] = match.group(1) if match.group(1).count(".") == 2 else match.group(1) + ".0"
    return found


def main() -> int:
    pins = [f"{name}=={version}" for name, version in floors().items()]
    with tempfile.TemporaryDirectory() as target:
        subprocess.run(
            [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", target, *pins], check=True
        )
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([target, str(ROOT / "src")]), "HF_HUB_OFFLINE": "1"}
        result = subprocess.run([sys.executable, "-c", CHECK, *pins], env=env, cwd=target)
    return result.returncode


if __name__ == "__main__":
    sys.exit(main())
