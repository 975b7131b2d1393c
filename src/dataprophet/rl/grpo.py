"""Stage ``grpo``: GRPO post-training of the RL model on one run's prompts, with TRL.

Each prompt is a chat turn holding the image and the question; for each prompt the policy
samples ``num_generations`` answers, and each answer is rewarded with the target's own
scorer (``answer_scoring.score``: exact match, ANLS, ROUGE-L, ... as the dataset's ``metric``
says) on the answer text, as the evaluation scores it. TRL's ``GRPOTrainer`` does the rest:
group-normalised advantages, the clipped objective and the KL term (``GrpoSettings`` maps
verl's Qwen2.5-VL example onto TRL's options; docs/usage.md, "RL with GRPO").

Checkpoints go to ``checkpoints``/ every ``save_steps``; a killed job resumes from the last
complete one. The trained weights (a LoRA adapter, or the full model) go to ``out``/ with
the processor files and ``train_log.json``; the reward curve (one row per logged step) to
``curve`` (CSV).
Reproduce: ``snakemake results/mini/models/rl/equal`` (the rule ``grpo`` calls
``dataprophet grpo``).
"""

from __future__ import annotations

import json
import shutil
import sys
import time
from dataclasses import asdict
from pathlib import Path

import pandas as pd
import torch

from dataprophet.answer_scoring import score_reply
from dataprophet.data.instructions import prompt_texts
from dataprophet.io.atomic import write_csv
from dataprophet.io.contract import decode_image, read_table
from dataprophet.model.encoding import chat_messages
from dataprophet.settings import GrpoSettings

# Columns of the reward curve, from TRL's log (name in the log -> column).
CURVE = {
    "step": "step",
    "epoch": "epoch",
    "reward": "reward",
    "reward_std": "reward_std",
    "loss": "loss",
    "kl": "kl",
    "completions/mean_length": "completion_length",
    "frac_reward_zero_std": "frac_reward_zero_std",
}


def completion_text(completion) -> str:
    """The answer text of one completion (conversational: the assistant message's content)."""
    if isinstance(completion, list):
        completion = completion[-1]["content"] if completion else ""
    if isinstance(completion, list):  # typed content blocks
        completion = "".join(block.get("text", "") for block in completion if isinstance(block, dict))
    return str(completion).strip()


def target_score(completions, answers, metric, choices=None, **_) -> list[float]:
    """The reward: each completion's extracted answer scored by its prompt's own benchmark
    scorer, in [0, 1] (``scoring.score_reply``, as evaluation scores)."""
    choices = choices if choices is not None else [None] * len(completions)
    return [
        score_reply(m, completion_text(c), list(a), list(ch) if ch is not None else None)[1]
        for c, a, m, ch in zip(completions, answers, metric, choices)
    ]


def prompt_dataset(frame: pd.DataFrame, processor=None):
    """A ``datasets.Dataset`` of chat prompts (``encoding.chat_messages``: the model's system
    turn, if any, then image and question) with their image and the reward's references."""
    from datasets import Dataset

    prompts = prompt_texts(frame)  # question + answer-format instruction (data.instructions)
    rows = [
        {
            "prompt": chat_messages(processor, prompts[k]),
            "image": decode_image(r["image"]),
            "answers": list(r["answers"]),
            "choices": list(r["choices"]) if r["choices"] is not None else None,
            "metric": r["metric"],
        }
        for k, r in enumerate(frame.to_dict("records"))
    ]
    return Dataset.from_list(rows)


def prompt_lengths(frame: pd.DataFrame, processor) -> list[int]:
    """The token count of each row's prompt as the policy sees it: the chat template (system
    turn, image, question and instruction, assistant header) with the image expanded by the
    processor into its image tokens."""
    prompts = prompt_texts(frame)
    lengths = []
    for k, data in enumerate(frame["image"]):
        messages = chat_messages(processor, prompts[k])
        text = processor.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
        encoded = processor(images=[decode_image(data)], text=[text], return_tensors="pt")
        lengths.append(int(encoded["input_ids"].shape[1]))
    return lengths


