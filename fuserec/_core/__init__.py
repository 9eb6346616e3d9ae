"""Numerical kernels every layer may use: top-k selection, score normalisation, ranking metrics
on hit matrices, and the deprecation shims of moved modules. Nothing here knows of models."""
