# Helpers shared by the stage files: paths, target lists, input functions, the launcher.
# Rules pass every setting as command-line flags (`to_flags`), so Snakemake records each
# value as a parameter and reruns exactly the jobs whose settings changed.

EVAL_SPLIT = STUDY.eval_split  # test; dev for testbed pilots
SOURCES = list(STUDY.ft_sources)  # the sources fine-tuned for the ground truth


def eval_scores(seed):
    return [f"{R}/eval/base/scores.json"] + [f"{R}/eval/seed{seed}/{s}/scores.json" for s in SOURCES]


def feature_files(split):
    return [f"{R}/features/{split}/{d}.npz" for d in DATASETS]


def feature_tables(wildcards):
    """The tables of one feature job: one dataset, or every dataset of the split."""
    names = [wildcards.dataset] if "dataset" in wildcards.keys() else DATASETS
    return [f"{R}/data/{wildcards.split}/{d}.parquet" for d in names]


def finetune_job(run):
    """(train table, settings) of one fine-tune: seed<k>/<source> (the ground truth),
    mix/<method>/<target> (a selection mixture, real or synthetic_<method>), icons_warmup or
    synthetic_icons_warmup (ICONS' warm-up on the real or the synthetic pool)."""
    if run == "icons_warmup":
        return f"{R}/selection/mixtures/warmup/all.parquet", STUDY.warmup_settings()
    if run == "synthetic_icons_warmup":
        return f"{R}/selection/mixtures/synthetic_warmup/all.parquet", STUDY.warmup_settings()
    parts = run.split("/")
    if parts[0] == "mix":
        budget = STUDY.synthetic_budget if parts[1].startswith("synthetic_") else STUDY.selection_budget
        return f"{R}/selection/mixtures/{parts[1]}/{parts[2]}.parquet", STUDY.mixture_finetune_settings(budget)
    return f"{R}/data/train/{parts[1]}.parquet", STUDY.finetune_settings(int(parts[0].removeprefix("seed")))


def evaluate_inputs(wildcards):
    """The base, the target tables and, for a fine-tune (seed<k>/<source>, mix/<method>/<target>,
    rl/<run> on the RL model), its folder. A ground-truth model is scored on every target; a mixture on its own target,
    a shared mixture (<method>/all) on the selection targets, both on every dataset with
    selection.evaluate_all."""
    model = wildcards.model
    if model.startswith("rl/") or model == "rl_base":  # the RL model: scored on every dataset
        inputs = {"base": f"{R}/models/{STUDY.rl_base}", "targets": [f"{R}/data/test/{d}.parquet" for d in DATASETS]}
        if model != "rl_base":
            inputs["finetuned"] = f"{R}/models/{model}"
        return inputs
    if model.startswith("mix/"):
        name = model.split("/")[2]
        if STUDY.selection.evaluate_all:
            names = DATASETS
        else:
            names = list(STUDY.selection_targets) if name == "all" else [name]
    else:
        names = DATASETS
    inputs = {"base": f"{R}/models/base", "targets": [f"{R}/data/{EVAL_SPLIT}/{d}.parquet" for d in names]}
    if model != "base":
        inputs["finetuned"] = f"{R}/models/ft/{model}"
    return inputs


def predictions_files():
    """Every evaluated model's predictions: the base, then each seed's fine-tunes."""
    return [f"{R}/eval/base/predictions.parquet"] + [
        f"{R}/eval/seed{k}/{s}/predictions.parquet" for k in SEEDS for s in SOURCES
    ]


def ground_truth_outputs():
    """Per-seed tables, the seed mean with its standard error, the ceilings, the regime
    statistics and the heatmap."""
    return [
        *[f"{R}/tables/seed{k}/delta.csv" for k in SEEDS],
        f"{R}/tables/delta.csv",
        f"{R}/tables/delta_se.csv",
        f"{R}/tables/noise_ceiling.json",
        f"{R}/tables/testbed.json",
        f"{R}/figures/delta_heatmap.pdf",
        f"{R}/figures/delta_heatmap.png",
    ]


def prophet_outputs():
    return [
        f"{R}/tables/prophet_terms.csv",
        f"{R}/tables/metric.csv",
        f"{R}/figures/metric_heatmap.png",
        f"{R}/tables/tau.csv",
        f"{R}/tables/ablations.csv",
        f"{R}/tables/paper_comparison.csv",
        f"{R}/figures/tau_by_target.png",
        f"{R}/tables/compute_cost.csv",
    ]


# Data selection (workflow/rules/selection.smk).
ALLOCATION_WEIGHTS = {
    "dataprophet": f"{R}/tables/metric.csv",
    "oracle": f"{R}/tables/delta.csv",
}
ALLOCATED = "uniform|dataprophet|oracle|warmup"
SHARED_MIXTURES = ("uniform", "icons_consensus", "synthetic_uniform")  # one mixture for every target: <method>/all
# ICONS on real data (icons) and on the synthetic pool (synthetic_icons): its warm-up run and
# the tables whose rows get gradients.
ICONS_WARMUP = {"icons": "icons_warmup", "synthetic_icons": "synthetic_icons_warmup"}


