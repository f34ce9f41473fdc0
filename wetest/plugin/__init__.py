"""The pytest plugin (pytest11 entry point ``wetest``): a thin adapter over the library.

Inert until a test asks for a ``we_`` fixture; disable with ``-p no:wetest``.
"""
