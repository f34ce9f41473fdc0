"""Cluster backends: envtest (local processes), kind (Docker), existing (a kubeconfig)."""
