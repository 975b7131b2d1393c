"""Every stage's typed settings: the one place where defaults and allowed values live.

A stage's entry function takes explicit input and output paths and one of these objects.
The command line builds its flags from the dataclass fields (``add_settings_arguments``),
and the workflow renders a study's settings back into flags (``to_flags``), so Snakemake
records each value as a rule parameter and reruns a job when one changes.

Allowed values are ``Literal`` types (checked on construction by ``Settings``); the config
schema repeats them for YAML users, and ``tests/test_config.py`` checks that the two agree.
"""

from __future__ import annotations

import argparse
import functools
import json
import shlex
import typing
from dataclasses import MISSING, asdict, dataclass, field, fields, is_dataclass
from typing import ClassVar, Literal, get_args, get_origin

TrainMethod = Literal["full", "lora"]
Strategy = Literal["ddp", "fsdp", "zero2", "zero3"]
TextEncoder = Literal["mllm", "minilm"]
TauVariant = Literal["a", "b"]
BadRows = Literal["error", "skip"]
AllocationMethod = Literal["uniform", "dataprophet", "oracle"]
# Methods of the selection table: the three allocations, ICONS per target, ICONS consensus.
SelectionMethod = Literal["uniform", "dataprophet", "oracle", "icons", "icons_consensus"]
# The synthetic pool (the paper's Table 3, right half): how a generator is reached, how a
# procedural (mini) generator writes, and the methods of the synthetic table.
GeneratorKind = Literal["procedural", "openai"]
GeneratorStyle = Literal["paraphrase", "target_form"]
ImageDetail = Literal["low", "high", "auto"]
SyntheticMethod = Literal["uniform", "icons", "dataprophet"]
# The RL runs of the paper's Table 4: real prompts split equally or by DataProphet; synthetic
# prompts drawn at random or by the per-sample score.
RlRun = Literal["equal", "dataprophet", "random_synthetic", "dataprophet_synthetic"]
GrpoLoss = Literal["dapo", "grpo", "dr_grpo", "bnpo"]
RewardScaling = Literal["group", "batch", "none"]
Scale = Literal["mini", "paper"]
HeatmapStyle = Literal["study", "paper-delta", "paper-metric"]
LrScheduler = Literal["constant", "linear", "cosine", "constant_with_warmup"]
Dtype = Literal["float32", "bfloat16", "float16"]

# Samples per target no study can mean (more than any collection of datasets holds); it also
# keeps the allocation's floating-point arithmetic exact (below 2**53).
MAX_BUDGET = 10**12

# A Delta cell is "within noise" when |mean over seeds| <= NOISE_Z * its standard error.
NOISE_Z = 2.0


class ConfigError(ValueError):
    """A settings or config value that cannot work; the message names the key."""


@functools.cache
def _resolved_types(cls) -> dict:
    """The field types of a settings class, resolved once (not on every construction)."""
    return typing.get_type_hints(cls)


def _check_value(name: str, kind, value) -> None:
    if get_origin(kind) is Literal and value not in get_args(kind):
        raise ConfigError(f"{name} {value!r} is not one of {', '.join(map(repr, get_args(kind)))}")
    if get_origin(kind) is tuple and get_args(kind) and get_origin(get_args(kind)[0]) is Literal:
        allowed = get_args(get_args(kind)[0])
        unknown = [v for v in value if v not in allowed]
        if unknown:
            raise ConfigError(f"{name}: {unknown} unknown; valid: {', '.join(allowed)}")


@dataclass(frozen=True, kw_only=True)
class Settings:
    """Base of every settings dataclass: checks ``Literal`` fields and the bounds in
    ``MINIMUM`` and ``MAXIMUM``; lists become tuples."""

    MINIMUM: ClassVar[dict] = {}  # field -> smallest allowed value
    MAXIMUM: ClassVar[dict] = {}  # field -> largest allowed value

    def __post_init__(self):
        for name, low in self.MINIMUM.items():
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < low:
                raise ConfigError(f"{name} must be a number >= {low}, got {value!r}")
        for name, high in self.MAXIMUM.items():
            if getattr(self, name) > high:
                raise ConfigError(f"{name} must be a number <= {high:g}, got {getattr(self, name)!r}")
        for f in fields(self):  # numpy's and torch's generators take seeds in [0, 2**32)
            value = getattr(self, f.name)
            if f.name == "seed" and not (isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**32):
                raise ConfigError(f"seed must be an integer from 0 to {2**32 - 1}, got {value!r}")
        types = _resolved_types(type(self))
        for f in fields(self):
            kind = types[f.name]
            value = getattr(self, f.name)
            if get_origin(kind) is tuple and isinstance(value, list):
                object.__setattr__(self, f.name, tuple(value))
            if is_dataclass(kind) and isinstance(value, dict):
                object.__setattr__(self, f.name, build(kind, value, f.name))
            _check_value(f.name, kind, getattr(self, f.name))


