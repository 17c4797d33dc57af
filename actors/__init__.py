"""The bus: broker set-up, message contracts and one thin actor module per capability.

Producers (API, CLI, DAGs) import only ``actors.contracts`` and ``actors.bus``; actor
modules are imported by the worker after ``actors.broker.install_broker``.
"""
