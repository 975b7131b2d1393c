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
    # Longer generation budgets for free-text metrics, e.g. {"rouge_l": 256} for Chart2Text.
    max_new_tokens_by_metric: dict = field(default_factory=dict)
    max_tiles: int = 1  # InternVL dynamic tiling: at most this many 448px tiles (+ thumbnail)
    dtype: str = "float32"

    def tokens_for(self, metric: str) -> int:
        return int(self.max_new_tokens_by_metric.get(metric, self.max_new_tokens))


@dataclass(frozen=True)
class ModelSettings:
    """The paper study's base checkpoint: a hub id (fetched once) or a folder already on disk."""

    id: str = "OpenGVLab/InternVL3-2B-hf"
    revision: str | None = None  # a tag or commit; pin it for an exactly repeatable study
    local_dir: str | None = None  # a pre-downloaded copy (clusters whose GPU nodes are offline)


STRATEGIES = ("ddp", "fsdp", "zero2", "zero3")


@dataclass(frozen=True)
class ComputeSettings:
    """GPUs per job and the multi-GPU strategy; 0 GPUs runs the stage on CPU without a launcher."""

    gpus: dict = field(default_factory=dict)  # {"finetune": 4, "evaluate": 1, "features": 1}
    strategy: str = "ddp"  # accelerate config in config/accelerate/<strategy>.yaml

    def __post_init__(self):
        if self.strategy not in STRATEGIES:
            raise ConfigError(f"strategy {self.strategy!r} is not one of {', '.join(STRATEGIES)}")
        for stage in ("evaluate", "features"):
            if self.gpus_for(stage) > 1:
                raise ConfigError(f"gpus.{stage} is {self.gpus_for(stage)}, but {stage} jobs use one GPU each "
                                  f"(spread the work over jobs instead: one per model or per dataset)")

    def gpus_for(self, stage: str) -> int:
        return int(self.gpus.get(stage, 0))


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
    jobs_per_dataset: bool = False  # one feature job per dataset (GPU clusters) or per split

    def __post_init__(self):
        if self.text_encoder not in ("mllm", "minilm"):
            raise ConfigError(f"text_encoder {self.text_encoder!r} is not one of 'mllm', 'minilm'")
        if self.tau_variant not in ("a", "b"):
            raise ConfigError(f"tau_variant {self.tau_variant!r} is not one of 'a', 'b'")


@dataclass(frozen=True)
class SelectionSettings:
    """Budgeted reweighting of real sources per target (the paper's section 5)."""

    budget: int = 0  # samples per target; 0 = the paper's N = (number of sources) x sizes.train
    methods: tuple = ("uniform", "dataprophet", "oracle")

    def __post_init__(self):
        from dataprophet.selection import METHODS

        unknown = [m for m in self.methods if m not in METHODS]
        if unknown:
            raise ConfigError(f"methods {unknown} unknown; valid: {', '.join(METHODS)}")


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
    registry: str = "config/datasets"  # paper scale: the registry folder
    registry_overrides: str | None = None  # paper scale: a yaml of per-dataset changes
    on_bad_rows: str = "error"  # paper scale: "error" stops, "skip" writes a rejects file
    model: ModelSettings = field(default_factory=ModelSettings)
    compute: ComputeSettings = field(default_factory=ComputeSettings)
    image_size: int = 64
    tiny_model: dict = field(default_factory=dict)
    pretrain: TrainSettings = field(default_factory=TrainSettings)
    finetune: TrainSettings = field(default_factory=TrainSettings)
    finetune_seeds: tuple[int, ...] = (0,)
    evaluate: EvalSettings = field(default_factory=EvalSettings)
    prophet: ProphetSettings = field(default_factory=ProphetSettings)
    selection: SelectionSettings = field(default_factory=SelectionSettings)
    threads: dict = field(default_factory=dict)

    @property
    def selection_budget(self) -> int:
        return self.selection.budget or len(self.datasets) * int(self.sizes["train"])

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


SCALES = ("mini", "paper")
# Paper scale has no pretrain split: the base is the released checkpoint.
SPLITS = {"mini": ("pretrain", "train", "test"), "paper": ("train", "test")}


