"""The data stage: the mini suite, the paper registry, and the datasets a study may use."""

from __future__ import annotations

from pathlib import Path


def dataset_names(scale: str, registry: str | Path) -> tuple[str, ...]:
    """Names a study may use: the generated suite (mini) or the registry folder (paper)."""
    if scale == "mini":
        from dataprophet.data.suite import SUITE

        return tuple(SUITE)
    names = tuple(sorted(p.stem for p in Path(registry).glob("*.yaml")))
    if not names:
        raise ValueError(f"config key 'registry': {registry} holds no dataset files (*.yaml)")
    return names


def dataset_info(scale: str, datasets, registry: str | Path, overrides: str | Path | None = None) -> dict:
    """{name: {"family": ..., "mirrors": <the paper dataset it stands for>}} for each dataset."""
    if scale == "mini":
        from dataprophet.data.suite import SUITE

        return {d: {"family": SUITE[d].family, "mirrors": SUITE[d].mirrors} for d in datasets}
    from dataprophet.data.registry import load_registry

    specs = load_registry(registry, overrides=overrides)
    return {d: {"family": specs[d].family, "mirrors": specs[d].paper_name} for d in datasets}