def build(cls, raw: dict, where: str):
    """One settings dataclass from a dict; unknown keys and bad values name ``where``."""
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: expected a mapping, got {type(raw).__name__}")
    known = {f.name for f in fields(cls)}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {unknown}; valid keys: {sorted(known)}")
    try:
        return cls(**raw)
    except ConfigError as exc:
        raise ConfigError(f"{where}: {exc}") from exc
    except TypeError as exc:  # a required field left out
        raise ConfigError(f"{where}: {exc}") from exc


# --------------------------------------------------------------------------- training


@dataclass(frozen=True, kw_only=True)
class TrainSettings(Settings):
    """One training recipe, shared by every source so fine-tunes are comparable."""

    MINIMUM: ClassVar[dict] = {
        "learning_rate": 1e-12,
        "batch_size": 1,
        "grad_accum": 1,
        "lora_r": 1,
        "lora_alpha": 1,
        "save_steps": 1,
        "logging_steps": 1,
        "max_tiles": 1,
        "max_steps": 0,
        "epochs": 0,
        "dataloader_workers": 0,
    }

    method: TrainMethod = "lora"
    learning_rate: float = 2e-3
    max_steps: int = 100  # > 0: fixed step count; 0: run `epochs` over the data
    epochs: float = 1.0
    batch_size: int = 16
    grad_accum: int = 1
    warmup_ratio: float = 0.0
    lr_scheduler: LrScheduler = "constant"
    weight_decay: float = 0.0
    lora_r: int = 8
    lora_alpha: int = 16
    lora_dropout: float = 0.0
    lora_target: str = r".*language_model.*\.(q_proj|k_proj|v_proj|o_proj|gate_proj|up_proj|down_proj)"
    freeze_vision: bool = True
    freeze_projector: bool = True
    bf16: bool = False
    # Precision policy. ``load_dtype`` is the dtype the weights are loaded in; when it is not
    # float32, the trainable ones are upcast to float32 and the frozen ones stay in it, as
    # LLaMA-Factory does with `bf16: true` (its default, `pure_bf16: false`). ``save_dtype``
    # is the dtype the trained weights are written in (evaluation loads them in its own).
    load_dtype: Dtype = "float32"
    save_dtype: Dtype = "float32"
    dataloader_workers: int = 0  # processes that decode and tile images beside training
    gradient_checkpointing: bool = False
    save_steps: int = 50
    logging_steps: int = 10
    seed: int = 0
    # InternVL dynamic tiling of the training images (1: one 448px tile, LLaMA-Factory's
    # default). ``finetune.max_tiles`` also sets the features', ICONS' and GRPO's tiles;
    # evaluation has its own, ``evaluate.max_tiles`` (lmms-eval's internvl_hf: up to 12).
    max_tiles: int = 1

    def __post_init__(self):
        super().__post_init__()
        if self.max_steps <= 0 and self.epochs <= 0:
            raise ConfigError("train settings need max_steps > 0 or epochs > 0")


@dataclass(frozen=True, kw_only=True)
class BaseSettings(Settings):
    """The mini base model: the tiny InternVL's shape and its pretraining recipe."""

    model_spec: dict = field(default_factory=dict)  # TinyModelSpec fields
    training: TrainSettings = field(default_factory=TrainSettings)  # the pretraining recipe
    # With web data (testbed v2): the share of the pretraining mixture drawn from the
    # benchmarks' pretrain splits (0: web only). Without web data the base is pretrained on
    # the benchmarks' pretrain splits alone (testbed v1) and this is not read.
    benchmark_share: float = 0.0

    MINIMUM: ClassVar[dict] = {"benchmark_share": 0.0}
    MAXIMUM: ClassVar[dict] = {"benchmark_share": 0.05}


@dataclass(frozen=True, kw_only=True)
class ModelSettings(Settings):
    """The paper study's base checkpoint: a hub id (fetched once) or a folder already on disk."""

    id: str = "OpenGVLab/InternVL3-2B-hf"
    revision: str | None = None  # a tag or commit; pin it for an exactly repeatable study
    local_dir: str | None = None  # a pre-downloaded copy (clusters whose GPU nodes are offline)
    # A system turn before every prompt: None keeps the checkpoint's chat template as it is
    # (InternVL3-2B-hf's has none); a name of ``modeling.SYSTEM_PROMPTS`` or any text.
    system_prompt: str | None = None


@dataclass(frozen=True, kw_only=True)
class ComputeSettings(Settings):
    """GPUs per job and the multi-GPU strategy; 0 GPUs runs the stage on CPU without a launcher."""

    gpus: dict = field(default_factory=dict)  # {"finetune": 4, "evaluate": 1, "features": 1}
    strategy: Strategy = "ddp"  # accelerate config in config/accelerate/<strategy>.yaml

    def __post_init__(self):
        super().__post_init__()
        for stage in ("evaluate", "features", "gradients"):
            if self.gpus_for(stage) > 1:
                raise ConfigError(
                    f"gpus.{stage} is {self.gpus_for(stage)}, but {stage} jobs use one GPU each "
                    f"(spread the work over jobs instead: one per model or per dataset)"
                )

    def gpus_for(self, stage: str) -> int:
        return int(self.gpus.get(stage, 0))


# --------------------------------------------------------------------------- data


