"""Numerical kernels every layer may use: top-k selection, score normalisation, ranking metrics
on hit matrices. Nothing here knows of models."""
