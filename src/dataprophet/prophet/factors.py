"""The DataProphet metric as pure functions over precomputed features (no model, no torch).

    M(s -> t) = QSim * ASim * ISim * PPL(s) * (Sil + H) / PPL(t)

Inputs are per-dataset ``FeatureSet``s written by the feature-extraction stage: unit-norm
question / answer / image / question+answer embeddings and the per-sample mean answer-token
negative log-likelihood under the frozen base model. Sources are train splits, targets test
splits (docs/method.md, sections 1 and 3).

Choices made where the paper is silent (each also stated at the function concerned):

* Similarities are expected cosines between independent uniform draws from the two
  (finite, possibly subsampled) datasets, computed exactly as a dot product of means.
* Similarities are **not clipped**. Cosines can be negative; then the product of factors
  changes sign, and a source with two negative similarities would score as if both were
  positive. The paper's formula assumes positive similarities: the base MLLM's pooled
  embeddings are anisotropic, so mean cosines are expected to be positive (an
  expectation, not verified here). We leave values as they are, so that a negative factor
  stays visible in the ``prophet_terms`` table rather than being hidden by a clip.
* Diversity: z_u is the plain (not re-normalised) mean of the sample's q, a, i embeddings
  when they share one dimension (the paper's "average of its field embeddings"); the
  project's feature stage gives them one width by taking image tokens after the projector.
  Features whose widths differ (e.g. the MiniLM text encoder) fall back to the
  concatenation [q, a, i] / 3 (see ``sample_vectors``). k-means++ with ``n_init=10``
  restarts and ``random_state=seed``; silhouette is Euclidean on z; the entropy divides by
  log K with K the number of clusters asked for (empty clusters add 0).
* ``"ppl"`` as one factor means PPL(s) / PPL(t): the ablation "w/o PPL" drops both.
"""

from __future__ import annotations

import math
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from dataprophet.io.atomic import atomic_path

__all__ = [
    "ABLATIONS",
    "EMBEDDING_FIELDS",
    "FACTORS",
    "FULL_FACTORS",
    "FeatureSet",
    "diversity",
    "expected_cosine",
    "family_baseline",
    "load_features",
    "metric_matrix",
    "normalised_entropy",
    "perplexity",
    "prophet_terms",
    "sample_vectors",
    "save_features",
]

EMBEDDING_FIELDS = ("q", "a", "i", "qa")
# Fields averaged into the per-sample vector z_u for the diversity term (qa is a joint
# re-encoding of q and a, so it is left out to avoid counting the text twice).
DIVERSITY_FIELDS = ("q", "a", "i")
UNIT_NORM_TOL = 1e-3
# A per-sample mean NLL is >= 0 mathematically; a clearly negative one means log-probs
# were stored instead of their negatives.
_NLL_SLACK = 1e-6
KMEANS_N_INIT = 10

FACTORS = (
    "qsim",
    "asim",
    "isim",
    "qasim",
    "ppl",
    "diversity",
    "qsim_centred",
    "asim_centred",
    "qasim_centred",
    "ppl_eot",
)
# Text fields whose embeddings have a centred variant (the dataset-wide mean removed first).
CENTRED_FIELDS = ("q", "a", "qa")
FULL_FACTORS = ("qsim", "asim", "isim", "ppl", "diversity")
ABLATIONS: dict[str, tuple[str, ...]] = {
    "full": FULL_FACTORS,
    "w/o QSim": ("asim", "isim", "ppl", "diversity"),
    "w/o ASim": ("qsim", "isim", "ppl", "diversity"),
    "w/o ISim": ("qsim", "asim", "ppl", "diversity"),
    "w/o PPL": ("qsim", "asim", "isim", "diversity"),
    "w/o diversity": ("qsim", "asim", "isim", "ppl"),
    "QSim only": ("qsim",),
    "ASim only": ("asim",),
    "ISim only": ("isim",),
    "PPL only": ("ppl",),
    "diversity only": ("diversity",),
    "PPL x similarity": ("ppl", "qsim", "asim", "isim"),
    "QASim (Q and A jointly)": ("qasim", "isim", "ppl", "diversity"),
    # Variants of how a factor is computed (not removals); the default is the paper's reading.
    "centred text embeddings": ("qsim_centred", "asim_centred", "isim", "ppl", "diversity"),
    "PPL with end-of-turn token": ("qsim", "asim", "isim", "ppl_eot", "diversity"),
}

