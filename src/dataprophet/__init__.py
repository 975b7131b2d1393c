"""DataProphet reproduction: which supervision data helps a target benchmark, before training."""

__version__ = "0.1.0"
