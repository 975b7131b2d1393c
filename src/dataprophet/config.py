"""The study: a YAML config turned into typed settings, validated once at the edge.

Every key is defined once, in ``dataprophet.settings`` (``StudyConfig`` and the settings
classes it is made of). The Snakefile validates the raw YAML against the package's
``schema/config.schema.yaml``, generated from that model (``python -m
dataprophet.config_schema``), and then calls :func:`load_study`, which validates through the
model and checks what needs files on disk (dataset names against the suite or the registry,
budgets against the sizes, model folders). Each stage gets its own settings
object from a ``Study`` method (``finetune_settings``, ``feature_settings``, ...), and the
rules pass it on as command-line flags, so code deep in the library never reads the config.
"""

from __future__ import annotations

import functools
from dataclasses import asdict, dataclass, replace
from importlib import resources
from pathlib import Path

from dataprophet.settings import (
    NOISE_Z,
    AblationSettings,
    AgreementSettings,
    AllocateSettings,
    BaseSettings,
    CheckDataSettings,
    ComputeSettings,
    ConfigError,
    CostSettings,
    EvalSettings,
    ExtendSettings,
    FeatureSettings,
    FiguresSettings,
    GenerateSettings,
    GradientSettings,
    GroundTruthSettings,
    GrpoSettings,
    HeatmapSettings,
    InfluenceSettings,
    MixtureSettings,
    ModelSettings,
    PredictorsSettings,
    PredictSettings,
    PrepareSettings,
    ProphetSettings,
    ProvenanceSettings,
    PublishedMatricesSettings,
    PublishedSummarySettings,
    RankSettings,
    RlPromptsSettings,
    RlSettings,
    RlTableSettings,
    SeedMeanSettings,
    SelectionSettings,
    SelectionTableSettings,
    StudyConfig,
    SummarySettings,
    SynthesizeSettings,
    SyntheticSelectSettings,
    SyntheticSettings,
    SyntheticTableSettings,
    TestbedSettings,
    TrainSettings,
    WebSection,
    WebSettings,
)

__all__ = ["ConfigError", "Study", "load_study", "load_study_file", "validate_against_schema"]