TERM_COLUMNS = (
    "source",
    "target",
    "qsim",
    "asim",
    "isim",
    "qasim",
    "ppl_source",
    "ppl_target",
    "qsim_centred",
    "asim_centred",
    "qasim_centred",
    "ppl_eot_source",
    "ppl_eot_target",
    "silhouette",
    "entropy",
    "diversity",
)


# --------------------------------------------------------------------------- features


@dataclass(frozen=True, eq=False)
class FeatureSet:
    """Per-sample features of one dataset split.

    ``q``, ``a``, ``qa``: (n, d) text embeddings of question, answer, and question and
    answer encoded jointly; ``i``: (n, d_i) image embeddings (d_i may differ from d, e.g.
    a vision tower's width). Every row L2-normalised.
    ``nll``: (n,) per-sample mean negative log-likelihood (nats) of the answer's own tokens.
    ``nll_eot``: (n,) the same with the end-of-turn token the model must emit after the
    answer counted as one more answer token (the PPL variant "with end-of-turn token");
    None in feature files written before it existed.
    ``ids``: (n,) sample ids (stored as strings), row-aligned with everything else.
    Arrays are taken as given; call ``validate`` before use.
    """

    q: np.ndarray
    a: np.ndarray
    i: np.ndarray
    qa: np.ndarray
    nll: np.ndarray
    ids: np.ndarray
    nll_eot: np.ndarray | None = None

    def __post_init__(self):
        for field in (*EMBEDDING_FIELDS, *self.nll_fields):
            object.__setattr__(self, field, np.asarray(getattr(self, field)))
        object.__setattr__(self, "ids", np.asarray(self.ids).astype(str))

    @property
    def nll_fields(self) -> tuple[str, ...]:
        return ("nll", "nll_eot") if self.nll_eot is not None else ("nll",)

    def __len__(self) -> int:
        return int(self.nll.shape[0]) if self.nll.ndim else 0

    def validate(self, name: str) -> FeatureSet:
        """Raise ValueError naming ``name`` and the array if anything is malformed; else self.

        Checks: embeddings 2-D with n >= 1 rows; q, a, qa of one shape (n, d), i of shape
        (n, d_i) with any d_i; ``nll`` and
        ``ids`` 1-D of length n; all values finite; every embedding row unit-norm within
        1e-3; ``nll`` non-negative (a negative mean NLL means log-probs were stored).
        """
        n = None
        d = None
        for field in EMBEDDING_FIELDS:
            x = getattr(self, field)
            if x.ndim != 2:
                raise ValueError(f"{name}: {field} must be 2-D (n, d), got shape {x.shape}")
            if not np.issubdtype(x.dtype, np.number):
                raise ValueError(f"{name}: {field} has non-numeric dtype {x.dtype}")
            if n is None:
                n, d = x.shape
                if n == 0:
                    raise ValueError(f"{name}: {field} has no rows")
            elif field == "i" and x.shape[0] != n:
                raise ValueError(f"{name}: i has shape {x.shape}, expected {n} rows like q")
            elif field != "i" and x.shape != (n, d):
                raise ValueError(f"{name}: {field} has shape {x.shape}, expected {(n, d)} like q")
        for field in (*self.nll_fields, "ids"):
            x = getattr(self, field)
            if x.shape != (n,):
                raise ValueError(f"{name}: {field} has shape {x.shape}, expected {(n,)}")
        for field in (*EMBEDDING_FIELDS, *self.nll_fields):
            x = getattr(self, field)
            if not np.isfinite(x).all():
                bad = np.flatnonzero(~np.isfinite(x).reshape(n, -1).all(axis=1))
                raise ValueError(f"{name}: {field} has non-finite values in rows {bad[:5].tolist()}")
        for field in EMBEDDING_FIELDS:
            norms = np.linalg.norm(getattr(self, field).astype(np.float64), axis=1)
            off = np.flatnonzero(np.abs(norms - 1.0) > UNIT_NORM_TOL)
            if off.size:
                raise ValueError(
                    f"{name}: {field} rows are not unit-norm (tolerance {UNIT_NORM_TOL}): "
                    f"{off.size} rows, e.g. row {off[0]} has norm {norms[off[0]]:.6g}"
                )
        for field in self.nll_fields:
            x = getattr(self, field)
            if (x < -_NLL_SLACK).any():
                bad = np.flatnonzero(x < -_NLL_SLACK)
                raise ValueError(
                    f"{name}: {field} has negative values in rows {bad[:5].tolist()} (log-probs instead of NLL?)"
                )
        return self


