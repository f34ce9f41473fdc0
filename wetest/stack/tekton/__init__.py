"""Tekton on the stack: real CRDs (envtest) and the status stand-in.

Installing a Tekton release on a kind cluster is ``wetest.stack.kind.tekton_release``.
"""
