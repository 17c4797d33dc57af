"""Data sources: one module per source; fetching is separate from pure parsing."""
