"""Every stage's typed settings: the one place where a setting's type, default, bounds and
allowed values live.

Each class is a pydantic dataclass (``dataclasses.fields``, ``asdict`` and ``replace`` work
as on any dataclass): bounds sit on the fields (``Annotated[int, Field(ge=1)]``), allowed
values are ``Literal`` types, and checks that need several fields are validators beside them.
A bad value raises :class:`ConfigError`, whose message names the key.

The config sections are these classes too: ``StudyConfig`` (at the end) gathers them into
the model of a study's YAML file, from which the Snakemake config schema
(``schema/config.schema.yaml``) and ``config/README.md`` are generated
(``python -m dataprophet.config_schema``). A stage's entry
function takes explicit input and output paths and one of these objects; the workflow renders
a study's settings as command-line flags (``to_flags``), so Snakemake records each value as a
rule parameter and reruns a job when one changes, and the command line (jsonargparse,
derived from the same classes) reads them back.
"""

from __future__ import annotations

import functools
import json
import shlex
import types
import typing
from dataclasses import asdict, field, fields, is_dataclass
from typing import Annotated, Literal, get_args, get_origin

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic.dataclasses import dataclass as pydantic_dataclass
from pydantic.json_schema import SkipJsonSchema
from typing_extensions import NotRequired, TypedDict

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

# Bounded types shared by many fields (each bound written once).
Count = Annotated[int, Field(ge=0)]  # 0 or more
Positive = Annotated[int, Field(ge=1)]  # 1 or more
Rate = Annotated[float, Field(gt=0)]  # a positive real: learning rates, timeouts
NonNegative = Annotated[float, Field(ge=0)]
Fraction = Annotated[float, Field(ge=0, le=1)]
# numpy's and torch's generators take seeds in [0, 2**32)
SEED_MAX = 2**32 - 1
Seed = Annotated[int, Field(ge=0, le=SEED_MAX)]
Budget = Annotated[int, Field(ge=1, le=MAX_BUDGET)]  # samples per target
Tiles = Annotated[int, Field(ge=1)]  # InternVL dynamic tiling: at most this many 448px tiles
# Shares of the v2 base's pretraining mixture drawn from the benchmarks (docs/testbed.md).
BenchmarkShare = Annotated[float, Field(ge=0, le=0.05)]
# A percentile interval from fewer resamples is too coarse to mean anything (with 1 it can
# even exclude the estimate).
Bootstrap = Annotated[int, Field(ge=100)]
TopPercent = Annotated[float, Field(gt=0, le=100)]
KmeansK = Annotated[int, Field(ge=2)]  # clusters of the diversity term
ImageSize = Annotated[int, Field(ge=16)]  # pixels per side of a generated (mini) image
NAME_PATTERN = r"^[A-Za-z0-9_-]+$"
# How a pattern is said in an error message.
PATTERN_WORDS = {NAME_PATTERN: "letters, digits, '-' or '_'"}


class GpuCounts(TypedDict, total=False):
    """GPUs per job of each stage (config key ``compute.gpus``); 0 or absent: CPU."""

    __pydantic_config__ = ConfigDict(extra="forbid")  # type: ignore[misc]

    finetune: Count
    evaluate: Count
    features: Count
    gradients: Count
    grpo: Count


class ConfigError(ValueError):
    """A settings or config value that cannot work; the message names the key."""


SETTINGS_CONFIG = ConfigDict(extra="forbid")


def _unwrap(kind):
    """The class a nested key lives in: ``Annotated``, ``X | None`` and containers unwrapped."""
    while True:
        origin = get_origin(kind)
        if origin is Annotated:
            kind = get_args(kind)[0]
        elif origin in (typing.Union, types.UnionType):
            kind = next(a for a in get_args(kind) if a is not type(None))
        elif origin in (tuple, list) and get_args(kind):
            kind = get_args(kind)[0]
        elif origin is dict and get_args(kind):
            kind = get_args(kind)[1]
        else:
            return kind


def _class_at(cls, loc: tuple) -> type | None:
    """The class that holds the key at ``loc`` (a pydantic error location) below ``cls``."""
    for part in loc:
        if isinstance(part, int):
            continue
        hints = _hints(cls)
        if part not in hints:
            return None
        cls = _unwrap(hints[part])
    return cls


@functools.cache
def _hints(cls) -> dict:
    try:
        return typing.get_type_hints(cls, include_extras=True)
    except TypeError:  # a TypedDict or a class that is not one of ours
        return getattr(cls, "__annotations__", {})


def _field_bounds(cls, loc: tuple) -> dict:
    """The bounds declared on the field at ``loc`` ({"ge": 0, "le": ...})."""
    holder = _class_at(cls, loc[:-1]) if loc else None
    kind = _hints(holder).get(loc[-1]) if holder is not None and isinstance(loc[-1], str) else None
    bounds = {}
    while get_origin(kind) is Annotated:
        for meta in get_args(kind)[1:]:
            for name in ("ge", "gt", "le", "lt"):
                if getattr(meta, name, None) is not None:
                    bounds[name] = getattr(meta, name)
            for inner in getattr(meta, "metadata", []):
                for name in ("ge", "gt", "le", "lt"):
                    if getattr(inner, name, None) is not None:
                        bounds[name] = getattr(inner, name)
        kind = get_args(kind)[0]
    bounds["int"] = kind is int
    return bounds


_SIGNS = {"greater_than_equal": ">=", "greater_than": ">", "less_than_equal": "<=", "less_than": "<"}
_KINDS = {"int": "an integer", "float": "a number", "bool": "true or false", "string": "text", "dict": "a mapping"}


