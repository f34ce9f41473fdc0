"""The reference WorkflowExecution controller (WE contract v1.0: Core, Conditions, Audit).

It knows nothing of the harness: it imports only ``wetest.domain``, ``wetest.kube`` and
``wetest.errors`` from the package (import-linter contract), and runs as its own program.
"""