@dataclass(frozen=True, kw_only=True)
class Study:
    """The validated study: which datasets, which sizes, which recipes. Built by
    :func:`load_study` from :class:`~dataprophet.settings.StudyConfig`, where every key's
    type, default and meaning are (so this class repeats none of them): the config's values
    with the dataset names resolved and the files found."""

    name: str
    scale: str
    datasets: tuple[str, ...]
    seed: int
    sizes: dict
    registry: str  # resolved: relative to the working directory or the workflow folder
    registry_overrides: str | None
    on_bad_rows: str
    instructions: bool
    model: ModelSettings
    compute: ComputeSettings
    image_size: int
    tiny_model: dict
    pretrain: TrainSettings
    finetune: TrainSettings
    finetune_seeds: tuple[int, ...]
    evaluate: EvalSettings
    prophet: ProphetSettings  # with its model folders resolved
    selection: SelectionSettings
    synthetic: SyntheticSettings
    rl: RlSettings | None  # None: no RL stage (no `rl` section in the config)
    threads: dict
    suite: dict
    web: WebSection
    eval_split: str
    sources: tuple[str, ...]
    stop_after: str | None
    published: dict | None  # {"delta": path, "metric": path}: the published study's files

    @property
    def ft_sources(self) -> tuple[str, ...]:
        """The sources fine-tuned for the ground truth (every dataset unless ``sources`` says)."""
        return self.sources or self.datasets

    @property
    def selection_budget(self) -> int:
        return selection_budget(self.selection, self.datasets, self.sizes)

    @property
    def results(self) -> str:
        return f"results/{self.name}"

    # Each stage's settings, built from the config sections (the rules render them as flags).

    def generate_settings(self, dataset: str) -> GenerateSettings:
        return GenerateSettings(
            sizes=self.sizes,
            seed=self.seed,
            image_size=self.image_size,
            options=dict(self.suite.get(dataset, {})),
            instructions=self.instructions,
        )

    def web_settings(self) -> WebSettings:
        return WebSettings(**asdict(self.web), seed=self.seed, image_size=self.image_size)

    def prepare_settings(self) -> PrepareSettings:
        sizes = {k: self.sizes[k] for k in ("train", "test")}
        return PrepareSettings(
            sizes=sizes, seed=self.seed, on_bad_rows=self.on_bad_rows, instructions=self.instructions
        )

    def check_data_settings(self) -> CheckDataSettings:
        return CheckDataSettings(datasets=tuple(self.datasets))

    def base_settings(self) -> BaseSettings:
        return BaseSettings(
            model_spec=self.tiny_model, training=self.pretrain, benchmark_share=self.web.benchmark_share
        )

    def finetune_settings(self, seed: int) -> TrainSettings:
        return replace(self.finetune, seed=int(seed))

    def groundtruth_settings(self) -> GroundTruthSettings:
        return GroundTruthSettings(sources=self.ft_sources, targets=self.datasets)

    def seed_mean_settings(self) -> SeedMeanSettings:
        return SeedMeanSettings(labels=tuple(f"seed{s}" for s in self.finetune_seeds))

    def agreement_settings(self) -> AgreementSettings:
        return AgreementSettings(
            labels=tuple(f"seed{s}" for s in self.finetune_seeds),
            variant=self.prophet.tau_variant,
            exclude_diagonal=self.prophet.exclude_diagonal,
        )

    def testbed_settings(self) -> TestbedSettings:
        return TestbedSettings()

    def heatmap_settings(self) -> HeatmapSettings:
        n = len(self.finetune_seeds)
        seeds = f"mean of {n} seeds, hatched: within {NOISE_Z:g} SE of 0" if n > 1 else f"seed {self.finetune_seeds[0]}"
        return HeatmapSettings(title=f"{self.name} study: relative improvement Delta(s->t), {seeds}")

    def provenance_settings(self, config: dict) -> ProvenanceSettings:
        """``config``: the resolved config dict (as Snakemake holds it after validation)."""
        return ProvenanceSettings(config=config)

    def summary_settings(self) -> SummarySettings:
        return SummarySettings(study=self.name, scale=self.scale, datasets=self.dataset_info)

    def figures_settings(self) -> FiguresSettings:
        return FiguresSettings(heatmap_title=self.heatmap_settings().title, metric_title=self.predict_settings().title)

    def feature_settings(self, split: str) -> FeatureSettings:
        """``split``: train (sources), test (targets) or synthetic (the whole synthetic pool)."""
        samples = {"train": self.prophet.samples_source, "test": self.prophet.samples_target, "synthetic": 0}[split]
        return FeatureSettings(
            samples=samples,
            seed=self.prophet.seed,
            batch_size=self.prophet.batch_size,
            text_encoder=self.prophet.text_encoder,
            max_tiles=self.finetune.max_tiles,  # the tiles training sees, not evaluation's
            dtype=self.evaluate.dtype,
        )

    def predict_settings(self) -> PredictSettings:
        return PredictSettings(kmeans_k=self.prophet.kmeans_k, seed=self.prophet.seed)

    @functools.cached_property
    def dataset_info(self) -> dict:
        """{dataset: {"family": ..., "mirrors": ...}}, read once (at paper scale from the registry)."""
        from dataprophet.data import dataset_info

        return dataset_info(self.scale, self.datasets, self.registry, self.registry_overrides)

    def _tau_fields(self) -> dict:
        """The tau settings every ranking stage shares (prophet section)."""
        p = self.prophet
        return {
            "variant": p.tau_variant,
            "exclude_diagonal": p.exclude_diagonal,
            "bootstrap": p.bootstrap,
            "seed": p.seed,
        }

    def rank_settings(self) -> RankSettings:
        return RankSettings(**self._tau_fields(), datasets=self.dataset_info)

    def ablation_settings(self) -> AblationSettings:
        return AblationSettings(**self._tau_fields(), datasets=self.dataset_info, extra=self.prophet.ablations)

    def cost_settings(self) -> CostSettings:
        return CostSettings(gpus=self.compute.gpus)

    # Data selection (the paper's Table 3, left half).

    @property
    def selection_targets(self) -> tuple[str, ...]:
        return self.selection.targets or self.datasets

    def extend_settings(self, dataset: str) -> ExtendSettings:
        return ExtendSettings(
            options=dict(self.suite.get(dataset, {})),
            sizes=self.sizes,
            pool_extra=self.selection.pool_extra,
            val_size=self.selection.val_size,
            seed=self.seed,
            image_size=self.image_size,
        )

    def allocate_settings(self, name: str) -> AllocateSettings:
        """``name``: an allocation method, or ``warmup`` (ICONS' uniform warm-up subset)."""
        if name == "warmup":
            return AllocateSettings(method="uniform", budget=self.selection.icons.warmup_samples)
        return AllocateSettings(method=name, budget=self.selection_budget)

    def mixture_settings(self, target: str) -> MixtureSettings:
        return MixtureSettings(target=target, seed=self.selection.seed)

    def mixture_finetune_settings(self, budget: int | None = None) -> TrainSettings:
        """The per-source recipe scaled to the budget (the real-data one unless given): the
        same learning rate and the same passes over the data, so steps grow with the mixture
        (max_steps x budget / train size), or the same epochs when the recipe counts epochs."""
        recipe = self.finetune_settings(self.finetune_seeds[0])
        budget = self.selection_budget if budget is None else budget
        if recipe.max_steps > 0:
            steps = max(1, round(recipe.max_steps * budget / int(self.sizes["train"])))
            return replace(recipe, max_steps=steps)
        return recipe

    def warmup_settings(self) -> TrainSettings:
        return replace(self.selection.icons.warmup, seed=self.selection.seed, max_tiles=self.finetune.max_tiles)

    def gradient_settings(self) -> GradientSettings:
        icons = self.selection.icons
        return GradientSettings(
            projection_dim=icons.projection_dim,
            block_dims=icons.block_dims,
            batch_size=icons.batch_size,
            seed=icons.seed,
            max_tiles=self.finetune.max_tiles,
        )

    def influence_settings(self, name: str = "icons") -> InfluenceSettings:
        """``name``: icons (real data) or synthetic_icons (the synthetic pool)."""
        budget = self.synthetic_budget if name == "synthetic_icons" else self.selection_budget
        return InfluenceSettings(
            budget=budget, targets=self.selection_targets, top_percent=self.selection.icons.top_percent, name=name
        )

    def selection_table_settings(self) -> SelectionTableSettings:
        info = {t: self.dataset_info[t] for t in self.selection_targets}
        return SelectionTableSettings(methods=self.selection.methods, targets=self.selection_targets, datasets=info)

    # The synthetic pool (the paper's Table 3, right half).

    @property
    def synthetic_enabled(self) -> bool:
        return bool(self.synthetic.generators)

    @property
    def synthetic_budget(self) -> int:
        return self.synthetic.budget or self.selection_budget

    def synthesize_settings(self) -> SynthesizeSettings:
        s = self.synthetic
        return SynthesizeSettings(
            generators=s.generators,
            images=s.images_per_dataset,
            pairs_per_image=s.pairs_per_image,
            max_answer_words=s.max_answer_words,
            seed=s.seed,
            send=s.send,
            concurrency=s.concurrency,
            requests_per_minute=s.requests_per_minute,
            timeout=s.timeout,
            max_retries=s.max_retries,
            instructions=self.instructions,
        )

    def synthetic_select_settings(self) -> SyntheticSelectSettings:
        return SyntheticSelectSettings(
            budget=self.synthetic_budget,
            targets=self.selection_targets,
            warmup_samples=self.selection.icons.warmup_samples,
            seed=self.synthetic.seed,
            generators={g.name: g.stands_in_for for g in self.synthetic.generators},
            score_targets=self.datasets if self.rl_synthetic_runs else (),
            threshold=self.synthetic.threshold,
        )

    def synthetic_table_settings(self) -> SyntheticTableSettings:
        info = {t: self.dataset_info[t] for t in self.selection_targets}
        return SyntheticTableSettings(methods=self.synthetic.methods, targets=self.selection_targets, datasets=info)

    # RL post-training (the paper's Table 4).

    @property
    def rl_enabled(self) -> bool:
        return self.rl is not None and bool(self.rl.runs)

    @property
    def rl_runs(self) -> tuple[str, ...]:
        return self.rl.runs if self.rl_enabled else ()

    @property
    def rl_synthetic_runs(self) -> tuple[str, ...]:
        return tuple(r for r in self.rl_runs if r.endswith("_synthetic"))

    @property
    def rl_base(self) -> str:
        """The RL model's folder under models/: the study's base, or a second checkpoint."""
        return "rl_base" if self.rl_enabled and self.rl.model_id else "base"

    def rl_model_settings(self) -> ModelSettings:
        return ModelSettings(id=self.rl.model_id, revision=self.rl.model_revision, local_dir=self.rl.model_local_dir)

    def rl_prompts_settings(self) -> RlPromptsSettings:
        return RlPromptsSettings(
            budget=self.rl.prompts_per_dataset * len(self.datasets), runs=self.rl.runs, seed=self.rl.seed
        )

    def grpo_settings(self) -> GrpoSettings:
        return replace(self.rl.grpo, seed=self.rl.seed, max_tiles=self.finetune.max_tiles)

    def rl_table_settings(self) -> RlTableSettings:
        return RlTableSettings(runs=self.rl.runs, targets=self.datasets, datasets=self.dataset_info)

    # The published study (config/published.yaml): the paper's printed matrices, no model.

    def published_matrices_settings(self) -> PublishedMatricesSettings:
        return PublishedMatricesSettings(datasets=self.dataset_info)

    def published_summary_settings(self) -> PublishedSummarySettings:
        return PublishedSummarySettings(datasets=self.dataset_info)

    def published_heatmap_settings(self, matrix: str) -> HeatmapSettings:
        """``matrix``: delta (the paper's Figure 2) or metric (its metric figure)."""
        titles = {"delta": "Relative Improvement from Baseline (%)", "metric": "Our Metric"}
        return HeatmapSettings(title=f"{titles[matrix]} (published values)", style=f"paper-{matrix}")

    def predictors_settings(self) -> PredictorsSettings:
        families = {name: d["family"] for name, d in self.dataset_info.items()}
        return PredictorsSettings(**self._tau_fields(), gpus=self.compute.gpus, families=families)