def save_features(fs: FeatureSet, path: str | Path) -> None:
    """Write ``fs`` to an ``.npz`` file atomically (the file is complete or absent)."""
    arrays = {field: getattr(fs, field) for field in (*EMBEDDING_FIELDS, *fs.nll_fields)}
    arrays["ids"] = np.asarray(fs.ids).astype(str)
    # A file handle, so numpy does not append ".npz" to the temporary name.
    with atomic_path(path) as tmp, open(tmp, "wb") as handle:
        np.savez(handle, **arrays)


def load_features(path: str | Path, name: str | None = None) -> FeatureSet:
    """Read a ``.npz`` written by ``save_features`` and validate it (errors name ``name`` or the path)."""
    path = Path(path)
    label = name or str(path)
    with np.load(path, allow_pickle=False) as data:
        missing = [f for f in (*EMBEDDING_FIELDS, "nll", "ids") if f not in data.files]
        if missing:
            raise ValueError(f"{label}: feature file lacks arrays {missing}")
        optional = data["nll_eot"] if "nll_eot" in data.files else None
        fs = FeatureSet(**{f: data[f] for f in (*EMBEDDING_FIELDS, "nll", "ids")}, nll_eot=optional)
    return fs.validate(label)


CHUNK_ROWS = 16384  # rows per chunk when a feature file is streamed (iter_features): 32 MB at width 128


def _npy_member(archive: zipfile.ZipFile, field: str, label: str):
    """An open ``<field>.npy`` member of a ``.npz``, positioned at its data, with its shape and dtype."""
    handle = archive.open(f"{field}.npy")
    version = np.lib.format.read_magic(handle)
    if version == (1, 0):
        shape, fortran, dtype = np.lib.format.read_array_header_1_0(handle)
    else:
        shape, fortran, dtype = np.lib.format.read_array_header_2_0(handle)
    if fortran or dtype.hasobject or not shape:
        handle.close()
        raise ValueError(f"{label}: array {field} is not a C-ordered numeric or string array of rows")
    return handle, shape, dtype


def iter_features(path: str | Path, name: str | None = None, rows: int = CHUNK_ROWS) -> Iterator[FeatureSet]:
    """The feature file ``path`` (written by ``save_features``) as validated chunks of at most
    ``rows`` rows, read member by member from the ``.npz`` so that only one chunk of each
    array is in memory at a time (per-sample selection over pools of any size). Errors name
    ``name`` (or the path) and the rows of the chunk."""
    path = Path(path)
    label = name or str(path)
    if rows < 1:
        raise ValueError(f"{label}: rows per chunk must be at least 1, got {rows}")
    try:
        archive = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as exc:
        raise ValueError(f"{label}: not a readable feature file ({exc})") from None
    with archive:
        files = {Path(n).stem for n in archive.namelist()}
        missing = [f for f in (*EMBEDDING_FIELDS, "nll", "ids") if f not in files]
        if missing:
            raise ValueError(f"{label}: feature file lacks arrays {missing}")
        fields = (*EMBEDDING_FIELDS, "nll", "ids", *(("nll_eot",) if "nll_eot" in files else ()))
        members = {f: _npy_member(archive, f, label) for f in fields}
        try:
            n = members["nll"][1][0]
            short = {f: shape for f, (_, shape, _) in members.items() if shape[0] != n}
            if short:
                raise ValueError(f"{label}: arrays {sorted(short)} do not have nll's {n} rows (shapes {short})")
            for start in range(0, n, rows):
                count = min(rows, n - start)
                chunk = {}
                for field, (handle, shape, dtype) in members.items():
                    width = math.prod(shape[1:])
                    data = handle.read(count * width * dtype.itemsize)
                    if len(data) != count * width * dtype.itemsize:
                        raise ValueError(f"{label}: array {field} ends before its row {start + count}")
                    chunk[field] = np.frombuffer(data, dtype=dtype).reshape(count, *shape[1:])
                eot = chunk.pop("nll_eot", None)
                where = f"{label} (the chunk from row {start}; rows below count from there)"
                yield FeatureSet(**chunk, nll_eot=eot).validate(where)
        finally:
            for handle, _, _ in members.values():
                handle.close()


# --------------------------------------------------------------------------- factors