@dataclass(frozen=True, kw_only=True)
class GenerateSettings(Settings):
    """A mini-suite dataset: samples per split, seed and image size."""

    sizes: dict  # {"pretrain": n, "train": n, "test": n}, optionally "dev": n
    seed: int = 0
    image_size: int = 64
    options: dict = field(default_factory=dict)  # the dataset's difficulty settings (config key 'suite')
    instructions: bool = True  # append each dataset's answer-format instruction (data.instructions)


@dataclass(frozen=True, kw_only=True)
class WebSettings(Settings):
    """The v2 testbed base's pretraining collages (``dataprophet.data.suite.web``)."""

    MINIMUM: ClassVar[dict] = {"samples": 0, "benchmark_share": 0.0}
    # The v2 base sees at most a small slice of the benchmarks (docs/testbed.md).
    MAXIMUM: ClassVar[dict] = {"benchmark_share": 0.05}

    samples: int = 0  # 0: no web data; the base is pretrained on the benchmarks (testbed v1)
    benchmark_share: float = 0.0  # share of the base's pretraining mixture from the benchmarks
    seed: int = 0
    image_size: int = 64


@dataclass(frozen=True, kw_only=True)
class PrepareSettings(Settings):
    """A registry dataset sampled into contract tables (paper scale)."""

    sizes: dict  # {"train": n, "test": n}
    seed: int = 0
    on_bad_rows: BadRows = "error"  # "error" stops at the first bad row; "skip" writes a rejects file
    instructions: bool = GenerateSettings.instructions


@dataclass(frozen=True, kw_only=True)
class CheckDataSettings(Settings):
    """Which registry datasets' hand-fetched files to check (paper scale); () = every one."""

    datasets: tuple[str, ...] = ()


# --------------------------------------------------------------------------- ground truth


@dataclass(frozen=True, kw_only=True)
class EvalSettings(Settings):
    MINIMUM: ClassVar[dict] = {"batch_size": 1, "max_new_tokens": 1, "max_tiles": 1}
    batch_size: int = 64
    max_new_tokens: int = 8
    # Longer generation budgets for free-text metrics, e.g. {"rouge_l": 256} for Chart2Text.
    max_new_tokens_by_metric: dict = field(default_factory=dict)
    max_tiles: int = 1  # InternVL dynamic tiling: at most this many 448px tiles (+ thumbnail)
    dtype: Dtype = "float32"

    def tokens_for(self, metric: str) -> int:
        return int(self.max_new_tokens_by_metric.get(metric, self.max_new_tokens))


@dataclass(frozen=True, kw_only=True)
class GroundTruthSettings(Settings):
    """Which models' scores form the rows (sources) and which targets the columns."""

    sources: tuple[str, ...]
    targets: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class SeedMeanSettings(Settings):
    labels: tuple[str, ...]  # one per Delta table, e.g. ("seed0", "seed1")


@dataclass(frozen=True, kw_only=True)
class AgreementSettings(Settings):
    labels: tuple[str, ...]  # one per Delta table, e.g. ("seed0", "seed1")
    variant: TauVariant = "b"  # the tau the predictors are judged with (prophet.tau_variant)
    exclude_diagonal: bool = False


@dataclass(frozen=True, kw_only=True)
class HeatmapSettings(Settings):
    title: str = "Relative improvement Delta(s->t)"
    noise_z: float = NOISE_Z  # cells with |Delta| <= noise_z * standard error are marked
    # study: a study's Delta table (fractions), diverging colours at 0; paper-delta and
    # paper-metric: a published matrix as printed (data/published/), drawn as the paper's
    # Figure 2 (blues on a square-root scale, in %) or metric figure (Spectral, min to max),
    # in the file's row and column order, with the mean row and column
    style: HeatmapStyle = "study"


@dataclass(frozen=True, kw_only=True)
class ExtractPublishedSettings(Settings):
    """``dataprophet extract-published``: the paper's matrices read from its two figures."""

    MINIMUM: ClassVar[dict] = {"datasets": 2, "mean_tolerance": 0.0}
    datasets: int = 14  # the matrices are datasets x datasets
    # Largest allowed |printed mean - mean of the printed cells|, in the figure's units: with
    # cells and means both rounded to two decimals it cannot exceed 0.01 when read right.
    mean_tolerance: float = 0.01


@dataclass(frozen=True, kw_only=True)
class PublishedMatricesSettings(Settings):
    """``dataprophet published-matrices``: the published matrices as the study's tables."""

    # {dataset: {"family": ..., "mirrors": <paper dataset>}}: which Table 1 name each of the
    # study's datasets is
    datasets: dict = field(default_factory=dict)
    delta_unit: float = 100.0  # the published Delta is printed in %: divided by this


@dataclass(frozen=True, kw_only=True)
class PublishedSummarySettings(Settings):
    """``dataprophet published-summary``: the recomputed Table 1 beside the printed one."""

    datasets: dict = field(default_factory=dict)  # {dataset: {"mirrors": <paper dataset>, ...}}
    # |recomputed - printed| up to this is rounding (the paper prints three decimals)
    tolerance: float = 0.0005


