"""The founding document's neural recommender, made real: ID embeddings fused with text.

user = ID embedding + projection of the user's semantic vector (their items' text, rating-centred)
item = ID embedding + projection of the item's text vector (+ a bias from the ID and from the text)

Ranking (``loss="softmax"``, the default, or ``"bpr"``) scores by the dot product; ratings
(``loss="mse"``) by μ + b_u + b_i + u·i + MLP([u; i]) (the document's concatenation). ID
embeddings are dropped at random during training (DropoutNet, Volkovs et al. 2017), so the text
side learns to carry the score on its own: an item or user with no interactions gets a real
representation from its text, not noise. Items with no training interactions are scored by their text
alone (with the softmax loss they are not even negatives in training).

Training is mini-batch Adam with early stopping on a validation split carved from train
(NDCG@10 for ranking, RMSE for ratings); the best epoch's weights are kept, and with
``refit=True`` (default) the model is trained again on all of train for that many epochs. On a
GPU when torch sees one.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from fuserec._core.early_stopping import EarlyStopping
from fuserec.data.dataset import Dataset
from fuserec.device import default_device
from fuserec.errors import UsageError
from fuserec.fusion.hybrid_net import build_net
from fuserec.models.base import Recommender
from fuserec.models.capabilities import EncoderText, FactorSimilarity
from fuserec.models.params import OneOf, Range
from fuserec.progress import progress

LOSSES = ("softmax", "bpr", "mse")


class NeuralHybrid(FactorSimilarity, EncoderText, Recommender):
    """ID + text two-tower model; see the module docstring.

    A user is an ID embedding plus a projection of the user's semantic vector (their items' text,
    rating-centred); an item is an ID embedding plus a projection of its text vector, with a bias
    from the ID and from the text. The ranking losses score by the dot product plus the item bias;
    ``loss="mse"`` predicts ratings as μ + b_u + b_i + u·i + MLP([u; i]). ID embeddings are dropped
    at random during training [1]_, so the text side learns to carry the score on its own: a user or
    item with no training interactions gets a real representation from its text, not noise, and is
    scored by its text alone. The softmax never takes such items, not even as negatives.

    Training is mini-batch Adam with early stopping on a validation split carved from train
    (NDCG@10 for ranking, RMSE for ratings); the best epoch's weights are kept, and with ``refit``
    the model is trained again on all of train for that many epochs. On a GPU when torch sees one.

    Parameters
    ----------
    encoder : str or None
        Semantic encoder of the item texts ("minilm", "e5", "tfidf", "int8", ...), or ``None`` for
        IDs only (the ablation without a language model).
    loss : {"softmax", "bpr", "mse"}
        ``"softmax"``: cross-entropy of each positive against the warm catalogue (or a sample of it,
        see ``n_negatives``); ``"bpr"``: pairwise logistic loss against one uniformly drawn item per
        positive; ``"mse"``: squared error on the ratings (the data needs ratings on a scale; the model
        then predicts ratings as well as ranking).
    factors : int
        Size of the ID embeddings and of the text projections.
    id_dropout : float
        Probability that an ID embedding (and the ID part of a bias) is zeroed in a training example.
    text_hidden : int
        0: the text projections are linear; above 0: an MLP with one ReLU hidden layer of this width.
    lr : float
        Adam learning rate.
    reg : float
        L2 penalty on the batch's user and item vectors, per example (``"softmax"``: on the user
        vectors only).
    batch_size : int
        Training interactions per mini-batch.
    n_negatives : int
        Above this many warm items the softmax is taken over a uniform sample of that size (shared by
        the batch) plus the batch's positives; 0: always the full warm catalogue. Used by
        ``"softmax"`` only.
    max_epochs : int
        Most epochs on train minus validation.
    patience : int
        Epochs without a validation improvement before training stops.
    val_size : float
        Share of train held out as the validation split.
    temporal : bool or {"per-user"}
        ``False``: a random validation split; ``True``: train's latest ``val_size``;
        ``"per-user"``: each user's latest ``val_size``.
    refit : bool
        Train again on all of train for the best epoch count. ``False``: keep the best epoch's
        weights from train minus validation.
    device : str, optional
        Torch device. ``None`` (default): ``fuserec.device.default_device()``.
    random_state : int
        Seed of torch, of the shuffling and of the random validation split.
    verbose : bool
        Show a progress bar over the epochs.

    Attributes
    ----------
    user_factors_ : ndarray of shape (n_users, factors)
        Final user vectors (text part only for users with no training interactions).
    item_factors_ : ndarray of shape (n_items, factors)
        Final item vectors (text part only for items with no training interactions).
    item_bias_ : ndarray of shape (n_items,)
        Final item biases.
    best_epoch_ : int
        The epoch with the best validation score (the refit's number of epochs).
    val_history_ : list of float
        Validation score after each epoch (NDCG@10, or RMSE with ``"mse"``).

    References
    ----------
    .. [1] Volkovs, Yu, Poutanen, "DropoutNet: Addressing Cold Start in Recommender Systems",
       NeurIPS, 2017.

    Examples
    --------
    >>> model = NeuralHybrid(encoder="tfidf", loss="bpr", max_epochs=10)
    """

    requires = ("torch",)
    param_rules: ClassVar[dict[str, Range | OneOf]] = {
        "loss": OneOf(*LOSSES), "factors": Range(ge=1), "id_dropout": Range(ge=0, lt=1),
        "text_hidden": Range(ge=0), "lr": Range(gt=0), "reg": Range(ge=0), "batch_size": Range(ge=1),
        "n_negatives": Range(ge=0), "max_epochs": Range(ge=1), "patience": Range(ge=1),
        "val_size": Range(gt=0, lt=1), "temporal": OneOf(False, True, "per-user"), "random_state": Range(ge=0),
    }

    def __init__(self, encoder: str | None = "minilm", loss: str = "softmax", factors: int = 64,
                 id_dropout: float = 0.3, text_hidden: int = 0, lr: float = 3e-3, reg: float = 1e-5,
                 batch_size: int = 1024, n_negatives: int = 2000, max_epochs: int = 40, patience: int = 4,
                 val_size: float = 0.1,
                 temporal: bool | str = False, refit: bool = True, device: str | None = None, random_state: int = 0,
                 verbose: bool = False) -> None:
        self.encoder = encoder
        self.loss = loss
        self.factors = factors
        self.id_dropout = id_dropout
        self.text_hidden = text_hidden
        self.lr = lr
        self.reg = reg
        self.batch_size = batch_size
        self.n_negatives = n_negatives
        self.max_epochs = max_epochs
        self.patience = patience
        self.val_size = val_size
        self.temporal = temporal
        self.refit = refit
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    @property
    def task(self) -> str:  # type: ignore[override]
        return "both" if self.loss == "mse" else "ranking"

    # ---- training --------------------------------------------------------------------------
    def _fit(self, train: Dataset) -> None:
        if self.loss not in LOSSES:
            raise UsageError(f"loss must be one of {', '.join(LOSSES)}, not {self.loss!r}")
        if self.loss == "mse" and (not train.has_ratings or train.rating_scale is None):
            raise UsageError(f"{train.name} has no ratings on a scale: use loss='softmax' or 'bpr'")
        from fuserec.data.split import validation_split

        self.text_ = None
        if self.encoder is not None:
            from fuserec.semantic.search import item_text_vectors

            self.text_ = item_text_vectors(train, self.encoder)
        inner = validation_split(train, self.val_size, self.random_state, self.temporal)
        net, best_epoch, history = self._train(inner.train, inner.test, self.max_epochs)
        self.val_history_ = history
        self.best_epoch_ = best_epoch
        if self.refit:
            net, _, _ = self._train(train, None, best_epoch)
        self._export(net, train)

    def _inputs(self, train: Dataset) -> tuple[np.ndarray | None, np.ndarray | None]:
        if self.text_ is None:
            return None, None
        from fuserec.semantic.profiles import user_vectors

        return self.text_, user_vectors(train, self.text_, half_life_days=None).astype(np.float32)

    def _train(self, train: Dataset, val: Dataset | None, epochs: int):
        import torch

        device = self.device or default_device()
        torch.manual_seed(self.random_state)
        rng = np.random.default_rng(self.random_state)
        item_text, user_text = self._inputs(train)
        net = build_net(train.n_users, train.n_items, self.factors, item_text, user_text, self.text_hidden,
                   self.loss == "mse").to(device)
        inter = train.interactions
        users = torch.as_tensor(inter["user"].to_numpy(np.int64), device=device)
        items = torch.as_tensor(inter["item"].to_numpy(np.int64), device=device)
        ratings = None
        if self.loss == "mse":
            r = inter["rating"].to_numpy(np.float32)
            net.mu = float(r.mean())
            ratings = torch.tensor(r, device=device)
        # warm items, sorted (positives are found in them by searchsorted); cold ones never train
        warm = torch.nonzero(torch.as_tensor(train.item_counts() > 0, device=device)).squeeze(1)
        opt = torch.optim.Adam(net.parameters(), lr=self.lr)
        stopper = EarlyStopping(self.patience, higher_is_better=self.loss != "mse")
        for _ in progress(range(epochs), f"NeuralHybrid ({self.loss})", enabled=self.verbose):
            net.train()
            order = torch.as_tensor(rng.permutation(len(users)), device=device)
            for start in range(0, len(order), self.batch_size):
                b = order[start:start + self.batch_size]
                loss = self._loss(net, users[b], items[b], None if ratings is None else ratings[b], warm, device)
                opt.zero_grad()
                loss.backward()
                opt.step()
            if val is None:
                continue
            if stopper.update(net, self._validate(net, train, val)):
                break
        stopper.restore(net)
        return net, stopper.best_epoch if val is not None else epochs, stopper.history

    def _loss(self, net, u, i, r, warm, device):
        import torch
        import torch.nn.functional as F

        p = self.id_dropout if net.training else 0.0
        keep_u = (torch.rand(len(u), 1, device=device) >= p).float()
        if self.loss == "mse":
            keep_i = (torch.rand(len(i), 1, device=device) >= p).float()
            pu, pi = net.user(u, keep_u), net.item(i, keep_i)
            pred = net.rating(u, i, pu, pi, keep_u, keep_i)
            return F.mse_loss(pred, r) + self.reg * ((pu ** 2).sum() + (pi ** 2).sum()) / len(u)
        pu = net.user(u, keep_u)
        if self.loss == "bpr":
            j = torch.randint(0, net.n_items, (len(u),), device=device)
            keep_i = (torch.rand(len(u), 1, device=device) >= p).float()
            keep_j = (torch.rand(len(u), 1, device=device) >= p).float()
            pi, pj = net.item(i, keep_i), net.item(j, keep_j)
            diff = (pu * (pi - pj)).sum(1) + net.item_bias(i, keep_i) - net.item_bias(j, keep_j)
            norms = (pu ** 2).sum() + (pi ** 2).sum() + (pj ** 2).sum()
            return -F.logsigmoid(diff).mean() + self.reg * norms / len(u)
        # softmax over the warm catalogue, or over a shared uniform sample of it when it is large
        # (sampled softmax: the normaliser is estimated from n_negatives items; the positives stay)
        candidates = warm
        if self.n_negatives and len(candidates) > self.n_negatives:
            pick = torch.randint(0, len(candidates), (self.n_negatives,), device=device)
            candidates = torch.unique(torch.cat([candidates[pick], i]))
        keep_c = (torch.rand(len(candidates), 1, device=device) >= p).float()
        qi = net.item(candidates, keep_c)
        logits = pu @ qi.T + net.item_bias(candidates, keep_c)[None, :]
        target = torch.searchsorted(candidates, i)
        return F.cross_entropy(logits, target) + self.reg * (pu ** 2).sum() / len(u)

    def _validate(self, net, train: Dataset, val: Dataset) -> float:
        import torch

        net.eval()
        with torch.no_grad():
            if self.loss == "mse":
                inter = val.interactions
                u = torch.as_tensor(inter["user"].to_numpy(np.int64), device=net.device)
                i = torch.as_tensor(inter["item"].to_numpy(np.int64), device=net.device)
                ones_u = torch.ones(len(u), 1, device=net.device)
                ones_i = torch.ones(len(i), 1, device=net.device)
                lo, hi = train.rating_scale  # type: ignore[misc]
                pred = net.rating(u, i, net.user(u, ones_u), net.item(i, ones_i), ones_u, ones_i).clamp(lo, hi)
                truth = torch.tensor(inter["rating"].to_numpy(np.float32), device=net.device)
                return float(torch.sqrt(((pred - truth) ** 2).mean()))
            from fuserec._core.ranking import ndcg_of_scores

            truth = val.matrix("binary")
            users = np.flatnonzero(np.diff(truth.indptr) > 0)
            uq, iq, ib = net.export(train.item_counts() > 0, train.user_counts() > 0)
            scores = uq[users] @ iq.T + ib[None, :]
            return float(ndcg_of_scores(scores, train.matrix("binary")[users], truth[users]).mean())

    def _export(self, net, train: Dataset) -> None:
        self._warm_users_ = train.user_counts() > 0
        self._warm_items_ = train.item_counts() > 0
        uq, iq, ib = net.export(self._warm_items_, self._warm_users_)
        self.user_factors_, self.item_factors_, self.item_bias_ = uq, iq, ib
        if self.loss == "mse":
            self.net_ = net.cpu().eval()

    # ---- learned state, as data ------------------------------------------------------------
    def get_state(self) -> dict:
        """As the base class, with the rating network (``loss="mse"``) as its weight arrays."""
        state = super().get_state()
        net = state.pop("net_", None)
        if net is not None:
            state["net_weights_"] = {k: v.detach().cpu().numpy() for k, v in net.state_dict().items()}
            state["net_mu_"] = float(net.mu)
        return state

    def set_state(self, state: dict) -> NeuralHybrid:
        state = dict(state)
        weights, mu = state.pop("net_weights_", None), state.pop("net_mu_", None)
        super().set_state(state)
        if weights is not None:
            import torch

            text = weights.get("item_text")
            net = build_net(len(self.user_factors_), len(self.item_bias_), self.factors, text,
                       weights.get("user_text"), self.text_hidden, True)
            net.load_state_dict({k: torch.as_tensor(v) for k, v in weights.items()})
            net.mu = mu
            self.net_ = net.eval()
        return self

    # ---- scoring ---------------------------------------------------------------------------
    def _score_users(self, users: np.ndarray) -> np.ndarray:
        if self.loss != "mse":
            return self.user_factors_[users] @ self.item_factors_.T + self.item_bias_[None, :]
        n = len(self.item_bias_)
        uu, ii = np.repeat(users, n), np.tile(np.arange(n), len(users))
        return self._score_pairs(uu, ii).reshape(len(users), n)

    def _score_pairs(self, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        if self.loss != "mse":
            return (self.user_factors_[users] * self.item_factors_[items]).sum(1) + self.item_bias_[items]
        import torch

        net = self.net_
        out = np.empty(len(users), dtype=np.float64)
        with torch.no_grad():
            for start in range(0, len(users), 1 << 16):
                u = torch.as_tensor(np.array(users[start:start + (1 << 16)], dtype=np.int64))
                i = torch.as_tensor(np.array(items[start:start + (1 << 16)], dtype=np.int64))
                ku = torch.as_tensor(self._warm_users_[u.numpy()], dtype=torch.float32)[:, None]
                ki = torch.as_tensor(self._warm_items_[i.numpy()], dtype=torch.float32)[:, None]
                pred = net.rating(u, i, net.user(u, ku), net.item(i, ki), ku, ki)
                out[start:start + len(u)] = pred.numpy()
        return out
