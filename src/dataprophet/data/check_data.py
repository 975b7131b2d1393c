"""Stage ``check_data`` (paper scale): every file a user must fetch by hand, checked before compute.

Six of the paper's datasets read local files rather than hub streams (CLEVR's question files
and images, Visual-CoT's metadata, benchmark files and images, the Open-Spatial JSON and its
OpenImages pictures, the GeomVerse and MapQA test sets, SpatialRGPT-Bench's images). No
download rule can fetch them, so this stage lists, for the whole config at once, each local
file or image folder that is missing, with the registry file's note on where to get it and
the layout it expects. The workflow's ``check_data`` rule runs it before any ``prepare``
(and before the checkpoint download), so a missing file stops the study before a download
or a GPU job starts; ``prepare`` runs the same check for its own dataset before it streams
anything.
Reproduce: ``dataprophet check-data --registry config/datasets --datasets '["clevr_counting", "mapqa"]'
--report results/paper/data/check_data.tsv`` (the rule ``check_data`` of
``snakemake --configfile config/paper.yaml`` runs it for every dataset of the study).
"""

from __future__ import annotations

import glob
import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from dataprophet.io.atomic import write_csv
from dataprophet.settings import CheckDataSettings


@dataclass(frozen=True)
class LocalInput:
    """One file or folder a registry source reads from disk."""

    dataset: str
    role: str  # "train" or "test"
    source: str  # the source's name, or "-" for a single source
    what: str  # the rows: "file", "parquet folder" (shards) or "files" (a glob); or "image folder"
    path: str
    config_file: str
    download: str

    def exists(self) -> bool:
        path = Path(os.path.expanduser(os.path.expandvars(self.path)))
        if self.what == "file":
            return path.is_file()
        if self.what == "parquet folder":
            return path.is_dir() and any(path.glob("*.parquet"))
        if self.what == "files":
            return any(Path(p).is_file() for p in glob.glob(str(path)))
        if not path.is_dir():
            return False
        with os.scandir(path) as entries:
            return any(True for _ in entries)  # an empty folder holds no images either


def local_inputs(spec) -> list[LocalInput]:
    """The local files and image folders one registry dataset (``DatasetSpec``) reads: each
    ``kind: local`` source's ``path``, and every source's ``image_root`` (a hub split whose
    rows only name their images, as SpatialRGPT-Bench's, has one too)."""
    note = " ".join(str(spec.download or "").split()) or "(the registry file gives no download note)"
    out = []
    for role in ("train", "test"):
        for source in getattr(spec, role):
            name = source.name or "-"
            if source.kind == "local":
                # a file, a folder of parquet shards, or a glob pattern of files (one split's shards)
                what = (
                    "files" if glob.has_magic(source.path) else "file" if Path(source.path).suffix else "parquet folder"
                )
                out.append(LocalInput(spec.name, role, name, what, source.path, spec.config_file, note))
            if source.image_root:
                out.append(LocalInput(spec.name, role, name, "image folder", source.image_root, spec.config_file, note))
    return out


def missing_inputs(specs: dict, datasets) -> list[LocalInput]:
    """The local inputs of ``datasets`` (names in ``specs``) that are absent, in study order."""
    unknown = [d for d in datasets if d not in specs]
    if unknown:
        raise ValueError(f"unknown dataset(s) {unknown}; the registry has {sorted(specs)}")
    return [item for d in datasets for item in local_inputs(specs[d]) if not item.exists()]


def describe_missing(missing: list[LocalInput]) -> str:
    """A listing a user can act on: per dataset, each missing path, then where to get it."""
    if not missing:
        return "every local file and image folder the study reads is in place"
    lines = [f"{len(missing)} local file(s) or folder(s) that must be fetched by hand are missing:"]
    for dataset in dict.fromkeys(m.dataset for m in missing):
        own = [m for m in missing if m.dataset == dataset]
        lines.append(f"  {dataset} ({own[0].config_file}):")
        for m in own:
            label = m.role if m.source == "-" else f"{m.role} {m.source}"
            lines.append(f"    missing {m.what} ({label}): {m.path}")
        lines.append(f"    where to get it and the layout expected: {own[0].download}")
    return "\n".join(lines)


def check_spec(spec) -> None:
    """Stop before any streaming when one dataset's local inputs are missing (``prepare``)."""
    missing = [item for item in local_inputs(spec) if not item.exists()]
    if missing:
        raise FileNotFoundError(describe_missing(missing))


def check_data(registry: Path, overrides: Path | None, report: Path, settings: CheckDataSettings) -> list[LocalInput]:
    """Check every local input of ``settings.datasets`` in the ``registry`` folder (with the
    ``overrides`` yaml merged in); on success write the ``report`` table (dataset, role,
    source, what, path) of the inputs checked, else stop with the listing of what is missing."""
    from dataprophet.data.registry import load_registry

    specs = load_registry(registry, overrides=overrides)
    datasets = list(settings.datasets) or list(specs)
    missing = missing_inputs(specs, datasets)
    if missing:
        raise FileNotFoundError(describe_missing(missing))
    checked = [item for d in datasets for item in local_inputs(specs[d])]
    columns = ["dataset", "role", "source", "what", "path"]
    write_csv(pd.DataFrame([{c: getattr(i, c) for c in columns} for i in checked], columns=columns), report, sep="\t")
    print(f"{len(datasets)} datasets: {len(checked)} local files and image folders in place")
    return checked


__all__ = ["LocalInput", "check_data", "check_spec", "describe_missing", "local_inputs", "missing_inputs"]
