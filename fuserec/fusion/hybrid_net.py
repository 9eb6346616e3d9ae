"""The torch network behind ``fuserec.fusion.hybrid.NeuralHybrid``: ID embeddings plus projections
of the text vectors, biases, and for ratings an MLP over the concatenated user and item vectors."""

from __future__ import annotations

import numpy as np


def build_net(n_users, n_items, factors, item_text, user_text, hidden, rating):
    """The torch module of `NeuralHybrid` (built in a function so that importing does not import torch)."""
    import torch
    from torch import nn

    def projection(dim: int) -> nn.Module:
        if hidden:
            return nn.Sequential(nn.Linear(dim, hidden), nn.ReLU(), nn.Linear(hidden, factors))
        return nn.Linear(dim, factors, bias=False)

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.n_items = n_items
            self.mu = 0.0
            self.user_id = nn.Embedding(n_users, factors)
            self.item_id = nn.Embedding(n_items, factors)
            for emb in (self.user_id, self.item_id):
                nn.init.normal_(emb.weight, std=0.05)
            self.item_b = nn.Embedding(n_items, 1)
            nn.init.zeros_(self.item_b.weight)
            self.has_text = item_text is not None
            if self.has_text:
                self.register_buffer("item_text", torch.as_tensor(item_text))
                self.register_buffer("user_text", torch.as_tensor(user_text))
                self.item_proj = projection(item_text.shape[1])
                self.user_proj = projection(user_text.shape[1])
                self.text_b = nn.Linear(item_text.shape[1], 1)
            if rating:
                self.user_b = nn.Embedding(n_users, 1)
                nn.init.zeros_(self.user_b.weight)
                self.mlp = nn.Sequential(nn.Linear(2 * factors, factors), nn.ReLU(), nn.Linear(factors, 1))

        @property
        def device(self):
            return self.user_id.weight.device

        def user(self, u, keep):
            out = self.user_id(u) * keep
            if self.has_text:
                out = out + self.user_proj(self.user_text[u])
            return out

        def item(self, i, keep):
            out = self.item_id(i) * keep
            if self.has_text:
                out = out + self.item_proj(self.item_text[i])
            return out

        def item_bias(self, i, keep):
            out = self.item_b(i).squeeze(1) * keep.squeeze(1)
            if self.has_text:
                out = out + self.text_b(self.item_text[i]).squeeze(1)
            return out

        def rating(self, u, i, pu, pi, keep_u, keep_i):
            return (self.mu + self.user_b(u).squeeze(1) * keep_u.squeeze(1) + self.item_bias(i, keep_i)
                    + (pu * pi).sum(1) + self.mlp(torch.cat([pu, pi], 1)).squeeze(1))

        def export(self, warm_items: np.ndarray, warm_users: np.ndarray):
            """Final user and item vectors and item biases; cold users/items keep their text part only."""
            with torch.no_grad():
                ku = torch.as_tensor(warm_users, dtype=torch.float32, device=self.device)[:, None]
                ki = torch.as_tensor(warm_items, dtype=torch.float32, device=self.device)[:, None]
                uq = self.user(torch.arange(len(ku), device=self.device), ku)
                everything = torch.arange(self.n_items, device=self.device)
                iq = self.item(everything, ki)
                ib = self.item_bias(everything, ki)
            return uq.cpu().numpy(), iq.cpu().numpy(), ib.cpu().numpy()

    return Net()