def expected_cosine(x_s: np.ndarray, x_t: np.ndarray) -> float:
    """Expected cosine between a row drawn from ``x_s`` and an independent row from ``x_t``.

    Rows must be L2-normalised, so a dot product is a cosine. By bilinearity of the dot
    product, the mean over all n*m cross pairs is
    (1/nm) sum_ij <s_i, t_j> = <(1/n) sum_i s_i, (1/m) sum_j t_j>,
    the dot product of the two mean embeddings: O((n + m) d) instead of O(n m d). Computed
    in float64. Negative values are returned as they are (no clipping).
    """
    x_s = np.asarray(x_s, dtype=np.float64)
    x_t = np.asarray(x_t, dtype=np.float64)
    if x_s.ndim != 2 or x_t.ndim != 2:
        raise ValueError(f"expected 2-D arrays, got shapes {x_s.shape} and {x_t.shape}")
    if x_s.shape[0] == 0 or x_t.shape[0] == 0:
        raise ValueError("expected_cosine needs at least one row on each side")
    if x_s.shape[1] != x_t.shape[1]:
        raise ValueError(f"embedding dimensions differ: {x_s.shape[1]} vs {x_t.shape[1]}")
    return float(x_s.mean(axis=0) @ x_t.mean(axis=0))


def perplexity(nll: np.ndarray) -> float:
    """exp(mean over samples of the per-sample mean answer-token NLL).

    As the paper states it: average log-probabilities within a sample, then over samples,
    then exp of the negative; so every sample weighs the same whatever its answer length.
    """
    nll = np.asarray(nll, dtype=np.float64)
    if nll.ndim != 1 or nll.size == 0:
        raise ValueError(f"nll must be a non-empty 1-D array, got shape {nll.shape}")
    if not np.isfinite(nll).all():
        raise ValueError("nll has non-finite values")
    return float(math.exp(nll.mean()))


def sample_vectors(fs: FeatureSet, how: str = "auto") -> np.ndarray:
    """z_u per sample from its q, a, i embeddings, float64, not re-normalised.

    ``how="mean"``: (q + a + i) / 3, the paper's average of field embeddings; needs one
    shared width. ``how="concat"``: [q, a, i] / 3 side by side, for when the image
    embeddings have their own width (no mean exists). Its squared distances are the sum of
    the per-field squared distances / 9, which is the mean's squared distance without the
    cross-field terms. ``how="auto"`` (default): mean if the widths agree, else concat.
    """
    fields = [np.asarray(getattr(fs, f), dtype=np.float64) for f in DIVERSITY_FIELDS]
    same = len({x.shape[1] for x in fields}) == 1
    if how == "auto":
        how = "mean" if same else "concat"
    if how == "mean":
        if not same:
            raise ValueError(f"cannot average q, a, i of widths {[x.shape[1] for x in fields]}; use how='concat'")
        return np.mean(fields, axis=0)
    if how == "concat":
        return np.concatenate(fields, axis=1) / len(fields)
    raise ValueError(f"how must be 'auto', 'mean' or 'concat', got {how!r}")


def normalised_entropy(labels: np.ndarray, k: int) -> float:
    """H = -(1/log K) sum_k pi_k log pi_k over the proportions of labels 0..K-1, in [0, 1].

    K is the number of clusters asked for, so empty clusters count in the denominator and
    add 0 to the sum (0 log 0 = 0). 1 = uniform over all K clusters, 0 = one cluster.
    """
    labels = np.asarray(labels)
    if k < 2:
        raise ValueError(f"normalised entropy needs k >= 2 clusters, got {k}")
    if labels.ndim != 1 or labels.size == 0:
        raise ValueError(f"labels must be a non-empty 1-D array, got shape {labels.shape}")
    if not np.issubdtype(labels.dtype, np.integer) or labels.min() < 0 or labels.max() >= k:
        raise ValueError(f"labels must be integers in [0, {k}), got range [{labels.min()}, {labels.max()}]")
    p = np.bincount(labels, minlength=k) / labels.size
    p = p[p > 0]
    return float(max(0.0, -(p * np.log(p)).sum() / math.log(k)))