def describe_error(cls, exc: ValidationError) -> tuple[str, str]:
    """The key ("a.b" below ``cls``) of the first problem pydantic found, and what is wrong
    with it (a text that reads after the key)."""
    errors = exc.errors()
    unknown = [e for e in errors if e["type"] in ("unexpected_keyword_argument", "extra_forbidden")]
    if unknown:
        parent = unknown[0]["loc"][:-1]
        names = sorted(str(e["loc"][-1]) for e in unknown if e["loc"][:-1] == parent)
        holder = _class_at(cls, parent)
        valid = sorted(_hints(holder)) if holder is not None else []
        return ".".join(map(str, parent)), f": unknown key(s) {names}; valid keys: {valid}"
    err = errors[0]
    loc, kind, value, ctx = err["loc"], err["type"], err.get("input"), err.get("ctx", {})
    key = ".".join(map(str, loc))
    if kind == "value_error" and isinstance(ctx.get("error"), ValueError):
        return key, f": {ctx['error']}"
    if kind in _SIGNS:
        bounds = _field_bounds(cls, loc)
        if bounds["int"] and bounds.get("le") == SEED_MAX:
            return key, f" must be an integer from {bounds['ge']} to {bounds['le']}, got {value!r}"
        limit = next(v for k, v in ctx.items() if k in ("ge", "gt", "le", "lt"))
        shown = f"{limit:g}" if isinstance(limit, (int, float)) and abs(limit) >= 1e6 else limit
        return key, f" must be a number {_SIGNS[kind]} {shown}, got {value!r}"
    if kind == "literal_error":
        return key, f" {value!r} is not one of {ctx.get('expected')}"
    if kind == "string_pattern_mismatch":
        pattern = ctx.get("pattern", "")
        return key, f" {value!r} must be {PATTERN_WORDS.get(pattern, 'text matching ' + pattern)}"
    if kind == "too_short":
        return key, f" needs at least {ctx.get('min_length')} item(s), got {value!r}"
    if kind == "missing" or kind.startswith("missing_"):
        return key, ": a value is required"
    expected = next((words for name, words in _KINDS.items() if kind.startswith(name)), None)
    if expected:
        return key, f" must be {expected}, got {value!r}"
    return key, f": {err['msg']}, got {value!r}"


def error_message(cls, exc: ValidationError) -> str:
    """One line for the first problem pydantic found, naming its key."""
    key, text = describe_error(cls, exc)
    return f"{key}{text}" if key else text.removeprefix(": ")


def settings_dataclass(cls):
    """A frozen, keyword-only pydantic dataclass whose bad values raise :class:`ConfigError`."""
    cls = pydantic_dataclass(frozen=True, kw_only=True, config=SETTINGS_CONFIG)(cls)
    validated_init = cls.__init__

    @functools.wraps(validated_init)
    def __init__(self, *args, **kwargs):  # noqa: N807 -- the dataclass's own constructor
        try:
            validated_init(self, *args, **kwargs)
        except ValidationError as exc:
            raise ConfigError(error_message(cls, exc)) from None

    cls.__init__ = __init__
    return cls


@settings_dataclass
class Settings:
    """Base of every settings dataclass."""


def build(cls, raw: dict, where: str):
    """One settings dataclass from a dict; unknown keys and bad values name ``where``."""
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: expected a mapping, got {type(raw).__name__}")
    try:
        return cls(**raw)
    except ConfigError as exc:
        raise ConfigError(f"{where}: {exc}") from exc


# --------------------------------------------------------------------------- training


@settings_dataclass
class RecipeSettings(Settings):
    """A training recipe: what pre-training, fine-tuning, ICONS' warm-up (``TrainSettings``)
    and GRPO (``GrpoSettings``) share. The defaults are the fine-tuning ones."""

    method: TrainMethod = "lora"  # full: every weight trained; lora: low-rank adapters
    learning_rate: Rate = 2e-3  # peak learning rate
    max_steps: Count = 100  # > 0: fixed step count; 0: run `epochs` over the data
    epochs: NonNegative = 1.0  # passes over the data when max_steps is 0
    batch_size: Positive = 16  # samples per device per step
    grad_accum: Positive = 1  # steps whose gradients are summed before an update
    lr_scheduler: LrScheduler = "constant"  # the learning rate's schedule after warm-up
    weight_decay: NonNegative = 0.0  # AdamW's decoupled weight decay
    lora_r: Positive = 8  # LoRA rank
    lora_alpha: Positive = 16  # LoRA scale numerator (scale = alpha / r)
    # modules that get LoRA adapters (a regular expression on module names)
    lora_target: str = r".*language_model.*\.(q_proj|k_proj|v_proj|o_proj|gate_proj|up_proj|down_proj)"
    bf16: bool = False  # bfloat16 autocast (GPUs)
    gradient_checkpointing: bool = False  # recompute activations in the backward pass (less memory)
    save_steps: Positive = 50  # steps between checkpoints (a killed run resumes from the last)
    logging_steps: Positive = 10  # steps between loss log lines
    seed: Seed = 0  # data order and initialisation
    # InternVL dynamic tiling of the training images (1: one 448px tile, LLaMA-Factory's
    # default). ``finetune.max_tiles`` also sets the features', ICONS' and GRPO's tiles;
    # evaluation has its own, ``evaluate.max_tiles`` (lmms-eval's internvl_hf: up to 12).
    max_tiles: Tiles = 1

    @model_validator(mode="after")
    def _steps_or_epochs(self):
        if self.max_steps <= 0 and self.epochs <= 0:
            raise ConfigError("training needs max_steps > 0 or epochs > 0")
        return self


@settings_dataclass
class TrainSettings(RecipeSettings):
    """One training recipe, shared by every source so fine-tunes are comparable."""

    warmup_ratio: Annotated[float, Field(ge=0, lt=1)] = 0.0  # share of the steps with a linear warm-up
    lora_dropout: Fraction = 0.0  # dropout on the LoRA adapters' input
    freeze_vision: bool = True  # keep the vision tower's weights fixed
    freeze_projector: bool = True  # keep the vision-to-language projector's weights fixed
    # Precision policy. ``load_dtype`` is the dtype the weights are loaded in; when it is not
    # float32, the trainable ones are upcast to float32 and the frozen ones stay in it, as
    # LLaMA-Factory does with `bf16: true` (its default, `pure_bf16: false`). ``save_dtype``
    # is the dtype the trained weights are written in (evaluation loads them in its own).
    load_dtype: Dtype = "float32"
    save_dtype: Dtype = "float32"  # the dtype the trained weights are written in
    dataloader_workers: Count = 0  # processes that decode and tile images beside training


