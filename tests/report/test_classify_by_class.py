"""The report classifies Kubernetes failures by error class and Status reason, never by text."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from evidence_builders import Folder, call, we

from wetest.report.analysis import causes
from wetest.report.analysis.analyzers import mechanical
from wetest.report.analysis.evidence import ApiCall
from wetest.report.analysis.writes import is_conflict, resource_version_conflict


def _failed(tmp_path: Path, error_class: str, message: str) -> Folder:
    folder = Folder(tmp_path)
    folder.fields.update(error_class=error_class, message=message)
    return folder


def test_a_name_clash_is_not_a_resource_version_conflict(tmp_path: Path) -> None:
    folder = _failed(
        tmp_path,
        "wetest.kube.errors.AlreadyExists",
        'POST /apis/... failed with HTTP 409 AlreadyExists: "we-1" already exists.',
    )
    assert resource_version_conflict(folder.evidence()) is None
    assert mechanical(folder.evidence()) == "unknown (AlreadyExists) in call"


def test_text_that_quotes_a_409_is_not_a_conflict(tmp_path: Path) -> None:
    folder = _failed(
        tmp_path, "AssertionError", "assert 'Operation cannot be fulfilled: 409 Conflict' == ''"
    )
    assert resource_version_conflict(folder.evidence()) is None


def test_the_conflict_class_is_one_old_and_new_runs_alike(tmp_path: Path) -> None:
    for module in ("wetest.kube.errors", "wetest.errors"):  # runs recorded before the move
        folder = _failed(tmp_path, f"{module}.ResourceConflict", "PUT x failed with HTTP 409.")
        found = resource_version_conflict(folder.add("we.yaml", we("Running")).evidence())
        assert found is not None
        assert found.cause == causes.RESOURCE_VERSION_CONFLICT
        assert found.corroborated is False
        assert (
            mechanical(folder.evidence()) == "resource-version conflict (ResourceConflict) in call"
        )


def test_api_calls_count_conflicts_by_reason() -> None:
    stale = ApiCall(**{k: v for k, v in call("update", 409).items() if k != "user_agent"})
    assert stale.reason == "Conflict"
    assert is_conflict(stale)
    clash = ApiCall("t", "controller", "create", "pipelineruns", code=409, reason="AlreadyExists")
    assert not is_conflict(clash)
    assert is_conflict(ApiCall("t", "controller", "update", "x", code=409))  # no reason recorded
