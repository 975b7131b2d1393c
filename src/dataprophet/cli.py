"""The ``dataprophet`` command line: a table of commands, each one stage's entry function.

Every Snakemake rule calls one of these commands, and the rule, the command and the stage
module share one name (``fetch_base`` is ``dataprophet fetch-base``). A command's flags are
made from its entry function's signature: one flag per input or output path, and one per
field of its settings dataclass (``dataprophet.settings``), derived by jsonargparse with that
field's type, default and allowed values (``--learning_rate 0.002``, ``--bf16 false``, JSON
for lists and mappings; ``settings.to_flags`` writes them so). Run ``dataprophet <command>
--help``. Normally Snakemake runs them; the whole mini study: ``snakemake``.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import os
import sys
import typing
from pathlib import Path

from jsonargparse import ArgumentParser, Namespace

from dataprophet.settings import ConfigError

# command -> (stage module, one-line help). The entry function is the command's name with
# "-" written "_", in that module.
COMMANDS: dict[str, tuple[str, str]] = {
    "generate": ("dataprophet.data.generate", "mini: generate one suite dataset's pretrain/train/test splits"),
    "web": ("dataprophet.data.web", "mini, testbed v2: the base's web pretraining collages (no benchmark sample)"),
    "check-data": (
        "dataprophet.data.check_data",
        "paper: list every hand-fetched file or image folder missing, before any download or GPU job",
    ),
    "prepare": ("dataprophet.data.prepare", "paper: sample one registry dataset into contract tables"),
    "base": ("dataprophet.model.base", "mini: build and pretrain the tiny InternVL base"),
    "fetch-base": ("dataprophet.model.fetch_base", "paper: put the released checkpoint in the study folder"),
    "finetune": ("dataprophet.model.finetune", "fine-tune the base on one source dataset"),
    "evaluate": ("dataprophet.truth.evaluate", "evaluate one model (base or fine-tune) on every target"),
    "groundtruth": ("dataprophet.truth.groundtruth", "collect evaluation scores into score and Delta tables"),
    "seed-mean": ("dataprophet.truth.seed_mean", "mean Delta over seeds and its standard error"),
    "agreement": ("dataprophet.truth.agreement", "how far the seeds agree: the noise ceilings of any predictor"),
    "testbed": ("dataprophet.truth.testbed", "regime statistics of the ground truth (no predictor read)"),
    "heatmap": ("dataprophet.analysis.heatmap", "draw a Delta heatmap (PDF and PNG)"),
    "figures": ("dataprophet.analysis.figures", "redraw every figure of a study from its stored tables"),
    "features": ("dataprophet.prophet.features", "features of dataset splits from the frozen base model"),
    "predict": ("dataprophet.prophet.predict", "every DataProphet factor and M(s->t) from features"),
    "rank": ("dataprophet.analysis.rank", "Kendall's tau of M against Delta, and the paper comparison"),
    "ablations": ("dataprophet.analysis.ablations", "tau of every metric variant and baseline from stored factors"),
    "provenance": (
        "dataprophet.analysis.provenance",
        "record what produced a study's results (config, versions, commit)",
    ),
    "summary": ("dataprophet.analysis.summary", "every paper number the study reproduces beside ours (Markdown)"),
    "cost": ("dataprophet.analysis.cost", "compute time of the prophet vs the ground-truth stages"),
    "extend": ("dataprophet.data.extend", "samples past the train/test tables: source pools, target validation"),
    "allocate": ("dataprophet.selection.allocate", "split a per-target budget over the sources"),
    "mixture": ("dataprophet.selection.mixture", "draw one training mixture from an allocation"),
    "gradients": ("dataprophet.selection.gradients", "ICONS: projected per-example LoRA gradients of a dataset"),
    "influence": ("dataprophet.selection.influence", "ICONS: selections and source x target matrix from gradients"),
    "selection-table": ("dataprophet.selection.selection_table", "the real-data selection table beside the paper's"),
    "synthesize": ("dataprophet.synthetic.synthesize", "synthetic pairs about one dataset's train images, validated"),
    "synthetic-select": (
        "dataprophet.selection.synthetic_select",
        "per-sample DataProphet top-K, uniform and warm-up draws from the synthetic pool",
    ),
    "synthetic-table": ("dataprophet.selection.synthetic_table", "the synthetic-selection table beside the paper's"),
    "rl-prompts": ("dataprophet.rl.rl_prompts", "RL: the prompt set of every run (equal, DataProphet, synthetic)"),
    "grpo": ("dataprophet.rl.grpo", "RL: GRPO post-training on one run's prompts (TRL)"),
    "rl-table": ("dataprophet.rl.rl_table", "RL: every run scored on every dataset, beside the paper's Table 4"),
    "predictors": ("dataprophet.analysis.predictors", "DataProphet, ICONS and baselines judged alike, with costs"),
    "extract-published": (
        "dataprophet.analysis.extract_published",
        "read the paper's two 14x14 matrices from its vector figures (PDF)",
    ),
    "published-matrices": (
        "dataprophet.analysis.published_matrices",
        "published study: the paper's printed matrices as the study's Delta and M tables",
    ),
    "published-summary": (
        "dataprophet.analysis.published_summary",
        "published study: Table 1 recomputed from the printed matrices beside the printed one",
    ),
    "tau": ("dataprophet.analysis.tau", "Kendall's tau of any predictor matrix against any truth matrix"),
    "score": ("dataprophet.prophet.score", "rank your own candidate sources for your target"),
    "select": ("dataprophet.selection.select", "a training mixture for your target from your sources"),
    "select-samples": ("dataprophet.selection.select_samples", "the pool samples that score highest for one target"),
}

# Commands that reach the Hugging Face hub (every other one runs with HF_HUB_OFFLINE=1):
# prepare and extend stream hub datasets, fetch-base downloads the checkpoints.
NEEDS_NETWORK = frozenset({"prepare", "extend", "fetch-base"})


def entry_function(command: str):
    module, _ = COMMANDS[command]
    return getattr(importlib.import_module(module), command.replace("-", "_"))


def _path_argument(parser: ArgumentParser, name: str, kind, default) -> None:
    """An entry function's input or output path, by hand: its flag keeps the dashes the
    workflow rules pass (``--paper-out``), which jsonargparse does not write."""
    flag = "--" + name.replace("_", "-")
    required = default is inspect.Parameter.empty
    if kind is Path:
        parser.add_argument(flag, dest=name, type=Path, required=True)
    elif kind == (Path | None):
        parser.add_argument(flag, dest=name, type=Path, default=None)
    elif kind == list[Path]:
        parser.add_argument(
            flag,
            dest=name,
            type=Path,
            nargs="+" if required else "*",
            required=required,
            default=None if required else list(default),
        )
    elif kind in (str, int):
        parser.add_argument(flag, dest=name, type=kind, required=required, default=None if required else default)
    else:
        raise TypeError(f"{name}: parameter type {kind} has no command-line form")


def add_arguments(parser: ArgumentParser, function) -> type:
    """Flags for ``function``'s paths, and for its settings class's fields (jsonargparse reads
    the class: each field's type, default and allowed values); returns the settings class."""
    hints = typing.get_type_hints(function)
    params = inspect.signature(function).parameters
    settings_cls = hints["settings"]
    clash = sorted(set(params) & {f.name for f in dataclasses.fields(settings_cls)})
    if clash:
        raise TypeError(f"{function.__name__}: parameter(s) {clash} clash with {settings_cls.__name__} fields")
    for name, param in params.items():
        if name != "settings":
            _path_argument(parser, name, hints[name], param.default)
    parser.add_class_arguments(settings_cls, None, sub_configs=True)
    return settings_cls


def build_parser(command: str | None = None) -> ArgumentParser:
    """The parser; only ``command``'s own flags are built (that imports its stage module)."""
    parser = ArgumentParser(prog="dataprophet", description=__doc__.splitlines()[0])
    sub = parser.add_subcommands(dest="command", required=True)
    for name, (_, help_text) in COMMANDS.items():
        p = ArgumentParser(description=help_text)
        if name == command:
            add_arguments(p, entry_function(name))
            p.epilog = importlib.import_module(COMMANDS[name][0]).__doc__  # says how to reproduce
        sub.add_subcommand(name, p, help=help_text)
    return parser


def _plain(value):  # jsonargparse gives nested dataclasses as Namespaces
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return {k: _plain(v) for k, v in vars(value).items()} if isinstance(value, Namespace) else value


def settings_from_args(cls, values: dict):
    """The settings of ``cls`` from parsed flags; a bad value is an error naming its flag."""
    try:
        return cls(**{f.name: _plain(values[f.name]) for f in dataclasses.fields(cls) if f.name in values})
    except ConfigError as exc:
        message = str(exc)
        for f in sorted(dataclasses.fields(cls), key=lambda f: -len(f.name)):
            if message.startswith((f"{f.name} ", f"{f.name}:", f"{f.name}.")):
                raise ConfigError("--" + message) from None
        raise


def _quiet_libraries(offline: bool) -> None:
    if offline:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    command = argv[0] if argv and argv[0] in COMMANDS else None
    _quiet_libraries(offline=command not in NEEDS_NETWORK)
    args = build_parser(command).parse_args(argv)
    function = entry_function(args.command)
    values = vars(args[args.command])
    settings_cls = typing.get_type_hints(function)["settings"]
    paths = set(inspect.signature(function).parameters) - {"settings"}
    try:
        settings = settings_from_args(settings_cls, values)
        function(**{k: values[k] for k in paths}, settings=settings)
    except (ValueError, KeyError, OSError) as exc:  # OSError: missing, unwritable or folder paths
        print(f"dataprophet {args.command}: error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