@settings_dataclass
class BaseSettings(Settings):
    """The mini base model: the tiny InternVL's shape and its pretraining recipe."""

    model_spec: dict = field(default_factory=dict)  # TinyModelSpec fields
    training: TrainSettings = field(default_factory=TrainSettings)  # the pretraining recipe
    # With web data (testbed v2): the share of the pretraining mixture drawn from the
    # benchmarks' pretrain splits (0: web only). Without web data the base is pretrained on
    # the benchmarks' pretrain splits alone (testbed v1) and this is not read.
    benchmark_share: BenchmarkShare = 0.0


@settings_dataclass
class ModelSettings(Settings):
    """The paper study's base checkpoint: a hub id (fetched once) or a folder already on disk."""

    id: str = "OpenGVLab/InternVL3-2B-hf"  # a Hugging Face hub id
    revision: str | None = None  # a tag or commit; pin it for an exactly repeatable study
    local_dir: str | None = None  # a pre-downloaded copy (clusters whose GPU nodes are offline)
    # A system turn before every prompt: None keeps the checkpoint's chat template as it is
    # (InternVL3-2B-hf's has none); a name of ``modeling.SYSTEM_PROMPTS`` or any text.
    system_prompt: str | None = None


@settings_dataclass
class ComputeSettings(Settings):
    """GPUs per job and the multi-GPU strategy; 0 GPUs runs the stage on CPU without a launcher."""

    gpus: GpuCounts = field(default_factory=dict)  # {"finetune": 4, "evaluate": 1, "features": 1}
    strategy: Strategy = "ddp"  # accelerate config in config/accelerate/<strategy>.yaml

    @model_validator(mode="after")
    def _one_gpu_stages(self):
        for stage in ("evaluate", "features", "gradients"):
            if self.gpus_for(stage) > 1:
                raise ConfigError(
                    f"gpus.{stage} is {self.gpus_for(stage)}, but {stage} jobs use one GPU each "
                    f"(spread the work over jobs instead: one per model or per dataset)"
                )
        return self

    def gpus_for(self, stage: str) -> int:
        return int(self.gpus.get(stage, 0))


# --------------------------------------------------------------------------- data


@settings_dataclass
class GenerateSettings(Settings):
    """A mini-suite dataset: samples per split, seed and image size."""

    sizes: dict  # {"pretrain": n, "train": n, "test": n}, optionally "dev": n
    seed: Seed = 0
    image_size: ImageSize = 64
    options: dict = field(default_factory=dict)  # the dataset's difficulty settings (config key 'suite')
    instructions: bool = True  # append each dataset's answer-format instruction (data.instructions)


@settings_dataclass
class WebSection(Settings):
    """The config section ``web`` (mini, testbed v2): the base's pretraining collages."""

    samples: Count = Field(
        default=0, description="0: no web data; the base is pretrained on the benchmarks' pretrain splits (v1)"
    )
    benchmark_share: BenchmarkShare = Field(
        default=0.0, description="share of the base's pretraining mixture from the benchmarks' pretrain splits"
    )


@settings_dataclass
class WebSettings(WebSection):
    """The v2 testbed base's pretraining collages (``dataprophet.data.suite.web``)."""

    seed: Seed = 0
    image_size: ImageSize = 64


@settings_dataclass
class PrepareSettings(Settings):
    """A registry dataset sampled into contract tables (paper scale)."""

    sizes: dict  # {"train": n, "test": n}
    seed: Seed = 0
    on_bad_rows: BadRows = "error"  # "error" stops at the first bad row; "skip" writes a rejects file
    instructions: bool = GenerateSettings.instructions


@settings_dataclass
class CheckDataSettings(Settings):
    """Which registry datasets' hand-fetched files to check (paper scale); () = every one."""

    datasets: tuple[str, ...] = ()


# --------------------------------------------------------------------------- ground truth


@settings_dataclass
class EvalSettings(Settings):
    batch_size: Positive = 64  # prompts per generation batch
    max_new_tokens: Positive = 8  # answer length cap, in tokens
    # Longer generation budgets for free-text metrics, e.g. {"rouge_l": 256} for Chart2Text.
    max_new_tokens_by_metric: dict[str, Positive] = field(default_factory=dict)
    max_tiles: Tiles = 1  # InternVL dynamic tiling: at most this many 448px tiles (+ thumbnail)
    dtype: Dtype = "float32"  # the dtype models are loaded in for evaluation (and features)

    def tokens_for(self, metric: str) -> int:
        return int(self.max_new_tokens_by_metric.get(metric, self.max_new_tokens))


@settings_dataclass
class GroundTruthSettings(Settings):
    """Which models' scores form the rows (sources) and which targets the columns."""

    sources: tuple[str, ...]
    targets: tuple[str, ...]


@settings_dataclass
class SeedMeanSettings(Settings):
    labels: tuple[str, ...]  # one per Delta table, e.g. ("seed0", "seed1")


@settings_dataclass
class AgreementSettings(Settings):
    labels: tuple[str, ...]  # one per Delta table, e.g. ("seed0", "seed1")
    variant: TauVariant = "b"  # the tau the predictors are judged with (prophet.tau_variant)
    exclude_diagonal: bool = False


@settings_dataclass
class HeatmapSettings(Settings):
    title: str = "Relative improvement Delta(s->t)"
    noise_z: float = NOISE_Z  # cells with |Delta| <= noise_z * standard error are marked
    # study: a study's Delta table (fractions), diverging colours at 0; paper-delta and
    # paper-metric: a published matrix as printed (data/published/), drawn as the paper's
    # Figure 2 (blues on a square-root scale, in %) or metric figure (Spectral, min to max),
    # in the file's row and column order, with the mean row and column
    style: HeatmapStyle = "study"


@settings_dataclass
class ExtractPublishedSettings(Settings):
    """``dataprophet extract-published``: the paper's matrices read from its two figures."""

    datasets: Annotated[int, Field(ge=2)] = 14  # the matrices are datasets x datasets
    # Largest allowed |printed mean - mean of the printed cells|, in the figure's units: with
    # cells and means both rounded to two decimals it cannot exceed 0.01 when read right.
    mean_tolerance: NonNegative = 0.01