def drop_long_prompts(frame: pd.DataFrame, processor, limit: int, where: str) -> tuple[pd.DataFrame, int]:
    """(the rows whose prompt has at most ``limit`` tokens, how many were dropped), as verl's
    ``filter_overlong_prompts``; ``limit`` 0 keeps every row. Each drop is counted per source
    in the log; dropping every row is an error that names the longest and shortest prompt."""
    if limit <= 0:
        return frame, 0
    lengths = pd.Series(prompt_lengths(frame, processor), index=frame.index)
    keep = lengths <= limit
    dropped = int((~keep).sum())
    if not keep.any():
        raise ValueError(
            f"{where}: every prompt is longer than max_prompt_tokens={limit} (shortest {lengths.min()}, "
            f"longest {lengths.max()} tokens); raise rl.grpo.max_prompt_tokens or lower rl.grpo.max_pixels"
        )
    if dropped:
        by = frame.loc[~keep, "dataset"].value_counts()
        detail = ", ".join(f"{name} {n}" for name, n in by.items())
        print(f"note: {dropped} of {len(frame)} prompts are longer than {limit} tokens and are dropped ({detail})")
    return frame[keep].reset_index(drop=True), dropped


def grpo_config(settings: GrpoSettings, checkpoints: Path, on_gpu: bool):
    from trl import GRPOConfig

    return GRPOConfig(
        output_dir=str(checkpoints),
        per_device_train_batch_size=settings.batch_size,
        gradient_accumulation_steps=settings.grad_accum,
        num_generations=settings.num_generations,
        max_completion_length=settings.max_completion_length,
        learning_rate=settings.learning_rate,
        lr_scheduler_type=settings.lr_scheduler,
        weight_decay=settings.weight_decay,
        max_grad_norm=settings.max_grad_norm,
        num_train_epochs=settings.epochs,
        max_steps=settings.max_steps if settings.max_steps > 0 else -1,
        temperature=settings.temperature,
        beta=settings.beta,
        use_bias_correction_kl=False,  # verl's low_var_kl is the plain k3 estimator
        epsilon=settings.epsilon,
        loss_type=settings.loss_type,
        scale_rewards=settings.scale_rewards,
        logging_steps=settings.logging_steps,
        save_strategy="steps",
        save_steps=settings.save_steps,
        save_total_limit=1,
        seed=settings.seed,
        data_seed=settings.seed,
        bf16=settings.bf16 and on_gpu,
        gradient_checkpointing=settings.gradient_checkpointing and on_gpu,
        use_cpu=not on_gpu,
        report_to=[],
        disable_tqdm=not sys.stderr.isatty(),
        dataloader_num_workers=0,
    )


def policy_dtype(settings: GrpoSettings, on_gpu: bool) -> str:
    """The dtype the policy's weights are loaded (and updated) in. Full-parameter training
    keeps float32 master weights and computes in bf16 (the Trainer's autocast with ``bf16``),
    as verl's FSDP actor and the SFT path (``model.train.apply_freezing``) do: AdamW on bf16
    weights at lr 1e-6 rounds most updates away (an update below half a bf16 step, 2^-8 of
    the weight, leaves it unchanged). LoRA trains float32 adapters (PEFT upcasts them) on a
    frozen base, which may stay in bf16."""
    if settings.method == "full" or not (settings.bf16 and on_gpu):
        return "float32"
    return "bfloat16"


def lora_config(settings: GrpoSettings):
    from peft import LoraConfig

    return LoraConfig(
        r=settings.lora_r, lora_alpha=settings.lora_alpha, target_modules=settings.lora_target, task_type="CAUSAL_LM"
    )


