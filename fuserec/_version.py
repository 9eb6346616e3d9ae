"""The package version, in one place (``fuserec.__version__`` and artifact manifests read it)."""

__version__ = "0.2.0.dev0"
