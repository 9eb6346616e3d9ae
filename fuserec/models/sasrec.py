"""SASRec: the next item from the order of a user's history, by a causal transformer (Kang & McAuley).

Built for a CPU first. A batch holds users of similar history length and is padded only to its
longest (most histories are short), every position of a sequence is a training example in the
same pass, and the sampled softmax draws one set of negatives for the whole batch, so its cost
is one matrix product. The model keeps each user's last ``max_len`` items and scores from them;
`score_sequences` scores any ordered history the same way without refitting.
"""

from __future__ import annotations

import os
import time
from typing import Any, ClassVar

import numpy as np

from fuserec._core.cost import Cost, DataShape, history_bytes
from fuserec._core.early_stopping import EarlyStopping
from fuserec._core.sampling import sample_users
from fuserec.data.dataset import Dataset
from fuserec.models.base import VALIDATION_USERS, Recommender
from fuserec.models.capabilities import EncoderText, FactorSimilarity, ReadsOrder
from fuserec.models.params import OneOf, Range
from fuserec.models.sequences import drop_last, length_batches, padded, user_sequences
from fuserec.progress import progress

SCORE_BATCH = 512  # sequences encoded at once when scoring
LOSSES = ("sampled-softmax", "softmax", "bce")


class SASRec(ReadsOrder, EncoderText, FactorSimilarity, Recommender):
    """Self-attentive sequential recommendation: a causal transformer over each user's items in
    time order, trained to predict the next item at every position [1]_.

    Each user's last training item is held out as a validation target; training stops when
    validation NDCG@10 has not improved for ``patience`` epochs. With ``refit``, a new network
    then trains on the whole sequences for the best epoch count, so that the most recent step of
    each history is learned too; without it, the best epoch's weights are kept. Users are scored
    from their whole training history.

    With an ``encoder``, an item is also known by its text: its language-model vector passes
    through a learned adapter (a gated mixture of projections, as UniSRec's) and is added to its id
    embedding (``text_form="id+text"``) or stands alone (``"text"``). Items with no training
    interactions have no id embedding, so an item that arrives with text can be recommended before
    anyone has touched it, without retraining.

    Parameters
    ----------
    factors : int
        Size of the item and position embeddings and of the hidden state.
    blocks, heads : int
        Transformer blocks, and attention heads per block (``factors`` must divide by it).
    dropout : float
        Dropout on the embeddings, the attention weights and the position-wise layers.
    max_len : int
        Most recent items a user is read by.
    loss : {"sampled-softmax", "softmax", "bce"}
        Softmax over ``n_negatives`` items drawn once per batch, over the whole catalogue, or
        binary cross-entropy against one random item per position (the original paper's).
    n_negatives : int
        Items drawn per batch for ``sampled-softmax``.
    lr, batch_size : float, int
        Adam's learning rate; users per batch.
    epochs, patience : int
        Most epochs; epochs without a better validation NDCG@10 before stopping.
    refit : bool
        Train a new network on the whole sequences (validation items included) for the number of
        epochs validation chose. ``False``: keep the early-stopped network.
    encoder : str, optional
        The encoder of the item texts (``"minilm"``, ``"static"``, ``"tfidf"``, ...); ``None``
        (default): ids only.
    text_form : {"id+text", "text"}
        With an encoder: the text adapter's output added to the id embedding, or alone.
    experts : int
        Projections in the text adapter's mixture.
    device : str, optional
        ``"cpu"`` or ``"cuda"``; default: CUDA when torch sees a GPU.
    random_state : int
        Seed of torch and of the batching.
    verbose : bool
        Log each epoch's loss and validation NDCG@10.

    Attributes
    ----------
    item_factors_ : ndarray of shape (n_items, factors)
        The learned item embeddings (what ``similar_items`` compares).
    best_epoch_ : int
        Epochs of the kept weights.
    val_history_ : list of float
        Validation NDCG@10 after each epoch.

    References
    ----------
    .. [1] Kang and McAuley, "Self-Attentive Sequential Recommendation", ICDM, 2018.

    Examples
    --------
    >>> model = SASRec(factors=32, epochs=5)
    """

    task = "ranking"
    requires = ("torch",)
    param_rules: ClassVar[dict[str, Range | OneOf]] = {
        "factors": Range(ge=1), "blocks": Range(ge=1), "heads": Range(ge=1), "dropout": Range(ge=0, lt=1),
        "max_len": Range(ge=1), "loss": OneOf(*LOSSES), "n_negatives": Range(ge=1), "lr": Range(gt=0),
        "batch_size": Range(ge=1), "epochs": Range(ge=1), "patience": Range(ge=1), "random_state": Range(ge=0),
        "text_form": OneOf("id+text", "text"), "experts": Range(ge=1),
    }

    def __init__(self, factors: int = 64, blocks: int = 1, heads: int = 1, dropout: float = 0.2, max_len: int = 50,
                 loss: str = "sampled-softmax", n_negatives: int = 2048, lr: float = 1e-3, batch_size: int = 128,
                 epochs: int = 200, patience: int = 20, refit: bool = True, encoder: str | None = None,
                 text_form: str = "id+text", experts: int = 8, device: str | None = None, random_state: int = 0,
                 verbose: bool = False) -> None:
        self.factors = factors
        self.blocks = blocks
        self.heads = heads
        self.dropout = dropout
        self.max_len = max_len
        self.loss = loss
        self.n_negatives = n_negatives
        self.lr = lr
        self.batch_size = batch_size
        self.epochs = epochs
        self.patience = patience
        self.refit = refit
        self.encoder = encoder
        self.text_form = text_form
        self.experts = experts
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    def _cost(self, shape: DataShape) -> Cost:
        per_position = 2 * self.blocks * (6 * self.factors ** 2 + self.max_len * self.factors)
        per_position += 2 * self.factors * (shape.items if self.loss == "softmax" else self.n_negatives)
        weights = 4 * (shape.items + self.max_len) * self.factors * 4
        return Cost(dense=3.0 * self.epochs * shape.events * per_position, resident=history_bytes(shape) + weights,
                    transient=history_bytes(shape) + 8 * self.batch_size * self.max_len * self.factors * 4)

    # ---- training --------------------------------------------------------------------------
    def _net(self, n_items: int, text: np.ndarray | None = None, warm: np.ndarray | None = None):
        from fuserec.models.sasrec_net import SASRecNet

        return SASRecNet(n_items, self.factors, self.blocks, self.heads, self.dropout, self.max_len, text, warm,
                         use_ids=text is None or self.text_form == "id+text", experts=self.experts)

    def _fit(self, train: Dataset) -> None:
        import torch

        from fuserec.device import default_device

        if self.factors % self.heads:
            from fuserec.errors import ParamError

            raise ParamError(f"model 'sasrec': factors ({self.factors}) must divide by heads ({self.heads})")
        torch.manual_seed(self.random_state)
        torch.set_num_threads(len(os.sched_getaffinity(0)))
        device = self.device or default_device()
        indptr, items = user_sequences(train)
        inner_ptr, inner_items, target = drop_last(indptr, items)
        text = None
        if self.encoder is not None:
            from fuserec.semantic.search import item_text_vectors

            text = item_text_vectors(train, self.encoder)
        n = train.n_items
        net = self._net(n, text, np.bincount(inner_items, minlength=n) > 0).to(device)
        net, self.best_epoch_, self.val_history_ = self._train(net, inner_ptr, inner_items, target, device)
        if self.refit:
            net = self._refit(n, text, indptr, items, self.best_epoch_, device)
        self.net_ = net.cpu().eval()
        self._keep_sequences(indptr, items)
        self.popularity_ = np.bincount(items, minlength=train.n_items).astype(np.float32)
        with torch.no_grad():
            self.item_factors_ = net.item_vectors().numpy().astype(np.float32)

    def _keep_sequences(self, indptr: np.ndarray, items: np.ndarray) -> None:
        """Each user's last ``max_len`` items: all that scoring reads."""
        users = np.arange(len(indptr) - 1)
        window, lengths = padded(indptr, items, users, self.max_len, -1)
        self.sequence_ptr_ = np.r_[0, np.cumsum(lengths)].astype(np.int64)
        self.sequence_items_ = window[window >= 0].astype(np.int64) if len(lengths) else np.zeros(0, np.int64)

    def _train(self, net, indptr: np.ndarray, items: np.ndarray, target: np.ndarray, device: str):
        """Epochs until validation NDCG@10 stops improving; the best epoch's weights."""
        import torch

        rng = np.random.default_rng(self.random_state)
        lengths = np.diff(indptr)
        val_users = sample_users(np.flatnonzero((target >= 0) & (lengths >= 1)), VALIDATION_USERS, self.random_state)
        opt = torch.optim.Adam(net.parameters(), lr=self.lr, betas=(0.9, 0.98))
        stopper = EarlyStopping(self.patience)
        for epoch in progress(range(self.epochs), "SASRec: training, validation NDCG@10 each epoch", self.epochs):
            start = time.perf_counter()
            loss = self._epoch(net, opt, indptr, items, rng, device)
            score = self._validate(net, indptr, items, target, val_users, device)
            if self.verbose:
                print(f"epoch {epoch + 1}: loss {loss:.4f}, validation NDCG@10 {score:.4f} "
                      f"({time.perf_counter() - start:.1f} s)", flush=True)
            if stopper.update(net, score):
                break
        stopper.restore(net)
        return net, stopper.best_epoch, stopper.history

    def _refit(self, n_items: int, text: np.ndarray | None, indptr: np.ndarray, items: np.ndarray, epochs: int,
               device: str):
        """A new network trained on the whole sequences for the chosen number of epochs."""
        import torch

        torch.manual_seed(self.random_state)
        rng = np.random.default_rng(self.random_state)
        net = self._net(n_items, text, np.bincount(items, minlength=n_items) > 0).to(device)
        opt = torch.optim.Adam(net.parameters(), lr=self.lr, betas=(0.9, 0.98))
        for _ in progress(range(epochs), "SASRec: training on the whole sequences", epochs):
            self._epoch(net, opt, indptr, items, rng, device)
        return net

    def _epoch(self, net, opt, indptr: np.ndarray, items: np.ndarray, rng: np.random.Generator, device: str) -> float:
        """One pass over every sequence of two items or more; the mean loss."""
        import torch

        from fuserec.models.sasrec_net import sequence_loss

        net.train()
        lengths = np.diff(indptr)
        trainable = np.flatnonzero(lengths >= 2)
        total = 0.0
        for batch in length_batches(lengths[trainable], self.batch_size, rng):
            window, size = padded(indptr, items, trainable[batch], self.max_len + 1, net.n_items)
            seqs = torch.as_tensor(window, device=device)
            hidden = net(seqs[:, :-1], torch.as_tensor(np.maximum(size - 1, 1), device=device))
            loss = sequence_loss(net, hidden, seqs[:, 1:], self.loss, self.n_negatives)
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += float(loss.detach()) * len(batch)
        return total / max(len(trainable), 1)

    def _validate(self, net, indptr, items, target, users, device: str) -> float:
        """NDCG@10 of each user's held-out last item, ranked over the items not in their input."""
        import torch

        from fuserec._core.ranking import ndcg_of_scores

        if len(users) == 0:
            return 0.0
        net.eval()
        out = []
        with torch.no_grad():
            table = net.item_vectors()
            for start in range(0, len(users), SCORE_BATCH):
                block = users[start:start + SCORE_BATCH]
                scores = self._encode_scores(net, table, indptr, items, block, device)
                seen = _rows(indptr, items, block, net.n_items)
                truth = _rows(np.arange(len(block) + 1), target[block], np.arange(len(block)), net.n_items)
                out.append(ndcg_of_scores(scores, seen, truth))
        return float(np.concatenate(out).mean())

    def _encode_scores(self, net, table, indptr, items, users, device: str) -> np.ndarray:
        """Scores of every item (rows of ``table``) after each user's last ``max_len`` items."""
        import torch

        window, size = padded(indptr, items, users, self.max_len, net.n_items)
        hidden = net.last(torch.as_tensor(window, device=device), torch.as_tensor(np.maximum(size, 1), device=device))
        scores = (hidden @ table.T).float().cpu().numpy()
        empty = size == 0
        if empty.any():  # no history to read: the most popular items first
            scores[empty] = getattr(self, "popularity_", np.zeros(net.n_items, dtype=np.float32))
        return scores

    # ---- scoring ---------------------------------------------------------------------------
    def _score_users(self, users: np.ndarray) -> np.ndarray:
        import torch

        out = np.empty((len(users), len(self.items_)), dtype=np.float32)
        table = torch.as_tensor(self.item_factors_)
        with torch.no_grad():
            for start in range(0, len(users), SCORE_BATCH):
                block = np.asarray(users[start:start + SCORE_BATCH], dtype=np.int64)
                out[start:start + len(block)] = self._encode_scores(self.net_, table, self.sequence_ptr_,
                                                                    self.sequence_items_, block, "cpu")
        return out

    def user_sequence(self, user: int) -> np.ndarray:
        """The last ``max_len`` training items of user index ``user``, oldest first."""
        self._check_fitted()
        return self.sequence_items_[self.sequence_ptr_[user]:self.sequence_ptr_[user + 1]].copy()

    def score_sequences(self, sequences: list[Any]) -> np.ndarray:
        """Scores of every item after each ordered history of item indices (oldest first), read
        as a training user's history is: its last ``max_len`` items. No refitting."""
        import torch

        self._check_fitted()
        seqs = [np.asarray(s, dtype=np.int64) for s in sequences]
        indptr = np.r_[0, np.cumsum([len(s) for s in seqs])].astype(np.int64)
        items = np.concatenate(seqs) if seqs else np.zeros(0, np.int64)
        with torch.no_grad():
            return self._encode_scores(self.net_, torch.as_tensor(self.item_factors_), indptr, items,
                                       np.arange(len(seqs)), "cpu")

    # ---- learned state, as data ------------------------------------------------------------
    def get_state(self) -> dict:
        """As the base class, with the network as its weight arrays."""
        state = super().get_state()
        net = state.pop("net_")
        state["net_weights_"] = {k: v.detach().cpu().numpy() for k, v in net.state_dict().items()}
        return state

    def set_state(self, state: dict) -> SASRec:
        import torch

        state = dict(state)
        weights = state.pop("net_weights_")
        super().set_state(state)
        text = np.asarray(weights["text"])[:-1] if "text" in weights else None
        net = self._net(len(self.item_factors_), text, np.asarray(weights["warm"])[:-1])
        net.load_state_dict({k: torch.as_tensor(np.asarray(v)) for k, v in weights.items()})
        self.net_ = net.eval()
        return self


def _rows(indptr: np.ndarray, items: np.ndarray, users: np.ndarray, n_items: int):
    """Binary CSR rows of the given users' sequences."""
    import scipy.sparse as sp

    starts, ends = indptr[users], indptr[users + 1]
    lengths = ends - starts
    cols = items[np.concatenate([np.arange(s, e) for s, e in zip(starts, ends, strict=True)])] \
        if lengths.sum() else np.zeros(0, np.int64)
    ptr = np.r_[0, np.cumsum(lengths)]
    keep = cols >= 0
    data = keep.astype(np.float32)
    return sp.csr_matrix((data, np.maximum(cols, 0), ptr), shape=(len(users), n_items))