@dataclass(frozen=True, kw_only=True)
class ProvenanceSettings(Settings):
    """``dataprophet provenance``: the study's resolved config, recorded as it ran."""

    config: dict = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class SummarySettings(Settings):
    """``dataprophet summary``: which study, at which scale, standing in for which datasets."""

    study: str
    scale: Scale = "mini"
    datasets: dict = field(default_factory=dict)  # {dataset: {"mirrors": <paper dataset>, ...}}


@dataclass(frozen=True, kw_only=True)
class FiguresSettings(Settings):
    """``dataprophet figures``: the titles the drawing stages use, so a redraw matches them."""

    heatmap_title: str = HeatmapSettings.title
    metric_title: str = "DataProphet score M(s->t)"
    noise_z: float = NOISE_Z


@dataclass(frozen=True, kw_only=True)
class TestbedSettings(Settings):
    """Regime statistics of the ground truth (no predictor is looked at)."""

    noise_z: float = NOISE_Z


# --------------------------------------------------------------------------- prophet


@dataclass(frozen=True, kw_only=True)
class FeatureSettings(Settings):
    """Feature extraction from the frozen base model (one dataset split at a time)."""

    MINIMUM: ClassVar[dict] = {"samples": 0, "batch_size": 1, "max_tiles": 1}

    samples: int = 0  # uniform subsample per dataset; 0 = all
    seed: int = 0
    batch_size: int = 64
    text_encoder: TextEncoder = "mllm"  # "mllm" (the paper) or "minilm" (sensitivity check)
    max_tiles: int = EvalSettings.max_tiles
    dtype: Dtype = EvalSettings.dtype


@dataclass(frozen=True, kw_only=True)
class PredictSettings(Settings):
    """Every factor and M(s->t) from stored features."""

    MINIMUM: ClassVar[dict] = {"kmeans_k": 2}

    kmeans_k: int = 10  # clusters for the diversity term
    seed: int = 0
    title: str = "DataProphet score M(s->t)"


@dataclass(frozen=True, kw_only=True)
class TauSettings(Settings):
    # A percentile interval from fewer resamples is too coarse to mean anything (with 1 it
    # can even exclude the estimate).
    MINIMUM: ClassVar[dict] = {"bootstrap": 100}
    variant: TauVariant = AgreementSettings.variant
    exclude_diagonal: bool = AgreementSettings.exclude_diagonal
    bootstrap: int = 2000
    seed: int = 0


@dataclass(frozen=True, kw_only=True)
class RankSettings(TauSettings):
    # {dataset: {"family": ..., "mirrors": <the paper dataset it stands for>}}
    datasets: dict = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class AblationSettings(TauSettings):
    """``dataprophet ablations``: tau of every metric variant and baseline from stored factors."""

    datasets: dict = field(default_factory=dict)  # {dataset: {"family": ...}}: the family baseline
    # More variants, each a product of stored factors: {"QSim x PPL": ["qsim", "ppl"]}
    extra: dict = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class ScoreSettings(FeatureSettings):
    """``dataprophet score``: features of the user's datasets, then M for one target."""

    MINIMUM: ClassVar[dict] = {**FeatureSettings.MINIMUM, "kmeans_k": 2}

    samples: int = 500
    kmeans_k: int = PredictSettings.kmeans_k


@dataclass(frozen=True, kw_only=True)
class ProphetSettings(Settings):
    """The config section ``prophet``: feature sampling, clustering and ranking options."""

    samples_source: int = 0  # per source train split; 0 = all
    samples_target: int = 0  # per target test split; 0 = all
    batch_size: int = FeatureSettings.batch_size
    text_encoder: TextEncoder = FeatureSettings.text_encoder
    kmeans_k: int = PredictSettings.kmeans_k
    seed: int = 0
    tau_variant: TauVariant = TauSettings.variant
    exclude_diagonal: bool = TauSettings.exclude_diagonal
    bootstrap: int = TauSettings.bootstrap
    jobs_per_dataset: bool = False  # one feature job per dataset (GPU clusters) or per split
    ablations: dict = field(default_factory=dict)  # more variants: {name: [factor, ...]}
    model: str = ""  # the model folder whose features give the study's M; "" = the study's base
    proxies: dict = field(default_factory=dict)  # {name: model folder}: M also from each, judged alike


# --------------------------------------------------------------------------- analysis, selection


@dataclass(frozen=True, kw_only=True)
class CostSettings(Settings):
    gpus: dict = field(default_factory=dict)  # GPUs per job by stage, e.g. {"finetune": 4}


@dataclass(frozen=True, kw_only=True)
class AllocateSettings(Settings):
    MINIMUM: ClassVar[dict] = {"budget": 1}
    MAXIMUM: ClassVar[dict] = {"budget": MAX_BUDGET}
    method: AllocationMethod
    budget: int  # samples per target


