"""HTTP resources: nouns with ``on_<verb>`` responders and injected dependencies."""
