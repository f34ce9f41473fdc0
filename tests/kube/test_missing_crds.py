"""The existing backend finds absent CRDs by NotFound (the error tree), not by HTTP code."""

from __future__ import annotations

import pytest
from kubernetes import client

from wetest.config import settings
from wetest.stack.backends import existing


def test_only_absent_crds_are_missing(
    kube_api: client.ApiClient,
    envtest_settings: settings.Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    backend = existing.create(envtest_settings)
    assert backend.missing_crds(kube_api) == []  # envtest installed them all
    bundled = existing.applying.load_documents

    def one_unknown(paths):  # type: ignore[no-untyped-def]
        return [{**bundled(paths)[0], "metadata": {"name": "absents.example.com"}}]

    monkeypatch.setattr(existing.applying, "load_documents", one_unknown)
    missing = backend.missing_crds(kube_api)
    assert missing[0]["metadata"]["name"] == "absents.example.com"
