"""DVC stage entry points: ``python -m ml.stages.<stage>``, each a pure function plus ``main()``.

``main()`` reads its ``params.yaml`` sections and the ``FOOTCAST_*`` settings and does the
file I/O under ``var/pipeline`` (paths in ``ml.stages.paths``, relative to the directory
``dvc repro`` runs in).
"""
