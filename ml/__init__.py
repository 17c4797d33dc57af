"""Models: features, fitting, backtests, the registry and the serving state of a worker."""
