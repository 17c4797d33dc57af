"""Shared ground for every footcast process: settings, logging, connections, types."""
