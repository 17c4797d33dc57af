"""Models: features, fitting, backtests, the registry and the in-memory predictor."""
