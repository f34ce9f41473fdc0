"""Tekton on the stack: real CRDs (envtest), a release (kind), and the status stand-in."""