@settings_dataclass
class PublishedMatricesSettings(Settings):
    """``dataprophet published-matrices``: the published matrices as the study's tables."""

    # {dataset: {"family": ..., "mirrors": <paper dataset>}}: which Table 1 name each of the
    # study's datasets is
    datasets: dict = field(default_factory=dict)
    delta_unit: float = 100.0  # the published Delta is printed in %: divided by this


@settings_dataclass
class PublishedSummarySettings(Settings):
    """``dataprophet published-summary``: the recomputed Table 1 beside the printed one."""

    datasets: dict = field(default_factory=dict)  # {dataset: {"mirrors": <paper dataset>, ...}}
    # |recomputed - printed| up to this is rounding (the paper prints three decimals)
    tolerance: float = 0.0005


@settings_dataclass
class ProvenanceSettings(Settings):
    """``dataprophet provenance``: the study's resolved config, recorded as it ran."""

    config: dict = field(default_factory=dict)


@settings_dataclass
class SummarySettings(Settings):
    """``dataprophet summary``: which study, at which scale, standing in for which datasets."""

    study: str
    scale: Scale = "mini"
    datasets: dict = field(default_factory=dict)  # {dataset: {"mirrors": <paper dataset>, ...}}


@settings_dataclass
class FiguresSettings(Settings):
    """``dataprophet figures``: the titles the drawing stages use, so a redraw matches them."""

    heatmap_title: str = HeatmapSettings.title
    metric_title: str = "DataProphet score M(s->t)"
    noise_z: float = NOISE_Z


@settings_dataclass
class TestbedSettings(Settings):
    """Regime statistics of the ground truth (no predictor is looked at)."""

    noise_z: float = NOISE_Z


# --------------------------------------------------------------------------- prophet


@settings_dataclass
class FeatureSettings(Settings):
    """Feature extraction from the frozen base model (one dataset split at a time)."""

    samples: Count = 0  # uniform subsample per dataset; 0 = all
    seed: Seed = 0
    batch_size: Positive = 64
    text_encoder: TextEncoder = "mllm"  # "mllm" (the paper) or "minilm" (sensitivity check)
    max_tiles: Tiles = EvalSettings.max_tiles
    dtype: Dtype = EvalSettings.dtype


@settings_dataclass
class PredictSettings(Settings):
    """Every factor and M(s->t) from stored features."""

    kmeans_k: KmeansK = 10  # clusters for the diversity term
    seed: Seed = 0
    title: str = "DataProphet score M(s->t)"


@settings_dataclass
class TauSettings(Settings):
    variant: TauVariant = AgreementSettings.variant
    exclude_diagonal: bool = AgreementSettings.exclude_diagonal
    bootstrap: Bootstrap = 2000
    seed: Seed = 0


@settings_dataclass
class RankSettings(TauSettings):
    # {dataset: {"family": ..., "mirrors": <the paper dataset it stands for>}}
    datasets: dict = field(default_factory=dict)


@settings_dataclass
class AblationSettings(TauSettings):
    """``dataprophet ablations``: tau of every metric variant and baseline from stored factors."""

    datasets: dict = field(default_factory=dict)  # {dataset: {"family": ...}}: the family baseline
    # More variants, each a product of stored factors: {"QSim x PPL": ["qsim", "ppl"]}
    extra: dict = field(default_factory=dict)


@settings_dataclass
class ScoreSettings(FeatureSettings):
    """``dataprophet score``: features of the user's datasets, then M for one target."""

    samples: Count = 500
    kmeans_k: KmeansK = PredictSettings.kmeans_k


@settings_dataclass
class ProphetSettings(Settings):
    """The config section ``prophet``: feature sampling, clustering and ranking options."""

    samples_source: Count = Field(default=0, description="per source train split; 0 = all")
    samples_target: Count = Field(default=0, description="per target test split; 0 = all")
    batch_size: Positive = FeatureSettings.batch_size  # samples per feature-extraction batch
    # mllm: the base model's own text features (the paper); minilm: a sentence encoder (sensitivity check)
    text_encoder: TextEncoder = FeatureSettings.text_encoder
    kmeans_k: KmeansK = PredictSettings.kmeans_k  # clusters of the diversity term
    seed: Seed = 0  # feature subsampling, clustering and bootstrap
    tau_variant: TauVariant = TauSettings.variant  # Kendall's tau-a or tau-b for judging the predictors
    exclude_diagonal: bool = TauSettings.exclude_diagonal  # leave each target's own source out of its ranking
    bootstrap: Bootstrap = Field(
        default=TauSettings.bootstrap,
        description="bootstrap resamples of the tau intervals (fewer give no meaningful interval)",
    )
    jobs_per_dataset: bool = Field(
        default=False, description="one feature job per dataset (GPU clusters) instead of one per split"
    )
    ablations: dict[str, Annotated[list[str], Field(min_length=1)]] = Field(
        default_factory=dict,
        description="more ablation variants, each a product of stored factors: {name: [qsim, ppl, ...]}",
    )
    model: str = Field(
        default="",
        description="saved model folder whose features give the study's M; empty = the study's base (docs/proxies.md)",
    )
    proxies: dict[Annotated[str, Field(pattern=NAME_PATTERN)], Annotated[str, Field(min_length=1)]] = Field(
        default_factory=dict,
        description="{name: saved model folder}: M computed with each proxy too, judged alike (docs/proxies.md)",
        json_schema_extra={"additionalProperties": False},  # a name not matching the pattern is refused
    )


# --------------------------------------------------------------------------- analysis, selection


@settings_dataclass
class CostSettings(Settings):
    gpus: dict = field(default_factory=dict)  # GPUs per job by stage, e.g. {"finetune": 4}


@settings_dataclass
class AllocateSettings(Settings):
    method: AllocationMethod
    budget: Budget  # samples per target


