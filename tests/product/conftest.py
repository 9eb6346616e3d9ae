"""The product-loop tests use ``sample`` and ``compact_sample`` from ``tests/conftest.py``."""
