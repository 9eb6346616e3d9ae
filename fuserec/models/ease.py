"""EASE (Steck 2019): a closed-form item–item model, B = I − P / diag(P) with P = (XᵀX + λI)⁻¹."""

from __future__ import annotations

import numpy as np

from fuserec.data.dataset import Dataset
from fuserec.device import default_device
from fuserec.models.base import Recommender


class EASE(Recommender):
    """Embarrassingly shallow autoencoder for implicit feedback (top-K ranking).

    The item×item inverse runs in torch on the GPU when there is one (``device``), else numpy's
    LAPACK. Memory is n_items² floats: fine to ~30,000 items.
    """

    task = "ranking"

    def __init__(self, reg: float = 300.0, device: str | None = None) -> None:
        self.reg = reg
        self.device = device

    def _fit(self, train: Dataset) -> None:
        x = self.seen_.astype(np.float64)
        gram = (x.T @ x).toarray()
        gram[np.diag_indices_from(gram)] += self.reg
        device = self.device or default_device()
        if device.startswith("cuda"):
            import torch

            p = torch.linalg.inv(torch.as_tensor(gram, device=device)).cpu().numpy()
        else:
            p = np.linalg.inv(gram)
        b = -p / np.diag(p)[None, :]
        np.fill_diagonal(b, 0.0)
        self.item_weights_ = b.astype(np.float32)

    def _score_users(self, users: np.ndarray) -> np.ndarray:
        return np.asarray(self.seen_[users] @ self.item_weights_)