@settings_dataclass
class ExtendSettings(Settings):
    """Samples beyond a dataset's train and test tables: the source's pool extension (the
    paper's "full split" past its 20K subset) and the target's validation split (ICONS),
    both disjoint from every table the study already has."""

    sizes: dict  # the study's sizes (mini: the generator replays them to stay disjoint)
    pool_extra: Count  # extra samples per source; paper: at most this many (the split may hold fewer)
    val_size: Positive  # validation samples per target, disjoint from its test table
    seed: Seed = 0
    image_size: ImageSize = 64
    options: dict = field(default_factory=dict)  # mini: the dataset's difficulty settings


@settings_dataclass
class MixtureSettings(Settings):
    """One training mixture: a target's column of an allocation table, drawn from the pools."""

    target: str  # a column of the allocation table, or "all" for a target-independent one
    seed: Seed = 0


@settings_dataclass
class IconsSettings(Settings):
    """ICONS (Wu et al. 2024) as its official code does it: LoRA warm-up on a uniform subset
    of the pool, per-example LoRA gradients on answer tokens, a seeded random projection,
    unit vectors, influence = mean cosine with the target's validation gradients."""

    warmup_samples: Positive = Field(
        default=500, description="uniform subset of the pool (all sources) for the LoRA warm-up"
    )
    warmup: TrainSettings = field(default_factory=TrainSettings)  # LoRA by default, as ICONS
    projection_dim: Positive = Field(default=5120, description="random projection dimension (ICONS: 5120)")
    block_dims: Positive = Field(default=8192, description="gradient coordinates per generated block of the projection")
    batch_size: Positive = 16  # examples per batched gradient pass
    seed: Seed = Field(default=0, description="projection seed")
    top_percent: TopPercent = Field(
        default=20.0, description="consensus: each target votes for its top share (ICONS: 20)"
    )
    jobs_per_dataset: bool = Field(
        default=False, description="one gradients job per dataset (GPU clusters) instead of one per pool"
    )


@settings_dataclass
class GradientSettings(Settings):
    """``dataprophet gradients``: projected per-example LoRA gradients of one dataset."""

    projection_dim: Positive = IconsSettings.projection_dim
    block_dims: Positive = IconsSettings.block_dims
    batch_size: Positive = IconsSettings.batch_size
    seed: Seed = IconsSettings.seed
    max_tiles: Tiles = EvalSettings.max_tiles


@settings_dataclass
class InfluenceSettings(Settings):
    """``dataprophet influence``: ICONS selections from stored gradients."""

    budget: Budget
    targets: tuple[str, ...]  # those that get a per-target ICONS mixture
    top_percent: TopPercent = IconsSettings.top_percent
    name: str = "icons"  # the mixtures' method name: <name>/<target>, <name>_consensus/all


@settings_dataclass
class SelectionSettings(Settings):
    """The config section ``selection``: budgeted selection of real training data per target,
    each mixture fine-tuned and scored on its target (the paper's Table 3, left half)."""

    budget: Annotated[int, Field(ge=0, le=MAX_BUDGET)] = Field(
        default=0, description="samples per target; 0 = sources x sizes.train (the paper's 14 x 20K)"
    )
    # mixtures made and scored for each target
    methods: Annotated[tuple[SelectionMethod, ...], Field(min_length=1)] = get_args(SelectionMethod)
    targets: tuple[str, ...] = Field(
        default=(), description="targets that get mixtures (fine-tuned and scored); empty = every dataset"
    )
    pool_extra: Count = Field(
        default=0, description="per source, samples past sizes.train a mixture may draw (the full split)"
    )
    val_size: Positive = Field(
        default=100, description="per target, ICONS validation samples, disjoint from its test table"
    )
    seed: Seed = Field(default=0, description="seed of every mixture draw")
    evaluate_all: bool = Field(default=False, description="score each mixture on every dataset, not only its target")
    icons: IconsSettings = field(default_factory=IconsSettings)  # the ICONS baseline


@settings_dataclass
class GeneratorSettings(Settings):
    """One generator model of the synthetic pool. ``openai``: a model behind an
    OpenAI-compatible chat API (the key is read from the environment variable named by
    ``api_key_env``, never from the config). ``procedural``: the mini study's rule-based
    stand-in, with its own style and error profile (``dataprophet.synthetic.procedural``)."""

    # short name: in sample ids, the cache folder and the share table
    name: Annotated[str, Field(pattern=NAME_PATTERN)]
    kind: GeneratorKind = "procedural"
    stands_in_for: str = ""  # the paper's generator this one plays (e.g. "GPT-5")
    style: GeneratorStyle = "paraphrase"  # procedural only
    error_rate: Fraction = 0.0  # procedural: share of pairs with a wrong answer
    malformed_rate: Fraction = 0.0  # procedural: share of replies that break the output format
    model: str = ""  # openai: the model name the API expects
    base_url: str = ""  # openai: e.g. https://api.openai.com/v1
    api_key_env: str = Field(
        default="", description="the NAME of the environment variable holding the key, never the key"
    )
    temperature: float | None = None  # openai: None = the API's default
    max_tokens: Positive = 2048  # openai: reply length cap (max_completion_tokens)
    detail: ImageDetail = "auto"  # openai: image detail of the request

    @model_validator(mode="after")
    def _openai_needs(self):
        if self.kind == "openai":
            missing = [k for k in ("model", "base_url", "api_key_env") if not getattr(self, k)]
            if missing:
                raise ConfigError(f"generator {self.name!r} (kind openai) needs {missing}")
        return self


def _distinct_names(generators: tuple) -> tuple:
    names = [g.name for g in generators]
    if len(set(names)) != len(names):
        raise ConfigError(f"give at least one generator, with distinct names (got {names})")
    return generators


Generators = Annotated[tuple[GeneratorSettings, ...], AfterValidator(_distinct_names)]