def _check_datasets(names, valid, key: str) -> tuple[str, ...]:
    unknown = [n for n in names if n not in valid]
    if unknown:
        raise ConfigError(f"config key '{key}': unknown dataset name(s) {unknown}; valid names: {sorted(valid)}")
    if len(set(names)) != len(names):
        raise ConfigError(f"config key '{key}': dataset names repeat: {list(names)}")
    return tuple(names)


def _check_ablations(extra: dict) -> None:
    from dataprophet.prophet.factors import ABLATIONS, FACTORS

    for name, factors in extra.items():
        where = f"config key 'prophet.ablations.{name}'"
        if name in ABLATIONS:
            raise ConfigError(f"{where}: {name!r} is a built-in variant; give the new one another name")
        unknown = [f for f in factors if f not in FACTORS]
        if unknown or not factors or len(set(factors)) != len(factors):
            raise ConfigError(f"{where}: {list(factors)} must name distinct stored factors among {list(FACTORS)}")


def _check_selection(selection: SelectionSettings, datasets: tuple[str, ...], sizes: dict) -> None:
    """Target names, and budgets the pools cannot meet."""
    if 0 < selection.budget < len(datasets):
        raise ConfigError(
            f"config key 'selection.budget': a budget of {selection.budget} samples is smaller than the "
            f"number of sources ({len(datasets)}); every source must be able to get a sample"
        )
    if selection.targets:
        _check_datasets(selection.targets, datasets, "selection.targets")
    pool = len(datasets) * (int(sizes["train"]) + selection.pool_extra)
    budget = selection_budget(selection, datasets, sizes)
    if budget > pool:
        raise ConfigError(
            f"config key 'selection.budget': {budget} samples per target, but the {len(datasets)} sources hold "
            f"{pool} (sizes.train + selection.pool_extra each); raise 'selection.pool_extra' or lower the budget"
        )
    warmup = selection.icons.warmup_samples
    if not len(datasets) <= warmup <= pool:
        raise ConfigError(
            f"config key 'selection.icons.warmup_samples': {warmup} must be between the number of sources "
            f"({len(datasets)}) and the pool ({pool})"
        )


