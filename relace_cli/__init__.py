"""relace-cli: apply LLM edit snippets to files, locally or through the Relace API."""

__version__ = "0.1.0"
