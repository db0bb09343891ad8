"""digest: collect new articles, summarise each one, and email a daily digest."""

__version__ = "0.1.0"

__all__ = ["__version__"]