def selection_budget(selection: SelectionSettings, datasets: tuple[str, ...], sizes: dict) -> int:
    """Samples per target: ``selection.budget``, or 0 for the paper's N = sources x sizes.train."""
    return selection.budget or len(datasets) * int(sizes["train"])


def _check_synthetic(synthetic: SyntheticSettings, datasets: tuple[str, ...], sizes: dict, selection) -> None:
    """Budgets the synthetic pool cannot meet, before anything is generated."""
    if not synthetic.generators:
        return
    images = synthetic.images_per_dataset or int(sizes["train"])
    if images > int(sizes["train"]):
        raise ConfigError(
            f"config key 'synthetic.images_per_dataset': {images} images, but each train table holds {sizes['train']}"
        )
    if images < len(synthetic.generators):
        raise ConfigError(
            f"config key 'synthetic.images_per_dataset': {images} images cannot be shared by "
            f"{len(synthetic.generators)} generators"
        )
    most = len(datasets) * images * synthetic.pairs_per_image
    budget = synthetic.budget or selection_budget(selection, datasets, sizes)
    for key, value in (
        ("synthetic.budget", budget),
        ("selection.icons.warmup_samples", selection.icons.warmup_samples),
    ):
        if value > most:
            raise ConfigError(
                f"config key '{key}': {value} pairs, but the synthetic pool can hold at most {most} "
                f"({len(datasets)} datasets x {images} images x {synthetic.pairs_per_image} pairs, before validation)"
            )


