# DataProphet reproduction workflow.
#   mini study (default):  snakemake            (profile profiles/default: all local cores)
#   smoke study:           snakemake --configfile config/smoke.yaml
#   paper study (SLURM):   snakemake --configfile config/paper.yaml --workflow-profile profiles/slurm
#   published study:       snakemake --configfile config/published.yaml   (seconds: Table 1 from
#                          the paper's printed matrices, no model; workflow/rules/analysis.smk)
# Every output goes under results/<study name>/. Each rule calls the `dataprophet` command of
# the same name (docs/architecture.md).

import os
from typing import get_args

from dataprophet.config import ConfigError, coerce_by_schema, load_study, validate_against_schema, where_in_files
from dataprophet.settings import RlRun, SelectionMethod, SyntheticMethod, to_flags


# A study config is complete on its own: `--configfile` replaces the default mini study
# instead of being merged into it (mini keys would leak into the paper study). Small changes
# on top of any study: `--config key=value`.
if not workflow.overwrite_configfiles:

    configfile: os.path.join(workflow.basedir, "config/config.yaml")


# Validated once, at DAG build: key names and types (JSON schema), then dataset names.
# Command-line overrides arrive as text; they are read as the schema's types first.
# An error names the config key, and the file and line that set it (the last config file
# that has the key; none when it came from --config).
config.update(coerce_by_schema(config))
try:
    validate_against_schema(config)
    STUDY = load_study(config, base_dir=workflow.basedir)
except ConfigError as exc:
    files = list(workflow.overwrite_configfiles) or [os.path.join(workflow.basedir, "config/config.yaml")]
    raise ConfigError(f"{exc}{where_in_files(files, str(exc))}") from None
R = STUDY.results
DATASETS = list(STUDY.datasets)
SEEDS = list(STUDY.finetune_seeds)
PRIMARY_SEED = SEEDS[0]
DATASET_PATTERN = "|".join(DATASETS)
# Mixture methods: real data, and the synthetic pool's (synthetic_<method>).
SELECTION_METHODS = "|".join([*get_args(SelectionMethod), *(f"synthetic_{m}" for m in get_args(SyntheticMethod))])
RL_RUNS = "|".join(get_args(RlRun))


wildcard_constraints:
    dataset=DATASET_PATTERN,
    source=DATASET_PATTERN,
    seed=r"\d+",
    split="pretrain|train|test|synthetic",
    # a fine-tune: seed<k>/<source>, mix/<method>/<target>, or ICONS' warm-up (real or synthetic)
    run=rf"seed\d+/({DATASET_PATTERN})|mix/({SELECTION_METHODS})/(all|{DATASET_PATTERN})|(synthetic_)?icons_warmup",
    # an evaluated model: the base, a fine-tune of the ground truth or of a mixture, an RL run
    model=rf"base|seed\d+/({DATASET_PATTERN})|mix/({SELECTION_METHODS})/(all|{DATASET_PATTERN})|rl/({RL_RUNS})|rl_base",
    rl_run=RL_RUNS,  # an RL run (rl.smk)




include: "workflow/rules/common.smk"


if STUDY.published:

    # The paper's printed matrices: no model stage is planned, only the analysis rules.
    include: "workflow/rules/analysis.smk"

    report: "workflow/report/workflow.rst"

    rule all:
        input:
            published_outputs(),

else:

    # One rule file per package of src/dataprophet, holding that package's stage rules.
    include: "workflow/rules/data.smk"
    include: "workflow/rules/model.smk"
    include: "workflow/rules/truth.smk"
    include: "workflow/rules/prophet.smk"
    include: "workflow/rules/analysis.smk"
    include: "workflow/rules/selection.smk"

    if STUDY.synthetic_enabled:

        include: "workflow/rules/synthetic.smk"

    if STUDY.rl_enabled:

        include: "workflow/rules/rl.smk"

    report: "workflow/report/workflow.rst"

    rule all:
        input:
            all_outputs(),
