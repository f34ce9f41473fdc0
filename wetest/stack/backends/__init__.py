"""Cluster backends: envtest (local processes), existing (a kubeconfig).

The kind backend (Docker) is the package ``wetest.stack.kind``, with its files and commands.
"""
