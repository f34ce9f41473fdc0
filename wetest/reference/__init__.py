"""Programs wetest ships and runs as separate processes (reference controller, DataStorage).

They are unaware of the harness (import-linter enforces it): each is started as
``python -m wetest.reference.<name>`` exactly as an alternate implementation would be, so the
bundled case is never special.
"""
