"""Typed study configuration, validated once at the edge.

The Snakefile validates the raw YAML against ``workflow/schemas/config.schema.yaml`` (key
names and types) and then calls :func:`load_study`, which checks what a schema cannot
(dataset names against the registry, budgets). Rules pass each stage its own section as
JSON, so code deep in the library never reads global config.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path


class ConfigError(ValueError):
    """A config value that cannot work; the message names the key."""


@dataclass(frozen=True)
class TrainSettings:
    """One training recipe, shared by every source so fine-tunes are comparable."""

    method: str = "lora"  # "full" or "lora"
    learning_rate: float = 2e-3
    max_steps: int = 100  # > 0: fixed step count; 0: run `epochs` over the data
    epochs: float = 1.0
    batch_size: int = 16
    grad_accum: int = 1
    warmup_ratio: float = 0.0
    lr_scheduler: str = "constant"
    weight_decay: float = 0.0
    lora_r: int = 8
    lora_alpha: int = 16
    lora_dropout: float = 0.0
    lora_target: str = r".*language_model.*\.(q_proj|k_proj|v_proj|o_proj|gate_proj|up_proj|down_proj)"
    freeze_vision: bool = True
    freeze_projector: bool = True
    bf16: bool = False
    gradient_checkpointing: bool = False
    save_steps: int = 50
    logging_steps: int = 10
    seed: int = 0

    def __post_init__(self):
        if self.method not in ("full", "lora"):
            raise ConfigError(f"train method {self.method!r} is not one of 'full', 'lora'")
        if self.max_steps <= 0 and self.epochs <= 0:
            raise ConfigError("train settings need max_steps > 0 or epochs > 0")

    def with_seed(self, seed: int) -> "TrainSettings":
        return TrainSettings(**{**asdict(self), "seed": seed})


@dataclass(frozen=True)
class EvalSettings:
    batch_size: int = 64
    max_new_tokens: int = 8
    max_tiles: int = 1
    dtype: str = "float32"


@dataclass(frozen=True)
class ProphetSettings:
    """Training-free stage: feature sampling, clustering and ranking options."""

    samples_source: int = 0  # per source train split; 0 = all
    samples_target: int = 0  # per target test split; 0 = all
    batch_size: int = 64
    text_encoder: str = "mllm"  # "mllm" (the paper) or "minilm" (sensitivity check)
    kmeans_k: int = 10
    seed: int = 0
    tau_variant: str = "b"
    exclude_diagonal: bool = False
    bootstrap: int = 2000

    def __post_init__(self):
        if self.text_encoder not in ("mllm", "minilm"):
            raise ConfigError(f"text_encoder {self.text_encoder!r} is not one of 'mllm', 'minilm'")
        if self.tau_variant not in ("a", "b"):
            raise ConfigError(f"tau_variant {self.tau_variant!r} is not one of 'a', 'b'")


def settings_from_json(cls, text: str):
    """Build a settings dataclass from the JSON a rule passes; unknown keys are errors."""
    return _build(cls, json.loads(text), f"{cls.__name__} settings")


def to_json(settings) -> str:
    return json.dumps(asdict(settings), sort_keys=True)


@dataclass(frozen=True)
class Study:
    """The validated study: which datasets, which sizes, which recipes."""

    name: str
    scale: str
    datasets: tuple[str, ...]
    seed: int
    sizes: dict = field(default_factory=dict)
    image_size: int = 64
    tiny_model: dict = field(default_factory=dict)
    pretrain: TrainSettings = field(default_factory=TrainSettings)
    finetune: TrainSettings = field(default_factory=TrainSettings)
    finetune_seeds: tuple[int, ...] = (0,)
    evaluate: EvalSettings = field(default_factory=EvalSettings)
    prophet: ProphetSettings = field(default_factory=ProphetSettings)
    threads: dict = field(default_factory=dict)

    @property
    def results(self) -> str:
        return f"results/{self.name}"


def _check_datasets(names, valid, key: str) -> tuple[str, ...]:
    unknown = [n for n in names if n not in valid]
    if unknown:
        raise ConfigError(f"config key '{key}': unknown dataset name(s) {unknown}; valid names: {sorted(valid)}")
    if len(set(names)) != len(names):
        raise ConfigError(f"config key '{key}': dataset names repeat: {list(names)}")
    return tuple(names)


def _section(cls, raw: dict, key: str):
    return _build(cls, raw, f"config key '{key}'")


def _build(cls, raw: dict, where: str):
    """One settings dataclass from a dict; unknown keys and bad values name ``where``."""
    known = {f.name for f in fields(cls)}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {unknown}; valid keys: {sorted(known)}")
    try:
        return cls(**raw)
    except ConfigError as exc:
        raise ConfigError(f"{where}: {exc}") from exc


def load_study(config: dict) -> Study:
    """Typed study from the (schema-validated) config dict."""
    from dataprophet.suite import SUITE

    scale = config.get("scale", "mini")
    if scale != "mini":
        raise ConfigError(f"config key 'scale': {scale!r} is not supported yet (valid: 'mini')")
    datasets = _check_datasets(config.get("datasets", list(SUITE)), SUITE, "datasets")
    sizes = dict(config["sizes"])
    for split in ("pretrain", "train", "test"):
        if int(sizes.get(split, 0)) <= 0:
            raise ConfigError(f"config key 'sizes.{split}' must be a positive sample count")
    prophet = config.get("prophet", {})
    k = prophet.get("kmeans_k", ProphetSettings.kmeans_k)
    for key, split in (("samples_source", "train"), ("samples_target", "test")):
        usable = prophet.get(key) or sizes[split]
        if key == "samples_source" and min(usable, sizes[split]) <= k:
            raise ConfigError(
                f"config key 'prophet.{key}': {min(usable, sizes[split])} source samples cannot form "
                f"kmeans_k={k} clusters; use more samples or a smaller 'prophet.kmeans_k'"
            )
    seeds = tuple(config.get("finetune_seeds", [0]))
    if not seeds or len(set(seeds)) != len(seeds):
        raise ConfigError(f"config key 'finetune_seeds' must list distinct seeds, got {list(seeds)}")
    return Study(
        name=config["name"],
        scale=scale,
        datasets=datasets,
        seed=int(config.get("seed", 0)),
        sizes=sizes,
        image_size=int(config.get("image_size", 64)),
        tiny_model=dict(config.get("tiny_model", {})),
        pretrain=_section(TrainSettings, config.get("pretrain", {}), "pretrain"),
        finetune=_section(TrainSettings, config.get("finetune", {}), "finetune"),
        finetune_seeds=seeds,
        evaluate=_section(EvalSettings, config.get("evaluate", {}), "evaluate"),
        prophet=_section(ProphetSettings, config.get("prophet", {}), "prophet"),
        threads=dict(config.get("threads", {})),
    )


def load_study_file(path: str | Path) -> Study:
    """Load and validate a config file outside Snakemake (tests, notebooks)."""
    import yaml

    raw = yaml.safe_load(Path(path).read_text())
    validate_against_schema(raw)
    return load_study(raw)


SCHEMA_PATH = Path(__file__).resolve().parents[2] / "workflow" / "schemas" / "config.schema.yaml"


def validate_against_schema(raw: dict, schema_path: Path = SCHEMA_PATH) -> None:
    """JSON-schema check with a message that names the offending key."""
    import jsonschema
    import yaml

    schema = yaml.safe_load(schema_path.read_text())
    errors = sorted(jsonschema.Draft202012Validator(schema).iter_errors(raw), key=lambda e: list(e.path))
    if errors:
        err = errors[0]
        key = ".".join(str(p) for p in err.path) or "<top level>"
        hint = ""
        if err.validator == "additionalProperties":
            hint = f"; valid keys here: {sorted(err.schema.get('properties', {}))}"
        raise ConfigError(f"config key '{key}': {err.message}{hint}")
