"""Tekton's real CRDs, read from the ``github.com/tektoncd/pipeline`` Go module at install time.

The files are never copied into git: ``go mod download -json`` gives the module's folder in the
Go module cache, and ``config/300-crds`` holds the CRDs. The conversion webhook is switched off
(no Tekton webhook runs on envtest) and only ``tekton.dev/v1`` is used by wetest.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from wetest.kube import applying
from wetest.stack import building

MODULE = "github.com/tektoncd/pipeline"


def module_dir(version: str, cache_dir: Path) -> Path:
    """Download (or find in the Go module cache) the Tekton module; return its folder."""
    work = cache_dir / "assets" / f"tekton-{version}"
    work.mkdir(parents=True, exist_ok=True)
    out = building.run_go(
        ["mod", "download", "-json", f"{MODULE}@{version}"], work, work / "download.log"
    )
    return Path(json.loads(out)["Dir"])


def crd_documents(version: str, cache_dir: Path) -> list[dict[str, Any]]:
    """All Tekton CRDs with ``conversion.strategy: None``; cached as JSON after the first read."""
    cached = cache_dir / "assets" / f"tekton-{version}" / "crds.json"
    if cached.is_file():
        docs: list[dict[str, Any]] = json.loads(cached.read_text())
        return docs
    folder = module_dir(version, cache_dir) / "config" / "300-crds"
    docs = [without_webhook(d) for d in applying.load_documents(sorted(folder.glob("*.yaml")))]
    cached.write_text(json.dumps(docs))
    return docs


def without_webhook(crd: dict[str, Any]) -> dict[str, Any]:
    """Return a copy whose conversion needs no webhook (envtest runs no Tekton webhook)."""
    out = copy.deepcopy(crd)
    out["spec"]["conversion"] = {"strategy": "None"}
    return out