@settings_dataclass
class GenerationSettings(Settings):
    """How generator models are asked for synthetic pairs: what the config section
    ``synthetic`` and the ``dataprophet synthesize`` stage share."""

    pairs_per_image: Positive = 5  # question-answer pairs asked per image
    # "short answer" (the paper: "several words or a number"); the suite's longest reference answer has 6
    max_answer_words: Positive = Field(default=8, description="a longer answer is rejected")
    seed: Seed = 0  # image halves and the uniform draws
    send: bool = Field(default=False, description="API generators send requests only when true")
    concurrency: Positive = 4  # requests in flight at once, per generator
    requests_per_minute: NonNegative = Field(default=0, description="per generator; 0 = no limit")
    # the client retries timeouts
    timeout: Rate = Field(default=120.0, description="seconds per request")
    max_retries: Count = 5  # the openai client's retries of 408/409/429/5xx, timeouts, dropped connections


@settings_dataclass
class SyntheticSettings(GenerationSettings):
    """The config section ``synthetic``: a pool of question-answer pairs written by generator
    models about the sources' train images, then per-sample selection, trained and scored
    (the paper's Table 3, right half). The selection targets are ``selection.targets``.
    Absent, or without generators: not run."""

    images_per_dataset: Count = Field(
        default=0, description="first N train images per dataset, shared between the generators; 0 = all"
    )
    budget: Annotated[int, Field(ge=0, le=MAX_BUDGET)] = Field(
        default=0, description="pairs per target; 0 = the real-data budget (selection.budget)"
    )
    threshold: float | None = Field(
        default=None, description="DataProphet keeps every pair with m(u) >= this instead of the top budget"
    )
    # selections from the pool, each fine-tuned and scored
    methods: Annotated[tuple[SyntheticMethod, ...], Field(min_length=1)] = get_args(SyntheticMethod)
    generators: Generators = ()  # the generator models; none: the synthetic stages are not run


@settings_dataclass
class SynthesizeSettings(GenerationSettings):
    """``dataprophet synthesize``: one dataset's synthetic pairs from its train images."""

    generators: Generators  # the images are split between them in equal shares
    images: Count = 0  # the first N images of the train table; 0 = all
    dry_run: bool = False  # print the requests and the token estimate, send nothing
    instructions: bool = GenerateSettings.instructions  # the pair's metric's instruction on each question

    @model_validator(mode="after")
    def _some_generator(self):
        if not self.generators:
            raise ConfigError("generators: give at least one generator, with distinct names (got [])")
        return self


@settings_dataclass
class SyntheticSelectSettings(Settings):
    """``dataprophet synthetic-select``: per-sample DataProphet top-K for each target, the
    uniform draw and ICONS' warm-up subset from the synthetic pool, and the generator shares."""

    budget: Budget
    targets: tuple[str, ...]
    warmup_samples: Positive = IconsSettings.warmup_samples
    seed: Seed = 0
    generators: dict = field(default_factory=dict)  # {generator name: the paper generator it stands in for}
    score_targets: tuple[str, ...] = ()  # targets every pair is scored against (the RL stage's); () = targets
    threshold: float | None = None  # DataProphet keeps every pair with m(u) >= this instead of the top budget


@settings_dataclass
class SyntheticTableSettings(Settings):
    """``dataprophet synthetic-table``: the synthetic-selection table beside the paper's."""

    methods: tuple[SyntheticMethod, ...]
    targets: tuple[str, ...]
    datasets: dict = field(default_factory=dict)  # {dataset: {"family":..., "mirrors":...}}


@settings_dataclass
class GrpoSettings(RecipeSettings):
    """``dataprophet grpo``: GRPO with TRL's GRPOTrainer, a training recipe with GRPO's own
    defaults. Defaults map verl's Qwen2.5-VL GRPO example onto TRL options where TRL has them
    (README, "RL with GRPO"); the reward is the target's own scorer on the answer."""

    learning_rate: Rate = 1e-6  # verl: actor lr 1e-6
    batch_size: Positive = 10  # completions per device per step; with grad_accum a multiple of num_generations
    epochs: NonNegative = 15.0  # verl: total_epochs 15
    max_steps: Count = 0  # > 0 overrides epochs
    weight_decay: NonNegative = 0.01
    lora_r: Positive = 64
    lora_alpha: Positive = 128
    bf16: bool = True  # on GPUs only
    gradient_checkpointing: bool = True
    save_steps: Positive = 20
    logging_steps: Positive = 1
    num_generations: Annotated[int, Field(ge=2)] = 5  # verl: rollout.n 5
    max_completion_length: Positive = 2048  # verl: max_response_length 2048
    temperature: Rate = 1.0  # sampling temperature of the rollouts
    beta: NonNegative = 0.01  # verl: kl_loss_coef 0.01 (low_var_kl = TRL's k3 without bias correction)
    epsilon: NonNegative = 0.2  # verl: clip_ratio 0.2
    loss_type: GrpoLoss = "dapo"  # verl: token-mean
    scale_rewards: RewardScaling = "group"  # how advantages are normalised (TRL's scale_rewards)
    max_grad_norm: NonNegative = 1.0  # gradient clipping
    # Qwen2.5-VL's image size: at most this many pixels (28x28 per image token, so 512 tokens);
    # its processor's own limit (12.8 M pixels) gives a document page up to 16,384 tokens.
    max_pixels: Annotated[int, Field(ge=56 * 56)] = Field(
        default=512 * 28 * 28,
        description="Qwen2.5-VL: images scaled down to at most this many pixels (28x28 per image token)",
    )
    # Prompts (image tokens, system turn, question) longer than this are dropped before
    # training, as verl's filter_overlong_prompts does with max_prompt_length 1024; 0 keeps all.
    max_prompt_tokens: Count = Field(
        default=1024,
        description="prompts longer than this many tokens are dropped (verl's filter_overlong_prompts); 0 keeps all",
    )

    @model_validator(mode="after")
    def _whole_groups(self):
        if (self.batch_size * self.grad_accum) % self.num_generations:
            raise ConfigError(
                f"batch_size x grad_accum ({self.batch_size} x {self.grad_accum}) must be a multiple of "
                f"num_generations ({self.num_generations}): each prompt's group of completions is one unit"
            )
        return self


