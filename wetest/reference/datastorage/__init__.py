"""The reference DataStorage: the audit API of DOMAIN.md §5 on a real PostgreSQL.

Run it as ``python -m wetest.reference.datastorage --dsn postgresql://...``; it binds
127.0.0.1 (a free port unless ``--port`` is given) and prints its URL. It knows nothing of the
harness: the import-linter contracts forbid ``kubernetes``, pytest and every ``wetest`` harness
layer here, so an alternate DataStorage can replace it without the harness noticing.

Modules, one job each: ``payloads`` (validate a request into a row), ``timeparse`` (timestamps
and ``since``/``until``), ``querying`` (query-string filters), ``problems`` (RFC 7807 bodies),
``migrating`` (applies the numbered SQL of ``migrations/`` at start-up), ``store``
(PostgreSQL), ``metrics`` (Prometheus), ``routes`` (the endpoints), ``openapi`` (the API
document), ``server`` (uvicorn).
"""