def icons_sources(icons, dataset):
    if icons == "synthetic_icons":
        return [f"{R}/data/synthetic/{dataset}.parquet"]
    return [f"{R}/data/train/{dataset}.parquet", f"{R}/data/pool/{dataset}.parquet"]


def gradient_inputs(wildcards):
    """The base, the pool's warm-up model, and the source and val tables of the job's datasets
    (one, or every dataset when a job covers the pool)."""
    names = [wildcards.dataset] if "dataset" in wildcards.keys() else DATASETS
    return {
        "base": f"{R}/models/base",
        "warmup": f"{R}/models/ft/{ICONS_WARMUP[wildcards.icons]}",
        "sources": [p for d in names for p in icons_sources(wildcards.icons, d)],
        "val": [f"{R}/data/val/{d}.parquet" for d in names],
    }


def tables(split):
    return expand(f"{R}/data/{split}/{{d}}.parquet", d=DATASETS)


def mixture_names(method):
    return ["all"] if method in SHARED_MIXTURES else list(STUDY.selection_targets)


def mixture_scores():
    return [
        f"{R}/eval/mix/{m}/{name}/scores.json" for m in STUDY.selection.methods for name in mixture_names(m)
    ]


def synthetic_scores():
    return [
        f"{R}/eval/mix/synthetic_{m}/{name}/scores.json"
        for m in STUDY.synthetic.methods
        for name in mixture_names(f"synthetic_{m}")
    ]


def synthetic_outputs():
    """The synthetic half of Table 3; nothing when no generator is configured."""
    if not STUDY.synthetic_enabled:
        return []
    return [
        f"{R}/selection/table_synthetic.csv",
        f"{R}/selection/table_synthetic_paper.csv",
        f"{R}/selection/generator_share.csv",
        f"{R}/figures/selection_synthetic.png",
    ]


def selection_outputs():
    return [
        f"{R}/selection/table_real.csv",
        f"{R}/selection/table_real_paper.csv",
        f"{R}/figures/selection_real.png",
        f"{R}/tables/predictors.csv",
    ]


if STUDY.scale == "mini":
    EXTEND_SOURCE = ""
else:
    EXTEND_SOURCE = f"--registry {STUDY.registry}" + (
        f" --overrides {STUDY.registry_overrides}" if STUDY.registry_overrides else ""
    )


def rl_outputs():
    """The paper's Table 4; nothing when the config has no `rl` section."""
    if not STUDY.rl_enabled:
        return []
    return [f"{R}/rl/table_rl.csv", f"{R}/rl/table_rl_paper.csv", f"{R}/figures/rl_rewards.png"]


def without_figures(paths):
    """The outputs less the figures: a rule that must not rerun after `snakemake figures`
    redraws them reads only tables."""
    return [p for p in paths if "/figures/" not in p]


def launcher(gpus):
    """The command that runs `dataprophet <stage>`: directly for 0-1 GPUs, else through
    `accelerate launch` with one process per GPU of the job and the study's strategy.
    The config path goes through $DATAPROPHET_SRC (set below) so that moving the checkout
    does not change this parameter and rerun every fine-tune; port 0 lets two multi-GPU
    jobs share a node (accelerate picks a free port)."""
    gpus = int(gpus or 0)
    if gpus <= 1:
        return "dataprophet"
    return (
        f"accelerate launch --config_file $DATAPROPHET_SRC/config/accelerate/{STUDY.compute.strategy}.yaml "
        f"--num_processes {gpus} --num_machines 1 --main_process_port 0 -m dataprophet.cli"
    )


# `snakemake --sdm conda`: every job runs in this environment; its post-deploy script installs
# this checkout (found through DATAPROPHET_SRC) into it, so jobs call the same `dataprophet`.
CONDA_ENV = os.path.join(workflow.basedir, "envs", "dataprophet.yaml")
os.environ.setdefault("DATAPROPHET_SRC", workflow.basedir)


# The published study (the first branch of workflow/rules/analysis.smk): the paper's printed matrices, no model.
def published_outputs():
    return [
        f"{R}/tables/delta.csv",
        f"{R}/tables/metric.csv",
        f"{R}/tables/tau.csv",
        f"{R}/tables/paper_comparison.csv",
        f"{R}/tables/ablations.csv",
        f"{R}/figures/tau_by_target.png",
        f"{R}/figures/delta_heatmap.png",
        f"{R}/figures/metric_heatmap.png",
        f"{R}/report/summary.md",
        f"{R}/provenance.json",
    ]


def all_outputs():
    """Every result of the study; with stop_after: testbed (testbed pilots), the ground truth only."""
    if STUDY.stop_after == "testbed":
        return ground_truth_outputs()
    return [
        *ground_truth_outputs(),
        *prophet_outputs(),
        *selection_outputs(),
        *synthetic_outputs(),
        *rl_outputs(),
        f"{R}/report/summary.md",
        f"{R}/provenance.json",
    ]
