"""Triage reports built from a run directory (results.jsonl, JUnit XML)."""