def _check_rl(rl: RlSettings | None, sizes) -> None:
    if rl is not None and rl.prompts_per_dataset > int(sizes["train"]):
        raise ConfigError(
            f"config key 'rl.prompts_per_dataset': {rl.prompts_per_dataset} prompts, but each train table holds "
            f"{sizes['train']}; the equal split must be able to draw them"
        )


def _check_published(published: dict | None, base_dir: str | Path | None) -> dict | None:
    """The published study's two files, found (relative to the working directory or the
    workflow folder)."""
    if published is None:
        return None
    out = {}
    for key in ("delta", "metric"):
        path = _resolve(str(published[key]), base_dir)
        if not Path(path).is_file():
            raise ConfigError(f"config key 'published.{key}': file {published[key]} does not exist")
        out[key] = path
    return out


def _check_prophet_models(prophet: ProphetSettings, base_dir: str | Path | None) -> ProphetSettings:
    """``prophet.model`` and ``prophet.proxies``: each folder resolved (``_resolve``) and, when it
    exists, checked to be a saved model of a supported type, so a wrong folder fails here,
    naming the config key, not in a feature job. A folder the study itself makes later (not
    there yet) is left to Snakemake."""
    import json

    from dataprophet.model import vlms

    def checked(path: str, key: str) -> str:
        resolved = _resolve(str(path), base_dir)
        folder = Path(resolved)
        if not folder.exists():
            return resolved
        config_file = folder / "config.json"
        if not config_file.is_file():
            raise ConfigError(f"config key '{key}': {resolved} is not a saved model folder (no config.json)")
        model_type = json.loads(config_file.read_text()).get("model_type", "")
        try:
            vlms.family(model_type, resolved)
        except ValueError as exc:
            raise ConfigError(f"config key '{key}': {exc}") from None
        return resolved

    model = checked(prophet.model, "prophet.model") if prophet.model else prophet.model
    proxies = {name: checked(path, f"prophet.proxies.{name}") for name, path in prophet.proxies.items()}
    return replace(prophet, model=model, proxies=proxies)


def _resolve(path: str, base_dir: str | Path | None) -> str:
    """A relative path as given when it exists from the working directory, else from the
    workflow folder (``snakemake -d elsewhere`` still finds the repo's registry)."""
    if Path(path).is_absolute() or Path(path).exists() or base_dir is None:
        return path
    return str(Path(base_dir) / path)


def _valid_datasets(scale: str, folder: str) -> tuple[str, ...]:
    from dataprophet.data import dataset_names

    try:
        return dataset_names(scale, folder)
    except ValueError as exc:
        raise ConfigError(str(exc)) from exc


