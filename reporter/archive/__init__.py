"""The archive ``reporter run`` writes: one pack per run under ``<period>/<run id>/`` and
``index.json``, a hash chain of the runs.

``index`` (entries and their hashes), ``lock`` (one run at a time), ``store`` (the order of
writes), ``verify`` (a whole archive), ``history`` (one row per run), ``run`` (one run).
"""
