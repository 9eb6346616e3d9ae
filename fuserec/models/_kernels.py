"""Compiled inner loops (numba) for the SGD-trained factor models: one pass over the data each.

These are the loops the field writes in Cython (Surprise) or C++; here numba compiles them, so
an epoch over 80,000 ratings takes milliseconds and no Python runs per rating.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, fastmath=True)
def sgd_biased_mf_epoch(users, items, ratings, order, mu, bu, bi, P, Q, lr_bias, lr_factor, reg_bias,
                        reg_factor):  # pragma: no cover (compiled)
    """One epoch of biased MF SGD (Funk/Koren, as Surprise's SVD) in the given order; returns SSE."""
    k = P.shape[1]
    sse = 0.0
    for n in range(order.shape[0]):
        t = order[n]
        u = users[t]
        i = items[t]
        dot = 0.0
        for f in range(k):
            dot += P[u, f] * Q[i, f]
        err = ratings[t] - (mu + bu[u] + bi[i] + dot)
        sse += err * err
        bu[u] += lr_bias * (err - reg_bias * bu[u])
        bi[i] += lr_bias * (err - reg_bias * bi[i])
        for f in range(k):
            puf = P[u, f]
            qif = Q[i, f]
            P[u, f] += lr_factor * (err * qif - reg_factor * puf)
            Q[i, f] += lr_factor * (err * puf - reg_factor * qif)
    return sse


@njit(cache=True, fastmath=True)
def sgd_svdpp_epoch(indptr, items, ratings, user_order, perm, mu, bu, bi, P, Q, Y, lr_bias, lr_factor, lr_y,
                    reg_bias, reg_factor, reg_y):  # pragma: no cover (compiled)
    """One epoch of SVD++ SGD, user by user (ratings grouped by user in CSR form).

    The implicit term |N(u)|^-1/2 Σ y_j is computed once per user and kept current as the user's
    factor changes; the y_j updates are accumulated over the user's ratings and applied at the
    end of the user's block (the usual speed-up over recomputing the sum per rating).
    """
    k = P.shape[1]
    imp = np.zeros(k)
    grad_y = np.zeros(k)
    sse = 0.0
    for uo in range(user_order.shape[0]):
        u = user_order[uo]
        start = indptr[u]
        end = indptr[u + 1]
        n_u = end - start
        if n_u == 0:
            continue
        norm = 1.0 / np.sqrt(n_u)
        for f in range(k):
            imp[f] = 0.0
            grad_y[f] = 0.0
        for p in range(start, end):
            j = items[p]
            for f in range(k):
                imp[f] += Y[j, f]
        for f in range(k):
            imp[f] *= norm
        for p in range(start, end):
            t = start + perm[p]
            i = items[t]
            dot = 0.0
            for f in range(k):
                dot += (P[u, f] + imp[f]) * Q[i, f]
            err = ratings[t] - (mu + bu[u] + bi[i] + dot)
            sse += err * err
            bu[u] += lr_bias * (err - reg_bias * bu[u])
            bi[i] += lr_bias * (err - reg_bias * bi[i])
            for f in range(k):
                puf = P[u, f]
                qif = Q[i, f]
                P[u, f] += lr_factor * (err * qif - reg_factor * puf)
                Q[i, f] += lr_factor * (err * (puf + imp[f]) - reg_factor * qif)
                grad_y[f] += err * norm * qif
        for p in range(start, end):
            j = items[p]
            for f in range(k):
                Y[j, f] += lr_y * (grad_y[f] / n_u - reg_y * Y[j, f])
    return sse


@njit(cache=True, fastmath=True)
def sgd_bpr_epoch(indptr, indices, n_items, samples, seed, bi, P, Q, lr, reg, reg_bias):  # pragma: no cover
    """One epoch of BPR SGD: ``samples`` (user, positive, sampled negative) triples; returns mean log-loss.

    Users are drawn uniformly, then one of their items: every user weighs the same. (Drawing
    observed pairs uniformly, as LearnBPR does, ranked worse on both a random and a temporal
    split, since heavy users then dominate the updates.) ``indices`` must be sorted
    within each row: the negative check is a binary search."""
    np.random.seed(seed)
    n_users = indptr.shape[0] - 1
    k = P.shape[1]
    loss = 0.0
    done = 0
    while done < samples:
        u = np.random.randint(n_users)
        start = indptr[u]
        end = indptr[u + 1]
        if end == start or end - start == n_items:
            continue
        i = indices[start + np.random.randint(end - start)]
        # rejection-sample a negative: an item the user has not interacted with
        while True:
            j = np.random.randint(n_items)
            lo = start
            hi = end
            while lo < hi:  # binary search in the user's sorted items
                mid = (lo + hi) // 2
                if indices[mid] < j:
                    lo = mid + 1
                else:
                    hi = mid
            if lo == end or indices[lo] != j:
                break
        x = bi[i] - bi[j]
        for f in range(k):
            x += P[u, f] * (Q[i, f] - Q[j, f])
        if x > 35.0:
            s = 0.0
        else:
            s = 1.0 / (1.0 + np.exp(x))  # sigmoid(-x): gradient of log sigmoid(x)
        loss += np.log1p(np.exp(-x)) if x > -35.0 else -x
        bi[i] += lr * (s - reg_bias * bi[i])
        bi[j] += lr * (-s - reg_bias * bi[j])
        for f in range(k):
            puf = P[u, f]
            qif = Q[i, f]
            qjf = Q[j, f]
            P[u, f] += lr * (s * (qif - qjf) - reg * puf)
            Q[i, f] += lr * (s * puf - reg * qif)
            Q[j, f] += lr * (-s * puf - reg * qjf)
        done += 1
    return loss / max(samples, 1)