def reward_curve(history: list[dict]) -> pd.DataFrame:
    rows = [{CURVE[k]: h[k] for k in CURVE if k in h} for h in history if "reward" in h]
    return pd.DataFrame(rows, columns=list(CURVE.values()))


def grpo(
    base: Path, prompts: Path, out: Path, curve: Path, checkpoints: Path, settings: GrpoSettings, threads: int = 1
) -> dict:
    """Train the model in ``base`` with GRPO on ``prompts``; weights to ``out``, curve to ``curve``."""
    return run_grpo(base, prompts, out, curve, checkpoints, settings, threads, reward=target_score)


def run_grpo(base, prompts, out, curve, checkpoints, settings: GrpoSettings, threads: int = 1, reward=target_score):
    """``grpo`` with the reward function given (tests plant an easy one)."""
    from trl import GRPOTrainer

    from dataprophet.model.modeling import load_model, load_processor, save_processor_files, set_threads
    from dataprophet.model.train import cast_saved_weights, is_main_process, latest_complete_checkpoint

    frame = read_table(prompts, validate=True)
    unknown = sorted(set(frame["metric"]) - _scorers())
    if unknown:
        raise ValueError(f"{prompts}: metric(s) {unknown} have no scorer to reward with")
    set_threads(threads)
    on_gpu = torch.cuda.is_available()
    torch.manual_seed(settings.seed)
    processor = load_processor(base, settings.max_tiles, settings.max_pixels)
    processor.tokenizer.padding_side = "left"  # prompts are left-padded for generation (TRL issue #5785)
    frame, dropped = drop_long_prompts(frame, processor, settings.max_prompt_tokens, str(prompts))
    model = load_model(base, dtype=policy_dtype(settings, on_gpu))
    trainer = GRPOTrainer(
        model=model,
        reward_funcs=reward,
        args=grpo_config(settings, Path(checkpoints), on_gpu),
        train_dataset=prompt_dataset(frame, processor),
        processing_class=processor,
        peft_config=lora_config(settings) if settings.method == "lora" else None,
    )
    resume = latest_complete_checkpoint(Path(checkpoints), remove_partial=is_main_process())
    started = time.time()
    result = trainer.train(resume_from_checkpoint=str(resume) if resume else None)
    seconds = time.time() - started
    curve_frame = reward_curve(trainer.state.log_history)
    log = {
        "settings": asdict(settings),
        "prompts": len(frame),
        "prompts_dropped_too_long": dropped,
        "resumed_from_checkpoint": bool(resume),
        "train_seconds": round(seconds, 2),
        "global_step": int(result.global_step),
        "first_rewards": curve_frame["reward"].head(5).round(4).tolist(),
        "last_rewards": curve_frame["reward"].tail(5).round(4).tolist(),
    }
    staging = Path(out).parent / f".{Path(out).name}.staging"
    if is_main_process():
        shutil.rmtree(staging, ignore_errors=True)
    trainer.save_model(str(staging))
    if is_main_process():
        (staging / "training_args.bin").unlink(missing_ok=True)  # a pickle; nothing here reads it
        if settings.bf16 and on_gpu:  # fp32 master weights, saved in bf16 as the SFT path does
            cast_saved_weights(staging, "bfloat16")
        save_processor_files(processor, staging)
        (staging / "train_log.json").write_text(json.dumps(log, indent=2) + "\n")
        write_csv(curve_frame, curve, index=False, float_format="%.6g")
        if Path(out).exists():
            shutil.rmtree(out)
        staging.rename(out)
        shutil.rmtree(checkpoints, ignore_errors=True)
    print(
        f"grpo on {len(frame)} prompts: {log['global_step']} steps in {seconds:.0f} s, reward "
        f"{log['first_rewards']} -> {log['last_rewards']} -> {out}"
    )
    return log


def _scorers() -> set[str]:
    from dataprophet.answer_scoring import SCORERS

    return set(SCORERS)
