"""ICONS (Wu et al. 2024), the training-based baseline of the paper's Table 3, as pure functions.

As its official code does it (``docs/paper.md``, section 9.1):

* **Features.** Per-example gradients of the LoRA parameters of a briefly warmed-up model,
  of the mean next-token loss over answer tokens; plain (SGD) gradients for pool and
  validation examples alike, as the shipped scripts take them.
* **Projection.** A seeded Rademacher (+-1) random projection to ``projection_dim``
  coordinates, then unit length. The projection matrix is never held whole: it is made
  block by block (``block_dims`` gradient coordinates at a time) from the seed and the
  block's number, so its memory does not grow with the gradient's size (``project``).
* **Influence.** The cosine of a pool example's unit gradient with each validation unit
  gradient of the target, averaged over the target's validation examples (``influence``).
* **Specialist selection.** Per target, the ``n`` pool examples of highest influence
  (``top_n``; ties: id ascending).
* **Consensus (generalist) selection.** Each target votes for the examples at or above its
  ``100 - top_percent`` percentile (numpy's linear interpolation, ICONS' 80th); examples are
  ranked by votes. ICONS' code leaves ties to numpy's unstable sort; ours are broken by the
  mean influence over all targets (higher first), then id (``consensus``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

__all__ = ["consensus", "influence", "project", "projection_block", "top_n", "unit_rows"]


def projection_block(seed: int, block: int, rows: int, dim: int, dtype=torch.float32, device="cpu") -> torch.Tensor:
    """Block ``block`` of the projection matrix: ``rows`` x ``dim`` entries of +-1/sqrt(dim), a
    function of (seed, block) and the device type only. It is made where the gradients are
    (on a GPU, by its own generator: no host-to-device copy of a matrix that can be far larger
    than the model), so one study must take all its gradients on one device type, as ICONS'
    own projectors require (``docs/paper.md``, section 9.1)."""
    generator = torch.Generator(device=device).manual_seed(int(seed) * 1_000_003 + int(block))
    bits = torch.randint(0, 2, (rows, dim), generator=generator, dtype=torch.int8, device=device)
    return (bits.to(dtype) * 2 - 1) / dim**0.5


def project(gradients, dim: int, seed: int, block_dims: int, first_block: int = 0) -> tuple[torch.Tensor, int]:
    """``gradients``: an iterable of (batch, d_i) per-example gradient pieces, in a fixed order.
    Returns their projection, sum_i G_i R_i, as (batch, dim), and the number of the next block.

    Each piece is cut into blocks of at most ``block_dims`` columns; block b of the matrix is
    ``projection_block(seed, first_block + b)``, made when it is used and then dropped."""
    total, block = None, int(first_block)
    for piece in gradients:
        piece = piece.reshape(piece.shape[0], -1).float()
        for start in range(0, piece.shape[1], block_dims):
            chunk = piece[:, start : start + block_dims]
            r = projection_block(seed, block, chunk.shape[1], dim, device=chunk.device)
            part = chunk @ r
            total = part if total is None else total + part
            block += 1
    if total is None:
        raise ValueError("no gradient pieces to project (the model has no LoRA parameters?)")
    return total, block


def unit_rows(x: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length; a zero row (an example with no answer token) stays 0."""
    x = np.asarray(x, dtype=np.float64)
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return np.divide(x, norms, out=np.zeros_like(x), where=norms > 0)


def influence(pool: np.ndarray, val: np.ndarray) -> np.ndarray:
    """(n,) mean cosine of each pool row with the validation rows (both unit-normalised first).

    Equal to (pool_unit @ val_unit.T).mean(axis=1), computed as a dot with the mean validation
    vector so it costs O(n) rather than O(n m)."""
    pool, val = np.asarray(pool), np.asarray(val)
    if pool.ndim != 2 or val.ndim != 2 or pool.shape[1] != val.shape[1]:
        raise ValueError(f"pool {pool.shape} and validation {val.shape} gradients must be (n, k) and (m, k)")
    if len(val) == 0:
        raise ValueError("no validation gradients: a target needs at least one validation example")
    return unit_rows(pool) @ unit_rows(val).mean(axis=0)


def _check_n(n: int, scores: pd.Series | pd.DataFrame) -> int:
    if isinstance(n, bool) or int(n) != n or n < 1:
        raise ValueError(f"selection size must be a positive integer, got {n!r}")
    if n > len(scores):
        raise ValueError(f"selection size {n} exceeds the pool ({len(scores)} examples)")
    return int(n)


def top_n(scores: pd.Series, n: int) -> pd.Index:
    """Ids of the ``n`` highest scores, best first; ties by id ascending."""
    n = _check_n(n, scores)
    order = np.lexsort((scores.index.astype(str).to_numpy(), -scores.to_numpy(dtype=np.float64)))
    return scores.index[order[:n]]


def consensus(scores: pd.DataFrame, n: int, top_percent: float) -> tuple[pd.Index, pd.Series]:
    """ICONS' generalist selection. ``scores``: pool ids x targets (influence). Returns the ids
    of the ``n`` chosen (best first) and every example's votes.

    Target t votes for an example whose score is >= the (100 - top_percent)th percentile of
    t's scores; the examples with most votes win, ties broken by mean score, then id."""
    n = _check_n(n, scores)
    if not 0 < top_percent <= 100:
        raise ValueError(f"top_percent must be in (0, 100], got {top_percent}")
    values = scores.to_numpy(dtype=np.float64)
    thresholds = np.percentile(values, 100 - top_percent, axis=0)
    votes = (values >= thresholds).sum(axis=1)
    order = np.lexsort((scores.index.astype(str).to_numpy(), -values.mean(axis=1), -votes))
    return scores.index[order[:n]], pd.Series(votes, index=scores.index, name="votes")