@settings_dataclass
class RlSettings(Settings):
    """The config section ``rl``: RL post-training with GRPO on a prompt budget split over the
    datasets (the paper's Table 4), each run scored on every dataset. Absent: not run."""

    prompts_per_dataset: Positive = Field(
        default=300, description="the budget is this x the number of datasets (the paper: 300)"
    )
    runs: tuple[RlRun, ...] = get_args(RlRun)  # the RL runs, each trained and scored
    seed: Seed = 0  # prompt draws and GRPO
    model_id: str = Field(
        default="", description="the RL model (paper: Qwen/Qwen2.5-VL-3B-Instruct); empty = the study's base"
    )
    model_revision: str | None = None  # a tag or commit of the RL model
    model_local_dir: str | None = None  # a pre-downloaded copy of the RL model
    grpo: GrpoSettings = field(default_factory=GrpoSettings)


@settings_dataclass
class RlPromptsSettings(Settings):
    """``dataprophet rl-prompts``: the prompt set of every RL run."""

    budget: Budget
    runs: tuple[RlRun, ...]
    seed: Seed = 0


@settings_dataclass
class RlTableSettings(Settings):
    """``dataprophet rl-table``: every run's score on every dataset, beside the paper's Table 4."""

    runs: tuple[RlRun, ...]
    targets: tuple[str, ...]  # every dataset, in the study's order (the table's rows)
    datasets: dict = field(default_factory=dict)  # {dataset: {"family":..., "mirrors":...}}


@settings_dataclass
class SelectSettings(ScoreSettings):
    """``dataprophet select``: a training mixture for the user's target from their sources;
    the scoring settings are ``dataprophet score``'s."""

    budget: Budget
    method: Literal["uniform", "dataprophet"] = "dataprophet"


@settings_dataclass
class SelectSamplesSettings(Settings):
    """Per-sample selection: the ``k`` pool samples that score highest for one target."""

    k: Positive


@settings_dataclass
class SelectionTableSettings(Settings):
    """``dataprophet selection-table``: the scores of every mixture, beside the paper's."""

    methods: tuple[SelectionMethod, ...]
    targets: tuple[str, ...]
    datasets: dict = field(default_factory=dict)  # {dataset: {"family":..., "mirrors":...}}


@settings_dataclass
class PredictorsSettings(TauSettings):
    """``dataprophet predictors``: every predictor of Delta judged alike, with its cost."""

    gpus: dict = field(default_factory=dict)  # GPUs per job by stage (device-seconds)
    families: dict = field(default_factory=dict)  # {dataset: family}: the family baseline


# --------------------------------------------------------------------------- the config file


class Sizes(TypedDict):
    """Samples per split of every dataset."""

    __pydantic_config__ = ConfigDict(extra="forbid")  # type: ignore[misc]

    pretrain: NotRequired[Positive]  # mini only: the base's pretraining split
    train: Positive  # each source's train table (fine-tuning, features)
    test: Positive  # each target's test table (evaluation, features)
    # mini: a dev split, disjoint from the others, drawn after them (testbed pilots)
    dev: NotRequired[Count]


class TinyModelKeys(TypedDict, total=False):
    """The tiny InternVL's shape (``dataprophet.model.modeling.TinyModelSpec``; mini only)."""

    __pydantic_config__ = ConfigDict(extra="forbid")  # type: ignore[misc]

    image_size: int
    patch_size: int
    vision_hidden: int
    vision_layers: int
    vision_heads: int
    vision_layer_scale: float
    text_hidden: int
    text_layers: int
    text_heads: int
    text_kv_heads: int
    vocab_size: int
    embedding_init_std: float


class Threads(TypedDict, total=False):
    """CPU threads per job of each stage."""

    __pydantic_config__ = ConfigDict(extra="forbid")  # type: ignore[misc]

    base: Positive
    finetune: Positive
    evaluate: Positive
    features: Positive
    gradients: Positive
    grpo: Positive


class PublishedFiles(TypedDict):
    """The paper's printed matrices, sources as rows, the paper's dataset names."""

    __pydantic_config__ = ConfigDict(extra="forbid")  # type: ignore[misc]

    delta: str  # Delta(s->t) in % (data/published/delta.csv)
    metric: str  # M(s->t), same layout (data/published/metric.csv)


# Paper scale has no pretrain split: the base is the released checkpoint.
SPLITS = {"mini": ("pretrain", "train", "test"), "paper": ("train", "test")}
# Keys of the mini scale only (the paper study starts from the released checkpoint).
MINI_KEYS = ("pretrain", "tiny_model", "image_size")
# Sections that configure model stages, which the published study does not run.
MODEL_SECTIONS = ("rl", "synthetic", "selection", "finetune", "pretrain", "tiny_model", "finetune_seeds", "model")


