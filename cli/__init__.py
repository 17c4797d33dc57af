"""The ``footcast`` command: the operators' entry point."""
