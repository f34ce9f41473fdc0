"""The DOMAIN.md contract (WE contract v1.0) as data; no I/O."""