class StudyConfig(BaseModel):
    """A study's YAML config (config/*.yaml): every key, its type, default and bounds. Its
    sections are the settings classes above; the checks that need several sections are its
    validators. ``schema/config.schema.yaml`` and ``config/README.md`` are generated from it
    (``python -m dataprophet.config_schema``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]+$")] = Field(
        description="study name; every output goes under results/<name>/"
    )
    scale: Scale = Field(
        description="mini: generated suite + tiny model; paper: registry datasets + released checkpoint"
    )
    registry: str = Field(default="config/datasets", description="paper scale: folder of dataset registry files")
    registry_overrides: str | None = Field(
        default=None, description="paper scale: yaml {dataset: {changes}} merged into the registry"
    )
    instructions: bool = Field(
        default=GenerateSettings.instructions,
        description="append each dataset's answer-format instruction to its questions (data/instructions.py)",
    )
    on_bad_rows: BadRows = Field(
        default="error",
        description="paper scale: stop at the first bad row, or skip bad rows into a rejects file",
    )
    model: ModelSettings = Field(default_factory=ModelSettings, description="paper scale: the base checkpoint")
    compute: ComputeSettings = Field(default_factory=ComputeSettings, description="GPUs per job and strategy")
    seed: Seed = Field(default=0, description="data-generation seed")
    datasets: Annotated[tuple[str, ...], Field(min_length=2)] | SkipJsonSchema[None] = Field(
        default=None,
        description="dataset names, each both a source and a target (checked against the registry); absent = all",
    )
    image_size: ImageSize = Field(default=64, description="mini: pixels per side of the generated images")
    sizes: Sizes = Field(description="samples per split of every dataset")
    suite: dict[str, dict[str, float]] = Field(
        default_factory=dict,
        description="mini: per-dataset difficulty settings, {dataset: {setting: number}} (data/suite/)",
    )
    web: WebSection = Field(default_factory=WebSection, description="mini, testbed v2: the base's pretraining collages")
    eval_split: Literal["test", "dev"] = Field(
        default="test", description="the split targets are scored on (dev: testbed pilots only)"
    )
    sources: tuple[str, ...] = Field(
        default=(),
        description="the sources fine-tuned for the ground truth (default: every dataset; a subset needs stop_after)",
    )
    stop_after: Literal["testbed"] | None = Field(
        default=None, description="testbed: plan the ground truth and its statistics only (testbed pilots)"
    )
    tiny_model: TinyModelKeys = Field(default_factory=dict, description="mini: the tiny InternVL's shape")
    pretrain: TrainSettings = Field(default_factory=TrainSettings, description="mini: the base's pretraining recipe")
    finetune: TrainSettings = Field(default_factory=TrainSettings, description="the fine-tuning recipe")
    finetune_seeds: Annotated[tuple[Seed, ...], Field(min_length=1)] = Field(
        default=(0,),
        description="training seeds; the first gives tables/, two or more give the noise-ceiling table",
    )
    evaluate: EvalSettings = Field(default_factory=EvalSettings, description="evaluation of every model")
    prophet: ProphetSettings = Field(default_factory=ProphetSettings, description="DataProphet's features and M")
    selection: SelectionSettings = Field(
        default_factory=SelectionSettings, description="real-data selection (the paper's Table 3, left half)"
    )
    synthetic: SyntheticSettings = Field(
        default_factory=SyntheticSettings,
        description="the synthetic pool (Table 3, right half); absent or no generators = not run",
    )
    rl: RlSettings | SkipJsonSchema[None] = Field(
        default=None, description="RL post-training with GRPO (Table 4); absent = not run"
    )
    threads: Threads = Field(default_factory=dict, description="CPU threads per job of each stage")
    published: PublishedFiles | SkipJsonSchema[None] = Field(
        default=None,
        description="a study of the paper's printed matrices (config/published.yaml): no model stage runs",
    )

    @model_validator(mode="after")
    def _across_sections(self):
        """What one key cannot say alone; each message names the key to change."""
        given = self.model_fields_set
        for split in SPLITS[self.scale]:
            if int(self.sizes.get(split, 0)) <= 0:
                raise ConfigError(f"config key 'sizes.{split}' must be a positive sample count")
        if self.scale == "paper":
            for key in MINI_KEYS:
                if key in given:
                    raise ConfigError(
                        f"config key '{key}' belongs to the mini scale; the paper study starts "
                        f"from the released checkpoint (config key 'model')"
                    )
            if self.suite:
                raise ConfigError("config key 'suite' sets mini-suite difficulty; the paper study reads real datasets")
            if self.web.samples:
                raise ConfigError(
                    "config key 'web': web pretraining data is for the mini base; "
                    "the paper study starts from a checkpoint"
                )
        if self.published is not None:
            sections = [key for key in MODEL_SECTIONS if key in given]
            if sections:
                raise ConfigError(
                    "config key 'published': a study of the paper's printed matrices trains no model; "
                    f"remove {sections}"
                )
        if self.eval_split == "dev" and int(self.sizes.get("dev", 0)) <= 0:
            raise ConfigError("config key 'eval_split' is 'dev', but 'sizes.dev' gives no dev split")
        if (self.sources or self.eval_split != "test") and self.stop_after is None:
            raise ConfigError(
                "config keys 'sources' and 'eval_split: dev' are for testbed pilots: set 'stop_after: testbed' "
                "(the prophet, selection and RL stages need every source scored on the test split)"
            )
        if len(set(self.finetune_seeds)) != len(self.finetune_seeds):
            raise ConfigError(f"config key 'finetune_seeds' must list distinct seeds, got {list(self.finetune_seeds)}")
        if self.rl is not None:
            wanted = [r for r in self.rl.runs if r.endswith("_synthetic")]
            if wanted and not self.synthetic.generators:
                raise ConfigError(
                    f"config key 'rl.runs': {wanted} need the synthetic pool; configure 'synthetic.generators'"
                )
            if len(set(self.rl.runs)) != len(self.rl.runs):
                raise ConfigError(f"config key 'rl.runs': runs repeat: {list(self.rl.runs)}")
        return self

    @classmethod
    def from_raw(cls, raw: dict) -> StudyConfig:
        """The config from a YAML dict; a bad value is a :class:`ConfigError` naming its key."""
        try:
            return cls.model_validate(raw)
        except ValidationError as exc:
            key, text = describe_error(cls, exc)
            if not key:
                raise ConfigError(text.removeprefix(": ")) from None
            raise ConfigError(f"config key '{key}'{text}") from None


# --------------------------------------------------------------------------- flags


def _plain(value):
    if is_dataclass(value):
        return asdict(value)
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value


def to_flags(settings, only: tuple[str, ...] = (), skip: tuple[str, ...] = ()) -> str:
    """The settings as command-line flags (shell-quoted) that the ``dataprophet`` command's
    parser (jsonargparse, derived from the same class) reads back to an equal object: every
    field written out (or only those in ``only``, less those in ``skip``), ``None`` left out
    (every optional field defaults to ``None``), booleans as true/false, lists and mappings
    as JSON."""
    parts = []
    for f in fields(settings):
        if (only and f.name not in only) or f.name in skip:
            continue
        value = getattr(settings, f.name)
        if value is None:
            continue
        if isinstance(value, bool):
            text = "true" if value else "false"
        elif isinstance(value, (str, int, float)):
            text = str(value)
        else:
            text = json.dumps(_plain(value), sort_keys=True)
        parts += [f"--{f.name}", shlex.quote(text)]
    return " ".join(parts)
