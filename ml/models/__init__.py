"""Outcome models behind one small interface (``ml.models.base.OutcomeModel``)."""