def _resolve(path: str, base_dir: str | Path | None) -> str:
    """A relative path as given when it exists from the working directory, else from the
    workflow folder (``snakemake -d elsewhere`` still finds the repo's registry)."""
    if Path(path).is_absolute() or Path(path).exists() or base_dir is None:
        return path
    return str(Path(base_dir) / path)


def _valid_datasets(scale: str, folder: str) -> tuple[str, ...]:
    """Names a study may use: the generated suite (mini) or the registry folder (paper)."""
    if scale == "mini":
        from dataprophet.suite import SUITE

        return tuple(SUITE)
    folder = Path(folder)
    names = tuple(sorted(p.stem for p in folder.glob("*.yaml")))
    if not names:
        raise ConfigError(f"config key 'registry': {folder} holds no dataset files (*.yaml)")
    return names


def load_study(config: dict, base_dir: str | Path | None = None) -> Study:
    """Typed study from the (schema-validated) config dict; relative registry paths that do
    not exist from the working directory are taken from ``base_dir`` (the workflow folder)."""
    scale = config.get("scale", "mini")
    if scale not in SCALES:
        raise ConfigError(f"config key 'scale': {scale!r} is not one of {', '.join(SCALES)}")
    registry = _resolve(str(config.get("registry", Study.registry)), base_dir)
    valid = _valid_datasets(scale, registry)
    datasets = _check_datasets(config.get("datasets", list(valid)), valid, "datasets")
    sizes = dict(config["sizes"])
    for split in SPLITS[scale]:
        if int(sizes.get(split, 0)) <= 0:
            raise ConfigError(f"config key 'sizes.{split}' must be a positive sample count")
    if scale == "paper":
        for key in ("pretrain", "tiny_model", "image_size"):
            if key in config:
                raise ConfigError(f"config key '{key}' belongs to the mini scale; the paper study starts "
                                  f"from the released checkpoint (config key 'model')")
    overrides = config.get("registry_overrides")
    if overrides is not None:
        overrides = _resolve(str(overrides), base_dir)
    if overrides is not None and not Path(overrides).exists():
        raise ConfigError(f"config key 'registry_overrides': file {overrides} does not exist")
    prophet = config.get("prophet", {})
    k = prophet.get("kmeans_k", ProphetSettings.kmeans_k)
    for key, split in (("samples_source", "train"), ("samples_target", "test")):
        usable = prophet.get(key) or sizes[split]
        if key == "samples_source" and min(usable, sizes[split]) <= k:
            raise ConfigError(
                f"config key 'prophet.{key}': {min(usable, sizes[split])} source samples cannot form "
                f"kmeans_k={k} clusters; use more samples or a smaller 'prophet.kmeans_k'"
            )
    selection = _section(SelectionSettings, config.get("selection", {}), "selection")
    if 0 < selection.budget < len(datasets):
        raise ConfigError(f"config key 'selection.budget': a budget of {selection.budget} samples is smaller than the "
                          f"number of sources ({len(datasets)}); every source must be able to get a sample")
    seeds = tuple(config.get("finetune_seeds", [0]))
    if not seeds or len(set(seeds)) != len(seeds):
        raise ConfigError(f"config key 'finetune_seeds' must list distinct seeds, got {list(seeds)}")
    return Study(
        name=config["name"],
        scale=scale,
        datasets=datasets,
        seed=int(config.get("seed", 0)),
        sizes=sizes,
        registry=registry,
        registry_overrides=overrides,
        on_bad_rows=config.get("on_bad_rows", "error"),
        model=_section(ModelSettings, config.get("model", {}), "model"),
        compute=_section(ComputeSettings, config.get("compute", {}), "compute"),
        image_size=int(config.get("image_size", 64)),
        tiny_model=dict(config.get("tiny_model", {})),
        pretrain=_section(TrainSettings, config.get("pretrain", {}), "pretrain"),
        finetune=_section(TrainSettings, config.get("finetune", {}), "finetune"),
        finetune_seeds=seeds,
        evaluate=_section(EvalSettings, config.get("evaluate", {}), "evaluate"),
        prophet=_section(ProphetSettings, config.get("prophet", {}), "prophet"),
        selection=selection,
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
