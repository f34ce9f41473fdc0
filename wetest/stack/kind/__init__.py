"""The kind backend in one place: a kind cluster (Docker) with a real Tekton release.

``backend`` (the ClusterBackend), ``preflight`` (executables and a Docker daemon, checked
first), ``assets`` (the pinned cluster config, Tekton release and CRDs), ``commands`` (the
``kind``/``kubectl``/``docker`` runs) and ``tekton_release`` (installing that release and
waiting until it admits runs; it needs a real cluster and kubectl, so it belongs here and not
beside the envtest CRDs and the stand-in in ``wetest.stack.tekton``).
"""