@dataclass(frozen=True, kw_only=True)
class ExtendSettings(Settings):
    """Samples beyond a dataset's train and test tables: the source's pool extension (the
    paper's "full split" past its 20K subset) and the target's validation split (ICONS),
    both disjoint from every table the study already has."""

    MINIMUM: ClassVar[dict] = {"pool_extra": 0, "val_size": 1}
    sizes: dict  # the study's sizes (mini: the generator replays them to stay disjoint)
    pool_extra: int  # extra samples per source; paper: at most this many (the split may hold fewer)
    val_size: int  # validation samples per target, disjoint from its test table
    seed: int = 0
    image_size: int = 64
    options: dict = field(default_factory=dict)  # mini: the dataset's difficulty settings


@dataclass(frozen=True, kw_only=True)
class MixtureSettings(Settings):
    """One training mixture: a target's column of an allocation table, drawn from the pools."""

    target: str  # a column of the allocation table, or "all" for a target-independent one
    seed: int = 0


@dataclass(frozen=True, kw_only=True)
class IconsSettings(Settings):
    """ICONS (Wu et al. 2024) as its official code does it: LoRA warm-up on a uniform subset
    of the pool, per-example LoRA gradients on answer tokens, a seeded random projection,
    unit vectors, influence = mean cosine with the target's validation gradients."""

    MINIMUM: ClassVar[dict] = {
        "warmup_samples": 1,
        "projection_dim": 1,
        "block_dims": 1,
        "batch_size": 1,
        "top_percent": 1e-9,
    }
    MAXIMUM: ClassVar[dict] = {"top_percent": 100}
    warmup_samples: int = 500  # the warm-up's uniform subset of the pool (all sources)
    warmup: TrainSettings = field(default_factory=TrainSettings)  # LoRA by default, as ICONS
    projection_dim: int = 5120  # ICONS' dimension; smaller at mini
    block_dims: int = 8192  # gradient coordinates per block of the projection matrix
    batch_size: int = 16  # examples per batched gradient pass
    seed: int = 0  # the projection's seed
    top_percent: float = 20.0  # consensus: each target votes for its top 20% (ICONS' default)
    jobs_per_dataset: bool = False  # one gradients job per dataset (GPU clusters) or per pool


@dataclass(frozen=True, kw_only=True)
class GradientSettings(Settings):
    """``dataprophet gradients``: projected per-example LoRA gradients of one dataset."""

    MINIMUM: ClassVar[dict] = {"projection_dim": 1, "block_dims": 1, "batch_size": 1, "max_tiles": 1}
    projection_dim: int = IconsSettings.projection_dim
    block_dims: int = IconsSettings.block_dims
    batch_size: int = IconsSettings.batch_size
    seed: int = IconsSettings.seed
    max_tiles: int = EvalSettings.max_tiles


@dataclass(frozen=True, kw_only=True)
class InfluenceSettings(Settings):
    """``dataprophet influence``: ICONS selections from stored gradients."""

    MINIMUM: ClassVar[dict] = {"budget": 1, "top_percent": 1e-9}
    MAXIMUM: ClassVar[dict] = {"budget": MAX_BUDGET, "top_percent": 100}
    budget: int
    targets: tuple[str, ...]  # those that get a per-target ICONS mixture
    top_percent: float = IconsSettings.top_percent
    name: str = "icons"  # the mixtures' method name: <name>/<target>, <name>_consensus/all


@dataclass(frozen=True, kw_only=True)
class SelectionSettings(Settings):
    """The config section ``selection``: budgeted selection of real training data per target,
    each mixture fine-tuned and scored on its target (the paper's Table 3, left half)."""

    MINIMUM: ClassVar[dict] = {"budget": 0, "pool_extra": 0, "val_size": 1}
    MAXIMUM: ClassVar[dict] = {"budget": MAX_BUDGET}
    budget: int = 0  # samples per target; 0 = the paper's N = (number of sources) x sizes.train
    methods: tuple[SelectionMethod, ...] = get_args(SelectionMethod)
    targets: tuple[str, ...] = ()  # targets that get mixtures; () = every dataset
    pool_extra: int = 0  # per source, samples past sizes.train a mixture may draw (the full split)
    val_size: int = 100  # per target, ICONS validation samples (disjoint from its test table)
    seed: int = 0  # the draws of every mixture
    evaluate_all: bool = False  # score each mixture on every dataset, not only its target
    icons: IconsSettings = field(default_factory=IconsSettings)


@dataclass(frozen=True, kw_only=True)
class GeneratorSettings(Settings):
    """One generator model of the synthetic pool. ``openai``: a model behind an
    OpenAI-compatible chat API (the key is read from the environment variable named by
    ``api_key_env``, never from the config). ``procedural``: the mini study's rule-based
    stand-in, with its own style and error profile (``dataprophet.synthetic.procedural``)."""

    MINIMUM: ClassVar[dict] = {"error_rate": 0.0, "malformed_rate": 0.0, "max_tokens": 1}
    MAXIMUM: ClassVar[dict] = {"error_rate": 1.0, "malformed_rate": 1.0}
    name: str  # short name: in sample ids, the cache folder and the share table
    kind: GeneratorKind = "procedural"
    stands_in_for: str = ""  # the paper's generator this one plays (e.g. "GPT-5")
    style: GeneratorStyle = "paraphrase"  # procedural only
    error_rate: float = 0.0  # procedural: share of pairs with a wrong answer
    malformed_rate: float = 0.0  # procedural: share of replies that break the output format
    model: str = ""  # openai: the model name the API expects
    base_url: str = ""  # openai: e.g. https://api.openai.com/v1
    api_key_env: str = ""  # openai: the environment variable that holds the key
    temperature: float | None = None  # openai: None = the API's default
    max_tokens: int = 2048  # openai: reply length cap (max_completion_tokens)
    detail: ImageDetail = "auto"  # openai: image detail of the request

    def __post_init__(self):
        super().__post_init__()
        if not self.name or not all(c.isalnum() or c in "-_" for c in self.name):
            raise ConfigError(f"generator name {self.name!r} must be letters, digits, '-' or '_'")
        if self.kind == "openai":
            missing = [k for k in ("model", "base_url", "api_key_env") if not getattr(self, k)]
            if missing:
                raise ConfigError(f"generator {self.name!r} (kind openai) needs {missing}")


