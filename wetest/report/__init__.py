"""Triage and conformance reports built only from a run directory's files.

``build.build(run_dir)`` writes triage.md, triage.html and conformance.yaml; ``compare`` diffs
two runs clause by clause. Nothing here imports pytest, kubernetes, the plugin or the stack, so
``wetest report <dir>`` works on an old run and in a separate CI step. Flow: ``results`` (read
files) → ``analysis`` (root causes per test, groups) + ``evidence`` → ``triage`` (one model)
→ ``render_markdown`` / ``render_html``; ``annotate`` and ``allure`` write the root causes
back; ``clauses`` (catalogue.json) → ``conformance`` → ``compare``.
"""
