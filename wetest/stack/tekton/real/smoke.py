"""One Tekton bundle the real tier checks itself with: a Pipeline ``workflow`` that succeeds.

The scenario bundles (one per stand-in scenario) are ``wetest.stack.tekton.bundles``'s job;
this is the smallest bundle that proves the path registry → bundles resolver → PipelineRun →
TaskRun → Pod → KWOK, used by the tier's own test and ``bench/tekton_real.py``. It is built as
Tekton's bundle contract says: an OCI image whose layers are gzipped tarballs holding one
object each, annotated ``dev.tekton.image.apiVersion``, ``.kind`` (lowercase) and ``.name``.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
from typing import Any

import httpx

MANIFEST = "application/vnd.oci.image.manifest.v1+json"
CONFIG = "application/vnd.oci.image.config.v1+json"
LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"
PIPELINE = "workflow"  # the name the WE controller's PipelineRun asks the resolver for


def pipeline(annotations: dict[str, str] | None = None) -> dict[str, Any]:
    """A one-task Pipeline named :data:`PIPELINE`; ``annotations`` reach the task's pod."""
    task: dict[str, Any] = {
        "steps": [{"name": "run", "image": "wetest.invalid/step", "script": "true"}]
    }
    if annotations:
        task["metadata"] = {"annotations": dict(annotations)}
    return {
        "apiVersion": "tekton.dev/v1",
        "kind": "Pipeline",
        "metadata": {"name": PIPELINE},
        "spec": {
            "params": [{"name": "TARGET_RESOURCE", "type": "string", "default": ""}],
            "tasks": [{"name": "run", "taskSpec": task}],
        },
    }


def _layer(obj: dict[str, Any]) -> tuple[bytes, str]:
    """(gzipped tar with one file, the uncompressed tar's digest = the config's diff ID)."""
    data = json.dumps(obj).encode()
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tar:
        info = tarfile.TarInfo(obj["metadata"]["name"])
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    plain = raw.getvalue()
    return gzip.compress(plain, mtime=0), _digest(plain)


def _digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def push(registry: str, repository: str, objs: list[dict[str, Any]], tag: str = "latest") -> str:
    """Push a bundle of objs over the OCI distribution API; return ``registry/repo@digest``."""
    base = f"http://{registry}/v2/{repository}"
    layers, diff_ids = [], []
    with httpx.Client(timeout=30.0) as http:
        for obj in objs:
            blob, diff_id = _layer(obj)
            layers.append(
                {
                    "mediaType": LAYER,
                    "digest": _upload(http, base, blob),
                    "size": len(blob),
                    "annotations": {
                        "dev.tekton.image.apiVersion": obj["apiVersion"].split("/")[-1],
                        "dev.tekton.image.kind": obj["kind"].lower(),
                        "dev.tekton.image.name": obj["metadata"]["name"],
                    },
                }
            )
            diff_ids.append(diff_id)
        config = json.dumps(
            {
                "architecture": "amd64",
                "os": "linux",
                "rootfs": {"type": "layers", "diff_ids": diff_ids},
            }
        ).encode()
        manifest = {
            "schemaVersion": 2,
            "mediaType": MANIFEST,
            "config": {
                "mediaType": CONFIG,
                "digest": _upload(http, base, config),
                "size": len(config),
            },
            "layers": layers,
        }
        body = json.dumps(manifest).encode()
        http.put(
            f"{base}/manifests/{tag}", content=body, headers={"Content-Type": MANIFEST}
        ).raise_for_status()
    return f"{registry}/{repository}@{_digest(body)}"


def _upload(http: httpx.Client, base: str, blob: bytes) -> str:
    """Monolithic blob upload: POST for a location, PUT with the digest."""
    digest = _digest(blob)
    started = http.post(f"{base}/blobs/uploads/")
    started.raise_for_status()
    location = httpx.URL(base).join(started.headers["Location"])
    http.put(
        location,
        params={"digest": digest},
        content=blob,
        headers={"Content-Type": "application/octet-stream"},
    ).raise_for_status()
    return digest


def push_smoke(registry: str, annotations: dict[str, str] | None = None) -> str:
    """Push the succeeding smoke bundle; return its digest reference."""
    return push(registry, "wetest/smoke", [pipeline(annotations)])
