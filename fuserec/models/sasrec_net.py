"""The torch network behind ``fuserec.models.sasrec.SASRec``: a causal transformer over item ids.

Sequences are right-padded with the index ``n_items``, so causal attention alone keeps every
real position from seeing padding (padding only ever comes after it) and no key mask is built.
Positions count back from each sequence's last item, as in SASRec's left-padded windows: the
position of the item a prediction is made from is always 0. Imported only when a model trains
or loads, since importing torch takes a while.
"""

from __future__ import annotations

import math
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn


class Block(nn.Module):
    """SASRec's block: attention from the normalised sequence, then a position-wise MLP."""

    def __init__(self, factors: int, heads: int, dropout: float) -> None:
        super().__init__()
        self.factors, self.heads, self.dropout = factors, heads, dropout
        self.norm_attention = nn.LayerNorm(factors, eps=1e-8)
        self.qkv = nn.Linear(factors, 3 * factors)
        self.out = nn.Linear(factors, factors)
        self.norm_mlp = nn.LayerNorm(factors, eps=1e-8)
        self.mlp = nn.Sequential(nn.Linear(factors, factors), nn.ReLU(), nn.Dropout(dropout),
                                 nn.Linear(factors, factors))
        self.drop = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, length, _ = x.shape
        q = self.norm_attention(x)
        w_q, w_k, w_v = self.qkv.weight.chunk(3)
        b_q, b_k, b_v = self.qkv.bias.chunk(3)
        split = (b, length, self.heads, self.factors // self.heads)
        query = F.linear(q, w_q, b_q).view(split).transpose(1, 2)
        key = F.linear(x, w_k, b_k).view(split).transpose(1, 2)
        value = F.linear(x, w_v, b_v).view(split).transpose(1, 2)
        attended = F.scaled_dot_product_attention(query, key, value, is_causal=True,
                                                  dropout_p=self.dropout if self.training else 0.0)
        x = q + self.drop(self.out(attended.transpose(1, 2).reshape(b, length, self.factors)))
        y = self.norm_mlp(x)
        return y + self.drop(self.mlp(y))


class TextAdapter(nn.Module):
    """An item's language-model vector into the model's space: a gated mixture of whitened linear
    projections, as UniSRec's mixture-of-experts adapter."""

    def __init__(self, dim: int, factors: int, experts: int, dropout: float) -> None:
        super().__init__()
        self.drop = nn.Dropout(dropout)
        self.shift = nn.Parameter(torch.zeros(experts, dim))
        self.projections = nn.Parameter(torch.empty(experts, dim, factors))
        nn.init.xavier_normal_(self.projections)
        self.gate = nn.Linear(dim, experts, bias=False)

    def forward(self, text: torch.Tensor) -> torch.Tensor:
        x = self.drop(text)
        experts = torch.einsum("...ed,edf->...ef", x.unsqueeze(-2) - self.shift, self.projections)
        weights = torch.softmax(self.gate(x), dim=-1).unsqueeze(-1)
        return (weights * experts).sum(-2)


class SASRecNet(nn.Module):
    """Item and position embeddings, ``blocks`` blocks and a final normalisation; the output
    representation of the items is their input one.

    An item is represented by its id embedding, by its text vector through `TextAdapter`, or by
    their sum. ``warm`` marks the items with training interactions: the others have no id
    embedding (an untrained row would only add noise), so a new item is known by its text.
    """

    warm: torch.Tensor
    text: torch.Tensor

    def __init__(self, n_items: int, factors: int, blocks: int, heads: int, dropout: float, max_len: int,
                 text: Any = None, warm: Any = None, use_ids: bool = True,
                 experts: int = 8) -> None:
        super().__init__()
        self.n_items, self.factors, self.use_ids = n_items, factors, use_ids
        self.items = nn.Embedding(n_items + 1, factors, padding_idx=n_items)
        self.positions = nn.Embedding(max_len, factors)
        self.drop = nn.Dropout(dropout)
        self.blocks = nn.ModuleList(Block(factors, heads, dropout) for _ in range(blocks))
        self.norm = nn.LayerNorm(factors, eps=1e-8)
        nn.init.xavier_normal_(self.items.weight)
        nn.init.xavier_normal_(self.positions.weight)
        with torch.no_grad():
            self.items.weight[n_items].zero_()
        known = torch.ones(n_items, dtype=torch.bool) if warm is None else torch.as_tensor(warm, dtype=torch.bool)
        self.register_buffer("warm", torch.cat([known, torch.zeros(1, dtype=torch.bool)]))
        self.adapter = None
        if text is not None:
            text = torch.as_tensor(text, dtype=torch.float32)
            self.register_buffer("text", torch.cat([text, torch.zeros(1, text.shape[1])]))
            self.adapter = TextAdapter(text.shape[1], factors, experts, dropout)

    def represent(self, idx: torch.Tensor) -> torch.Tensor:
        """The representation of item indices of any shape (``n_items``, the padding, is zero)."""
        if self.use_ids:
            out = self.items(idx) * self.warm[idx].unsqueeze(-1)
        else:
            out = torch.zeros(*idx.shape, self.factors, device=idx.device)
        if self.adapter is not None:
            out = out + self.adapter(self.text[idx]) * (idx != self.n_items).unsqueeze(-1)
        return out

    def item_vectors(self) -> torch.Tensor:
        """The output representation of every item."""
        return self.represent(torch.arange(self.n_items, device=self.warm.device))

    def forward(self, seqs: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """Hidden state at every position of right-padded ``seqs`` (batch, length)."""
        length = seqs.shape[1]
        back = (lengths[:, None] - 1 - torch.arange(length, device=seqs.device)[None, :]).clamp(min=0)
        x = self.drop(self.represent(seqs) * math.sqrt(self.factors) + self.positions(back))
        for block in self.blocks:
            x = block(x)
        return self.norm(x)

    def last(self, seqs: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """Hidden state at each sequence's last item: what the next item is scored from."""
        hidden = self.forward(seqs, lengths)
        return hidden[torch.arange(len(seqs), device=seqs.device), lengths - 1]


def sequence_loss(net: SASRecNet, hidden: torch.Tensor, targets: torch.Tensor, loss: str,
                  n_negatives: int) -> torch.Tensor:
    """Mean loss of predicting ``targets`` (the item after each position; ``n_items`` pads).

    ``softmax`` ranks each target against the whole catalogue; ``sampled-softmax`` against
    ``n_negatives`` items drawn uniformly once for the whole batch (an item drawn that is the
    position's own target is masked); ``bce`` scores the target against one random item per
    position, as SASRec was first trained.
    """
    keep = targets != net.n_items
    h, t = hidden[keep], targets[keep]
    if loss == "softmax":
        return F.cross_entropy(h @ net.item_vectors().T, t)
    if loss == "bce":
        negatives = torch.randint(0, net.n_items, t.shape, device=t.device)
        positive = (h * net.represent(t)).sum(-1)
        negative = (h * net.represent(negatives)).sum(-1)
        return -(F.logsigmoid(positive) + F.logsigmoid(-negative)).mean()
    negatives = torch.randint(0, net.n_items, (n_negatives,), device=t.device)
    positive = (h * net.represent(t)).sum(-1, keepdim=True)
    negative = (h @ net.represent(negatives).T).masked_fill(negatives[None, :] == t[:, None], float("-inf"))
    logits = torch.cat([positive, negative], dim=1)
    return F.cross_entropy(logits, torch.zeros(len(t), dtype=torch.long, device=t.device))