def _generators(value, where: str) -> tuple:
    """A tuple of GeneratorSettings from dicts (config, JSON flags) or settings objects;
    at least one, with distinct names."""
    gens = tuple(
        build(GeneratorSettings, g, f"{where}[{i}]") if isinstance(g, dict) else g for i, g in enumerate(value)
    )
    names = [g.name for g in gens]
    if not gens or len(set(names)) != len(names):
        raise ConfigError(f"{where}: give at least one generator, with distinct names (got {names})")
    return gens


@dataclass(frozen=True, kw_only=True)
class SyntheticSettings(Settings):
    """The config section ``synthetic``: a pool of question-answer pairs written by generator
    models about the sources' train images, then per-sample selection, trained and scored
    (the paper's Table 3, right half). The selection targets are ``selection.targets``."""

    MINIMUM: ClassVar[dict] = {
        "images_per_dataset": 0,
        "pairs_per_image": 1,
        "max_answer_words": 1,
        "budget": 0,
        "concurrency": 1,
        "requests_per_minute": 0,
        "timeout": 1e-3,
        "max_retries": 0,
    }
    MAXIMUM: ClassVar[dict] = {"budget": MAX_BUDGET}
    images_per_dataset: int = 0  # the first N images of each train table, split between generators; 0 = all
    pairs_per_image: int = 5
    max_answer_words: int = (
        8  # "short answer" (the paper: "several words or a number"); the suite's longest reference answer has 6
    )
    budget: int = 0  # samples per target; 0 = the real-data budget (selection.budget)
    threshold: float | None = None  # DataProphet: every pair with m(u) >= this, instead of the top budget
    methods: tuple[SyntheticMethod, ...] = get_args(SyntheticMethod)
    generators: tuple[GeneratorSettings, ...] = ()  # dicts in the config
    seed: int = 0  # image halves and the uniform draws
    send: bool = False  # an API generator sends requests only when this is true
    concurrency: int = 4  # requests in flight at once, per generator
    requests_per_minute: float = 0  # per generator; 0 = no limit
    timeout: float = 120.0  # seconds per request (the client retries timeouts)
    max_retries: int = 5  # the openai client's retries of 408/409/429/5xx, timeouts, dropped connections

    def __post_init__(self):
        super().__post_init__()
        if self.generators:
            object.__setattr__(self, "generators", _generators(self.generators, "generators"))


@dataclass(frozen=True, kw_only=True)
class SynthesizeSettings(Settings):
    """``dataprophet synthesize``: one dataset's synthetic pairs from its train images."""

    MINIMUM: ClassVar[dict] = {
        "images": 0,
        "pairs_per_image": 1,
        "max_answer_words": 1,
        "concurrency": 1,
        "requests_per_minute": 0,
        "timeout": 1e-3,
        "max_retries": 0,
    }
    generators: tuple[GeneratorSettings, ...]  # the images are split between them in equal shares
    images: int = 0  # the first N images of the train table; 0 = all
    pairs_per_image: int = SyntheticSettings.pairs_per_image
    max_answer_words: int = SyntheticSettings.max_answer_words
    seed: int = 0
    send: bool = False  # needed before an API generator sends anything
    dry_run: bool = False  # print the requests and the token estimate, send nothing
    concurrency: int = SyntheticSettings.concurrency
    requests_per_minute: float = 0
    timeout: float = SyntheticSettings.timeout
    max_retries: int = SyntheticSettings.max_retries
    instructions: bool = GenerateSettings.instructions  # the pair's metric's instruction on each question

    def __post_init__(self):
        super().__post_init__()
        object.__setattr__(self, "generators", _generators(self.generators, "generators"))


@dataclass(frozen=True, kw_only=True)
class SyntheticSelectSettings(Settings):
    """``dataprophet synthetic-select``: per-sample DataProphet top-K for each target, the
    uniform draw and ICONS' warm-up subset from the synthetic pool, and the generator shares."""

    MINIMUM: ClassVar[dict] = {"budget": 1, "warmup_samples": 1}
    MAXIMUM: ClassVar[dict] = {"budget": MAX_BUDGET}
    budget: int
    targets: tuple[str, ...]
    warmup_samples: int = IconsSettings.warmup_samples
    seed: int = 0
    generators: dict = field(default_factory=dict)  # {generator name: the paper generator it stands in for}
    score_targets: tuple[str, ...] = ()  # targets every pair is scored against (the RL stage's); () = targets
    threshold: float | None = None  # DataProphet keeps every pair with m(u) >= this instead of the top budget


