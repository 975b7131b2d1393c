"""Streamed feature files: chunks read member by member from the .npz give the same features,
the same per-sample scores and the same selections as loading the whole file."""

from __future__ import annotations

import zipfile

import numpy as np
import pandas as pd
import pytest

from dataprophet.prophet.factors import FeatureSet, iter_features, load_features, save_features
from dataprophet.selection.select_samples import TargetMeans, sample_factors, select_samples, stream_factors
from dataprophet.settings import SelectSamplesSettings


def unit(rng, n, d):
    x = rng.normal(size=(n, d)) + 0.3
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def features(seed, n, d=6, eot=True, prefix="p"):
    rng = np.random.default_rng(seed)
    nll = rng.uniform(0.2, 2.0, size=n)
    return FeatureSet(
        q=unit(rng, n, d),
        a=unit(rng, n, d),
        i=unit(rng, n, d + 2),
        qa=unit(rng, n, d),
        nll=nll,
        ids=[f"{prefix}{j}" for j in range(n)],
        nll_eot=nll + 0.5 if eot else None,
    )


@pytest.mark.parametrize("rows", [1, 3, 10, 11, 50])
@pytest.mark.parametrize("eot", [True, False])
def test_chunks_put_together_are_the_whole_file(tmp_path, rows, eot):
    fs = features(0, 11, eot=eot)
    save_features(fs, tmp_path / "pool.npz")
    chunks = list(iter_features(tmp_path / "pool.npz", rows=rows))
    assert [len(c) for c in chunks] == [min(rows, 11 - s) for s in range(0, 11, rows)]
    whole = load_features(tmp_path / "pool.npz")
    for field in ("q", "a", "i", "qa", "nll", "ids"):
        np.testing.assert_array_equal(np.concatenate([getattr(c, field) for c in chunks]), getattr(whole, field))
    if eot:
        np.testing.assert_array_equal(np.concatenate([c.nll_eot for c in chunks]), whole.nll_eot)
    else:
        assert all(c.nll_eot is None for c in chunks)


def test_a_bad_row_is_named_with_its_chunk(tmp_path):
    fs = features(1, 9)
    q = fs.q.copy()
    q[7] = np.nan
    np.savez(tmp_path / "bad.npz", q=q, a=fs.a, i=fs.i, qa=fs.qa, nll=fs.nll, ids=fs.ids)
    chunks = iter_features(tmp_path / "bad.npz", "pool bad", rows=4)
    assert len(next(chunks)) == 4  # the first chunk is fine and comes back before the bad one is read
    with pytest.raises(
        ValueError, match=r"pool bad \(the chunk from row 4; .*\): q has non-finite values in rows \[3\]"
    ):
        next(chunks)


def test_missing_arrays_short_arrays_and_non_archives_are_named(tmp_path):
    fs = features(2, 5)
    np.savez(tmp_path / "noq.npz", a=fs.a, i=fs.i, qa=fs.qa, nll=fs.nll, ids=fs.ids)
    with pytest.raises(ValueError, match=r"noq.npz: feature file lacks arrays \['q'\]"):
        list(iter_features(tmp_path / "noq.npz"))
    np.savez(tmp_path / "short.npz", q=fs.q[:4], a=fs.a, i=fs.i, qa=fs.qa, nll=fs.nll, ids=fs.ids)
    with pytest.raises(ValueError, match=r"arrays \['q'\] do not have nll's 5 rows"):
        list(iter_features(tmp_path / "short.npz"))
    (tmp_path / "text.npz").write_text("not a zip")
    with pytest.raises(ValueError, match=r"text.npz: not a readable feature file"):
        list(iter_features(tmp_path / "text.npz"))
    np.savez(
        tmp_path / "objects.npz", q=np.array([[1.0]], dtype=object), a=fs.a, i=fs.i, qa=fs.qa, nll=fs.nll, ids=fs.ids
    )
    with pytest.raises(ValueError, match=r"array q is not a C-ordered numeric"):
        list(iter_features(tmp_path / "objects.npz"))


def test_a_truncated_member_is_an_error_not_a_short_chunk(tmp_path):
    fs = features(3, 6)
    save_features(fs, tmp_path / "full.npz")
    with zipfile.ZipFile(tmp_path / "full.npz") as src, zipfile.ZipFile(tmp_path / "cut.npz", "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            dst.writestr(info.filename, data[:-8] if info.filename == "a.npy" else data)
    with pytest.raises(ValueError, match=r"array a ends before its row 6"):
        list(iter_features(tmp_path / "cut.npz", rows=4))


def test_streamed_scores_equal_whole_file_scores(tmp_path):
    pools = [features(4, 13, prefix="a"), features(5, 8, prefix="b")]
    paths = []
    for j, fs in enumerate(pools):
        paths.append(tmp_path / f"pool{j}.npz")
        save_features(fs, paths[-1])
    targets = {"t1": features(6, 7, prefix="t"), "t2": features(7, 5, prefix="u")}
    streamed = stream_factors(paths, targets, rows=3)
    for name, target in targets.items():
        whole = pd.concat([sample_factors(fs, target) for fs in pools])
        pd.testing.assert_frame_equal(streamed[name], whole, check_exact=False, rtol=1e-12)
        np.testing.assert_allclose(sample_factors(pools[0], TargetMeans.of(target))["m"], whole["m"][:13])
    only_m = stream_factors(paths, targets, columns=("m",), rows=100)
    assert list(only_m["t1"].columns) == ["m"] and len(only_m["t1"]) == 21


def test_select_samples_does_not_depend_on_the_chunk_size(tmp_path):
    save_features(features(8, 40), tmp_path / "pool.npz")
    save_features(features(9, 10, prefix="t"), tmp_path / "target.npz")
    settings = SelectSamplesSettings(k=7)
    small = select_samples(tmp_path / "pool.npz", tmp_path / "target.npz", tmp_path / "a.csv", settings, rows=3)
    large = select_samples(tmp_path / "pool.npz", tmp_path / "target.npz", tmp_path / "b.csv", settings)
    pd.testing.assert_frame_equal(small, large)
    assert (tmp_path / "a.csv").read_text() == (tmp_path / "b.csv").read_text()
    assert small["m"].is_monotonic_decreasing and len(small) == 7