def load_study(config: dict, base_dir: str | Path | None = None) -> Study:
    """Typed study from the config dict (keys, types, bounds and cross-section checks by
    :class:`StudyConfig`), then what needs files on disk: dataset names against the suite or
    the registry, budgets against the sizes, model folders. Relative registry paths that do
    not exist from the working directory are taken from ``base_dir`` (the workflow folder)."""
    cfg = StudyConfig.from_raw(config)
    registry = _resolve(cfg.registry, base_dir)
    valid = _valid_datasets(cfg.scale, registry)
    datasets = _check_datasets(cfg.datasets if cfg.datasets is not None else list(valid), valid, "datasets")
    sizes = dict(config["sizes"])
    published = _check_published(cfg.published, base_dir)
    overrides = cfg.registry_overrides
    if overrides is not None:
        overrides = _resolve(overrides, base_dir)
    if overrides is not None and not Path(overrides).exists():
        raise ConfigError(f"config key 'registry_overrides': file {overrides} does not exist")
    prophet = cfg.prophet
    usable = min(prophet.samples_source or sizes["train"], sizes["train"])
    if usable <= prophet.kmeans_k:
        raise ConfigError(
            f"config key 'prophet.samples_source': {usable} source samples cannot form "
            f"kmeans_k={prophet.kmeans_k} clusters; use more samples or a smaller 'prophet.kmeans_k'"
        )
    _check_ablations(prophet.ablations)
    prophet = _check_prophet_models(prophet, base_dir)
    _check_selection(cfg.selection, datasets, sizes)
    _check_synthetic(cfg.synthetic, datasets, sizes, cfg.selection)
    _check_rl(cfg.rl, sizes)
    suite = dict(config.get("suite") or {})
    for name, options in suite.items():
        if name not in datasets:
            raise ConfigError(f"config key 'suite.{name}': not a dataset of this study ({', '.join(datasets)})")
        try:
            from dataprophet.data.suite import check_options

            check_options(name, options)
        except ValueError as exc:
            raise ConfigError(str(exc)) from exc
    sources = _check_datasets(cfg.sources, datasets, "sources") if cfg.sources else ()
    return Study(
        name=cfg.name,
        scale=cfg.scale,
        datasets=datasets,
        seed=cfg.seed,
        sizes=sizes,
        registry=registry,
        registry_overrides=overrides,
        on_bad_rows=cfg.on_bad_rows,
        instructions=cfg.instructions,
        model=cfg.model,
        compute=cfg.compute,
        image_size=cfg.image_size,
        # the keys as given (a config's own numbers, not the model's coerced ones)
        tiny_model=dict(config.get("tiny_model", {})),
        pretrain=cfg.pretrain,
        finetune=cfg.finetune,
        finetune_seeds=cfg.finetune_seeds,
        evaluate=cfg.evaluate,
        prophet=prophet,
        selection=cfg.selection,
        synthetic=cfg.synthetic,
        rl=cfg.rl,
        threads=dict(config.get("threads", {})),
        suite=suite,
        web=cfg.web,
        eval_split=cfg.eval_split,
        sources=sources,
        stop_after=cfg.stop_after,
        published=published,
    )


def load_study_file(path: str | Path) -> Study:
    """Load and validate a config file outside Snakemake (tests, notebooks)."""

    raw = read_yaml(path)
    try:
        validate_against_schema(raw)
        return load_study(raw)
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}{key_line(path, str(exc))}") from None


def read_yaml(path: str | Path) -> dict:
    """A YAML config as a dict; a syntax error names the file, line and column (1-based)."""
    import yaml

    try:
        raw = yaml.safe_load(Path(path).read_text())
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f" line {mark.line + 1}, column {mark.column + 1}:" if mark else ""
        raise ConfigError(f"{path}:{where} not valid YAML ({exc.problem or exc.context})") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML ({exc})") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping of config keys, got {type(raw).__name__}")
    return raw