@dataclass(frozen=True, kw_only=True)
class SyntheticTableSettings(Settings):
    """``dataprophet synthetic-table``: the synthetic-selection table beside the paper's."""

    methods: tuple[SyntheticMethod, ...]
    targets: tuple[str, ...]
    datasets: dict = field(default_factory=dict)  # {dataset: {"family":..., "mirrors":...}}


@dataclass(frozen=True, kw_only=True)
class GrpoSettings(Settings):
    """``dataprophet grpo``: GRPO with TRL's GRPOTrainer. Defaults map verl's Qwen2.5-VL GRPO
    example onto TRL options where TRL has them (README, "RL with GRPO"); the reward is the
    target's own scorer on the answer."""

    MINIMUM: ClassVar[dict] = {
        "learning_rate": 1e-12,
        "num_generations": 2,
        "batch_size": 1,
        "grad_accum": 1,
        "epochs": 0.0,
        "max_steps": 0,
        "max_completion_length": 1,
        "temperature": 1e-6,
        "beta": 0.0,
        "epsilon": 0.0,
        "weight_decay": 0.0,
        "max_grad_norm": 0.0,
        "lora_r": 1,
        "lora_alpha": 1,
        "save_steps": 1,
        "logging_steps": 1,
        "max_tiles": 1,
        "max_pixels": 3136,
        "max_prompt_tokens": 0,
    }
    method: TrainMethod = "lora"
    learning_rate: float = 1e-6  # verl: actor lr 1e-6
    num_generations: int = 5  # verl: rollout.n 5
    batch_size: int = 10  # completions per device per step; with grad_accum a multiple of num_generations
    grad_accum: int = 1
    epochs: float = 15.0  # verl: total_epochs 15
    max_steps: int = 0  # > 0 overrides epochs
    max_completion_length: int = 2048  # verl: max_response_length 2048
    temperature: float = 1.0
    beta: float = 0.01  # verl: kl_loss_coef 0.01 (low_var_kl = TRL's k3 without bias correction)
    epsilon: float = 0.2  # verl: clip_ratio 0.2
    loss_type: GrpoLoss = "dapo"  # verl: token-mean
    scale_rewards: RewardScaling = "group"
    lr_scheduler: LrScheduler = "constant"
    weight_decay: float = 0.01
    max_grad_norm: float = 1.0
    lora_r: int = 64
    lora_alpha: int = 128
    lora_target: str = TrainSettings.lora_target
    bf16: bool = True  # on GPUs only
    gradient_checkpointing: bool = True
    save_steps: int = 20
    logging_steps: int = 1
    seed: int = 0
    max_tiles: int = 1
    # Qwen2.5-VL's image size: at most this many pixels (28x28 per image token, so 512 tokens);
    # its processor's own limit (12.8 M pixels) gives a document page up to 16,384 tokens.
    max_pixels: int = 512 * 28 * 28
    # Prompts (image tokens, system turn, question) longer than this are dropped before
    # training, as verl's filter_overlong_prompts does with max_prompt_length 1024; 0 keeps all.
    max_prompt_tokens: int = 1024

    def __post_init__(self):
        super().__post_init__()
        if self.max_steps <= 0 and self.epochs <= 0:
            raise ConfigError("grpo settings need max_steps > 0 or epochs > 0")
        if (self.batch_size * self.grad_accum) % self.num_generations:
            raise ConfigError(
                f"batch_size x grad_accum ({self.batch_size} x {self.grad_accum}) must be a multiple of "
                f"num_generations ({self.num_generations}): each prompt's group of completions is one unit"
            )


@dataclass(frozen=True, kw_only=True)
class RlSettings(Settings):
    """The config section ``rl``: RL post-training on a prompt budget split over the datasets
    (the paper's Table 4), each run scored on every dataset."""

    MINIMUM: ClassVar[dict] = {"prompts_per_dataset": 1}
    prompts_per_dataset: int = 300  # the budget is this x the number of datasets (the paper: 300 x 14)
    runs: tuple[RlRun, ...] = get_args(RlRun)
    seed: int = 0
    model_id: str = ""  # the RL model; "" = the study's base (mini). Paper: Qwen/Qwen2.5-VL-3B-Instruct
    model_revision: str | None = None
    model_local_dir: str | None = None
    grpo: GrpoSettings = field(default_factory=GrpoSettings)


@dataclass(frozen=True, kw_only=True)
class RlPromptsSettings(Settings):
    """``dataprophet rl-prompts``: the prompt set of every RL run."""

    MINIMUM: ClassVar[dict] = {"budget": 1}
    MAXIMUM: ClassVar[dict] = {"budget": MAX_BUDGET}
    budget: int
    runs: tuple[RlRun, ...]
    seed: int = 0