def diversity(
    z: np.ndarray, k: int = 10, seed: int = 0, silhouette_sample_size: int | None = None
) -> tuple[float, float]:
    """(Sil, H) of a source's per-sample vectors ``z`` (n, d) under k-means with ``k`` clusters.

    k-means: scikit-learn ``KMeans`` (k-means++ init, ``n_init=10`` restarts, lowest inertia
    kept, ``random_state=seed``) on float64 z; deterministic given seed and row order.
    Sil: mean silhouette coefficient with **Euclidean** distance on z (not cosine), in
    [-1, 1]. ``silhouette_sample_size`` (paper silent; default None = all n points, exact,
    O(n^2 d)) evaluates it on a seeded uniform subsample instead, for large n.
    H: ``normalised_entropy`` of the cluster proportions, in [0, 1].
    The diversity term of the metric is Sil + H, in [-1, 2].

    Raises ValueError if n <= k (too few samples for k clusters plus a defined silhouette)
    or if z has fewer than k distinct rows (all identical included): k-means cannot form k
    non-empty clusters and the silhouette is undefined or meaningless.
    """
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score

    z = np.asarray(z, dtype=np.float64)
    if z.ndim != 2:
        raise ValueError(f"z must be 2-D (n, d), got shape {z.shape}")
    if k < 2:
        raise ValueError(f"diversity needs k >= 2 clusters, got {k}")
    n = z.shape[0]
    if n <= k:
        raise ValueError(f"diversity needs more samples than clusters: n={n} <= k={k}")
    if not np.isfinite(z).all():
        raise ValueError("z has non-finite values")
    distinct = np.unique(z, axis=0).shape[0]
    if distinct == 1:
        raise ValueError("all sample vectors are identical: clustering and silhouette are undefined")
    if distinct < k:
        raise ValueError(f"only {distinct} distinct sample vectors, fewer than k={k} clusters: silhouette undefined")
    labels = KMeans(n_clusters=k, n_init=KMEANS_N_INIT, random_state=seed).fit_predict(z)
    sil = silhouette_score(z, labels, metric="euclidean", sample_size=silhouette_sample_size, random_state=seed)
    return float(sil), normalised_entropy(labels, k)


# --------------------------------------------------------------------------- metric


def _dataset_summary(fs: FeatureSet, centre: dict[str, np.ndarray]) -> dict:
    means = {f: np.asarray(getattr(fs, f), dtype=np.float64).mean(axis=0) for f in EMBEDDING_FIELDS}
    for f, mu in centre.items():
        shifted = np.asarray(getattr(fs, f), dtype=np.float64) - mu
        norms = np.linalg.norm(shifted, axis=1, keepdims=True)
        means[f"{f}_centred"] = (shifted / np.where(norms > 0, norms, 1.0)).mean(axis=0)
    ppl_eot = perplexity(fs.nll_eot) if fs.nll_eot is not None else float("nan")
    return {"means": means, "ppl": perplexity(fs.nll), "ppl_eot": ppl_eot}


def embedding_centre(feature_sets: list[FeatureSet]) -> dict[str, np.ndarray]:
    """Per text field, the mean over datasets of each dataset's mean embedding (every dataset
    split weighs the same). The base model's text states share one large common direction
    (their cosines crowd near 1); removing this centre before normalising is the
    "centred text embeddings" variant."""
    return {
        f: np.mean([np.asarray(getattr(fs, f), dtype=np.float64).mean(axis=0) for fs in feature_sets], axis=0)
        for f in CENTRED_FIELDS
    }


def prophet_terms(
    sources: dict[str, FeatureSet],
    targets: dict[str, FeatureSet],
    k: int = 10,
    seed: int = 0,
    silhouette_sample_size: int | None = None,
) -> pd.DataFrame:
    """Every factor of M for every (source, target): one row each, sources then targets in
    the given order.

    Columns: source, target, qsim, asim, isim, qasim (expected cosines of the q, a, i, qa
    embeddings), ppl_source, ppl_target, qsim_centred, asim_centred, qasim_centred (the
    same cosines after ``embedding_centre`` is removed from every row, rows re-normalised),
    ppl_eot_source, ppl_eot_target (PPL with the end-of-turn token counted; NaN when a
    feature file lacks it), silhouette, entropy, diversity (= silhouette +
    entropy; computed once per source, from its own features only, with z_u from
    ``sample_vectors(fs)`` in its "auto" mode). Every input is
    validated first; errors name "source X" or "target X".
    """
    if not sources or not targets:
        raise ValueError("prophet_terms needs at least one source and one target")
    for role, group in (("source", sources), ("target", targets)):
        for name, fs in group.items():
            fs.validate(f"{role} {name}")
    for field in ("q", "i"):
        dims = {
            f"{role} {name}": getattr(fs, field).shape[1]
            for role, group in (("source", sources), ("target", targets))
            for name, fs in group.items()
        }
        if len(set(dims.values())) > 1:
            raise ValueError(f"{field} embedding widths differ between datasets: {dims}")

    centre = embedding_centre([*sources.values(), *targets.values()])
    src = {}
    for name, fs in sources.items():
        src[name] = _dataset_summary(fs, centre)
        src[name]["sil"], src[name]["ent"] = diversity(sample_vectors(fs), k, seed, silhouette_sample_size)
    tgt = {name: _dataset_summary(fs, centre) for name, fs in targets.items()}

    rows = []
    for s, ss in src.items():
        for t, tt in tgt.items():
            sims = {f"{f}sim": float(ss["means"][f] @ tt["means"][f]) for f in EMBEDDING_FIELDS}
            centred = {
                f"{f}sim_centred": float(ss["means"][f"{f}_centred"] @ tt["means"][f"{f}_centred"])
                for f in CENTRED_FIELDS
            }
            rows.append(
                {
                    "source": s,
                    "target": t,
                    **sims,
                    **centred,
                    "ppl_source": ss["ppl"],
                    "ppl_target": tt["ppl"],
                    "ppl_eot_source": ss["ppl_eot"],
                    "ppl_eot_target": tt["ppl_eot"],
                    "silhouette": ss["sil"],
                    "entropy": ss["ent"],
                    "diversity": ss["sil"] + ss["ent"],
                }
            )
    return pd.DataFrame(rows, columns=list(TERM_COLUMNS))