def key_line(path: str | Path, message: str) -> str:
    """ " (line N)" for the config key a ConfigError message names ("config key 'a.b'" or
    "a.b: ..."), found in the YAML file; "" when it is not there."""
    import re

    import yaml

    match = re.search(r"config key '([^']+)'", message) or re.match(r"([\w.]+):", message)
    if not match:
        return ""
    node = yaml.compose(Path(path).read_text())
    line = None
    for part in match.group(1).split("."):
        if isinstance(node, yaml.SequenceNode) and part.isdigit() and int(part) < len(node.value):
            node = node.value[int(part)]
            line = node.start_mark.line + 1
            continue
        if not isinstance(node, yaml.MappingNode):
            break
        found = [(key, value) for key, value in node.value if key.value == part]
        if not found:
            break
        key, node = found[-1]  # the last of repeated keys is the one YAML keeps
        line = key.start_mark.line + 1
    return f" (line {line})" if line else ""


def where_in_files(files: list[str | Path], message: str) -> str:
    """ " (in <file>, line N)" for the last of ``files`` that sets the key ``message`` names."""
    for path in reversed([Path(f) for f in files]):
        try:
            found = key_line(path, message)
        except Exception:  # noqa: BLE001 -- an unreadable file just gives no place
            continue
        if found:
            return f" (in {path}, {found.strip(' ()')})"
    return ""


def schema_text() -> str:
    """The config schema, shipped inside the package (works for any kind of install); it is
    generated from ``StudyConfig`` (``dataprophet.config_schema``)."""
    return resources.files("dataprophet").joinpath("schema", "config.schema.yaml").read_text()


_SCALAR_TYPES = {"integer", "number", "boolean", "null"}


def _coerce(value, node: dict, defs: dict):
    """``value`` with text turned into the number, boolean or null the schema asks for."""
    if "$ref" in node:
        node = defs[node["$ref"].split("/")[-1]]
    if "anyOf" in node:  # X | None: the branch that fits the value's shape, else every type named
        branches = [defs[n["$ref"].split("/")[-1]] if "$ref" in n else n for n in node["anyOf"]]
        shape = "object" if isinstance(value, dict) else "array" if isinstance(value, list) else None
        fitting = [b for b in branches if shape and b.get("type") == shape]
        if fitting:
            node = fitting[0]
        else:
            node = {"type": [t for b in branches for t in ([b["type"]] if isinstance(b.get("type"), str) else [])]}
    if isinstance(value, dict):
        props = node.get("properties", {})
        extra = node.get("additionalProperties")
        return {k: _coerce(v, props.get(k, extra if isinstance(extra, dict) else {}), defs) for k, v in value.items()}
    if isinstance(value, list):
        return [_coerce(v, node.get("items", {}), defs) for v in value]
    types = node.get("type", [])
    types = {types} if isinstance(types, str) else set(types)
    if isinstance(value, str) and types & _SCALAR_TYPES and "string" not in types:
        import yaml

        parsed = yaml.safe_load(value)
        if isinstance(parsed, str) and "number" in types:  # YAML 1.1 reads "2e-3" as text
            try:
                return float(parsed)
            except ValueError:
                return value
        if isinstance(parsed, bool) or parsed is None:
            return parsed
        if isinstance(parsed, (int, float)):
            return float(parsed) if "number" in types and "integer" not in types else parsed
    return value


def coerce_by_schema(raw: dict) -> dict:
    """Snakemake reads nested ``--config`` values as text (``finetune='{learning_rate: 2.0e-3}'``
    gives the string "2.0e-3"): turn such text into the type the schema asks for, so a
    command-line override means what it says. Values of the wrong kind are left for the
    schema check to name."""
    import yaml

    schema = yaml.safe_load(schema_text())
    return _coerce(dict(raw), schema, schema.get("$defs", {}))


def validate_against_schema(raw: dict) -> None:
    """JSON-schema check with a message that names the offending key."""
    import jsonschema
    import yaml

    schema = yaml.safe_load(schema_text())
    errors = sorted(jsonschema.Draft202012Validator(schema).iter_errors(raw), key=lambda e: list(e.path))
    if errors:
        err = errors[0]
        key = ".".join(str(p) for p in err.path) or "<top level>"
        hint = ""
        if err.validator == "additionalProperties":
            hint = f"; valid keys here: {sorted(err.schema.get('properties', {}))}"
        raise ConfigError(f"config key '{key}': {err.message}{hint}")
