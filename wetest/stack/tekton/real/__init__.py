"""The real Tekton tier (``--wetest-tekton real``): Tekton's own binaries against the stack.

``tier`` starts and stops the processes (controller, webhook, resolvers, loopback registry,
KWOK); ``manifests`` holds what they need in the cluster (Tekton's ConfigMaps from its module,
the webhook's Secret and URL configurations, accounts); ``kwok`` the pod simulator (Stages
playing interface 2's annotations, the fake Node, the binding policy); ``smoke`` the one bundle
the tier checks itself with. See docs/how-to/real-tekton.md.
"""