def factor_columns(factor: str) -> tuple[str, ...]:
    """The ``prophet_terms`` columns a factor is read from."""
    return (f"{factor}_source", f"{factor}_target") if factor in ("ppl", "ppl_eot") else (factor,)


def _factor_values(terms: pd.DataFrame, factor: str) -> pd.Series:
    if factor in ("ppl", "ppl_eot"):
        return terms[f"{factor}_source"] / terms[f"{factor}_target"]
    return terms[factor]


def metric_matrix(terms: pd.DataFrame, factors: tuple[str, ...] = FULL_FACTORS) -> pd.DataFrame:
    """Sources x targets matrix of the product of ``factors`` taken from ``terms``.

    Factor names: qsim, asim, isim, qasim, diversity (the ``prophet_terms`` columns) and
    ppl (= ppl_source / ppl_target). The default gives
    M = QSim * ASim * ISim * PPL(s) * (Sil + H) / PPL(t). No clipping: a negative factor
    flips the sign of M (see the module docstring). Row and column order follow first
    appearance in ``terms``. Unknown or repeated factors, duplicate or missing
    (source, target) pairs and non-finite results are errors.
    """
    factors = tuple(factors)
    if not factors:
        raise ValueError("metric_matrix needs at least one factor")
    unknown = [f for f in factors if f not in FACTORS]
    if unknown:
        raise ValueError(f"unknown factor(s) {unknown}; valid: {list(FACTORS)}")
    if len(set(factors)) != len(factors):
        raise ValueError(f"repeated factor in {factors}")
    if terms.duplicated(["source", "target"]).any():
        dup = terms.loc[terms.duplicated(["source", "target"]), ["source", "target"]].values.tolist()
        raise ValueError(f"duplicate (source, target) rows in terms: {dup[:5]}")
    value = pd.Series(1.0, index=terms.index)
    for f in factors:
        value = value * _factor_values(terms, f).astype(float)
    frame = pd.DataFrame({"source": terms["source"], "target": terms["target"], "m": value})
    matrix = frame.pivot(index="source", columns="target", values="m")
    matrix = matrix.loc[pd.unique(terms["source"]), pd.unique(terms["target"])]
    matrix.index.name, matrix.columns.name = "source", "target"
    if not np.isfinite(matrix.to_numpy(dtype=float)).all():
        raise ValueError("metric matrix has missing (source, target) pairs or non-finite values")
    return matrix


def family_baseline(families: dict[str, str], sources, targets) -> pd.DataFrame:
    """Sources x targets matrix: 1 where source and target share a task family, else 0.

    ``sources`` and ``targets`` are iterables of dataset names (dict keys work); every name
    must have an entry in ``families``. The matrix is heavily tied, so judge it with tau-b.
    """
    sources, targets = list(sources), list(targets)
    missing = sorted({n for n in sources + targets if n not in families})
    if missing:
        raise ValueError(f"no family given for dataset(s) {missing}")
    data = [[int(families[s] == families[t]) for t in targets] for s in sources]
    out = pd.DataFrame(data, index=pd.Index(sources, name="source"), columns=pd.Index(targets, name="target"))
    return out
