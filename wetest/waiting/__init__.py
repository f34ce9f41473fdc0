"""Eventually/Consistently: wait on a Kubernetes object (watch-driven) or a callable (polled).

``eventually`` and ``consistently`` live in ``wetest.waiting.eventually``; the predicates in
``expectations``; the failure text in ``describe``. The facade ``wetest`` re-exports them.
"""