@dataclass(frozen=True, kw_only=True)
class RlTableSettings(Settings):
    """``dataprophet rl-table``: every run's score on every dataset, beside the paper's Table 4."""

    runs: tuple[RlRun, ...]
    targets: tuple[str, ...]  # every dataset, in the study's order (the table's rows)
    datasets: dict = field(default_factory=dict)  # {dataset: {"family":..., "mirrors":...}}


@dataclass(frozen=True, kw_only=True)
class SelectSettings(ScoreSettings):
    """``dataprophet select``: a training mixture for the user's target from their sources;
    the scoring settings are ``dataprophet score``'s."""

    MINIMUM: ClassVar[dict] = {**ScoreSettings.MINIMUM, "budget": 1}
    MAXIMUM: ClassVar[dict] = {"budget": MAX_BUDGET}
    budget: int
    method: Literal["uniform", "dataprophet"] = "dataprophet"


@dataclass(frozen=True, kw_only=True)
class SelectSamplesSettings(Settings):
    """Per-sample selection: the ``k`` pool samples that score highest for one target."""

    MINIMUM: ClassVar[dict] = {"k": 1}

    k: int


@dataclass(frozen=True, kw_only=True)
class SelectionTableSettings(Settings):
    """``dataprophet selection-table``: the scores of every mixture, beside the paper's."""

    methods: tuple[SelectionMethod, ...]
    targets: tuple[str, ...]
    datasets: dict = field(default_factory=dict)  # {dataset: {"family":..., "mirrors":...}}


@dataclass(frozen=True, kw_only=True)
class PredictorsSettings(TauSettings):
    """``dataprophet predictors``: every predictor of Delta judged alike, with its cost."""

    gpus: dict = field(default_factory=dict)  # GPUs per job by stage (device-seconds)
    families: dict = field(default_factory=dict)  # {dataset: family}: the family baseline


# --------------------------------------------------------------------------- flags


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def _is_json(kind) -> bool:
    return kind is dict or get_origin(kind) in (dict, tuple, list) or is_dataclass(kind)


def _optional(kind):
    """``X | None`` -> X, else None."""
    args = get_args(kind)
    if type(None) in args and len(args) == 2:
        return next(a for a in args if a is not type(None))
    return None


def add_settings_arguments(parser: argparse.ArgumentParser, cls) -> None:
    """One flag per field of ``cls``: typed, with the field's default and allowed values."""
    group = parser.add_argument_group(f"settings ({cls.__name__})")
    for f in fields(cls):
        kind = _resolved_types(cls)[f.name]
        default = (
            f.default
            if f.default is not MISSING
            else (f.default_factory() if f.default_factory is not MISSING else None)
        )
        required = f.default is MISSING and f.default_factory is MISSING
        kwargs: dict = {"dest": f"settings.{f.name}", "required": required}
        if kind is bool:
            kwargs.update(action=argparse.BooleanOptionalAction, default=default)
        elif _is_json(kind):
            shown = json.dumps(asdict(default) if is_dataclass(default) else default)
            kwargs.update(type=json.loads, default=default, metavar="JSON", help=f"JSON (default {shown})")
        elif get_origin(kind) is Literal:
            kwargs.update(choices=get_args(kind), default=default)
        elif _optional(kind) is not None:
            kwargs.update(type=_optional(kind), default=default, metavar=f.name.upper())
        else:
            kwargs.update(type=kind, default=default, metavar=f.name.upper())
        if "help" not in kwargs and not required:
            kwargs["help"] = f"default {default!r}"
        group.add_argument(_flag(f.name), **kwargs)


def settings_from_args(cls, namespace: argparse.Namespace):
    """The settings of ``cls`` from parsed flags; a bad value is an error naming its flag."""
    values = {f.name: getattr(namespace, f"settings.{f.name}") for f in fields(cls)}
    try:
        return build(cls, values, f"{cls.__name__} settings")
    except ConfigError as exc:
        message = str(exc).removeprefix(f"{cls.__name__} settings: ")
        for f in sorted(fields(cls), key=lambda f: -len(f.name)):
            if message.startswith((f"{f.name} ", f"{f.name}:")):
                raise ConfigError(_flag(f.name) + message[len(f.name) :]) from None
        raise


def to_flags(settings, only: tuple[str, ...] = (), skip: tuple[str, ...] = ()) -> str:
    """The settings as command-line flags (shell-quoted), every field written out (or only
    those in ``only``, less those in ``skip``)."""
    parts = []
    for f in fields(settings):
        if (only and f.name not in only) or f.name in skip:
            continue
        value = getattr(settings, f.name)
        kind = _resolved_types(type(settings))[f.name]
        if kind is bool:
            parts.append(_flag(f.name) if value else "--no-" + f.name.replace("_", "-"))
        elif value is None:
            continue
        elif _is_json(kind):
            if is_dataclass(value):
                plain = asdict(value)
            elif isinstance(value, tuple):
                plain = [asdict(v) if is_dataclass(v) else v for v in value]
            else:
                plain = value
            parts += [_flag(f.name), shlex.quote(json.dumps(plain, sort_keys=True))]
        else:
            parts += [_flag(f.name), shlex.quote(str(value))]
    return " ".join(parts)
