"""etcd for the envtest backend: loopback, data on tmpfs when available, no fsync.

Test data is ephemeral, so durability is traded for speed (``--unsafe-no-fsync``), as envtest
does when the binary supports it.

A stack starts etcd from a copy of a *template* data directory when one exists: the store of a
stack that had just installed the CRDs (Established) and the execution namespace, stopped
cleanly. kube-apiserver then serves the CRDs as it starts instead of creating and establishing
nine of them (1.2 s of a 3.8 s start on a quiet 2-core machine, 6-14 s under load). The template
is keyed on what it depends on (the etcd and kube-apiserver binaries, the CRD documents, the
execution namespace), so a new asset version or CRD builds a new one; etcd keeps the member's
old peer URL in the copy, which a single-member cluster never dials.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import struct
from collections.abc import Iterable
from pathlib import Path

from wetest.stack import ports, probing, processes, templates

TEMPLATES = "etcd-templates"
"""Folder under the cache directory holding one template data directory per key."""


def template_key(binaries: Iterable[Path], documents: object, namespace: str) -> str:
    """A short hash of what a template's content depends on."""
    digest = hashlib.sha256()
    for binary in binaries:
        info = binary.stat()
        digest.update(f"{binary.resolve()}:{info.st_size}:{info.st_mtime_ns}\n".encode())
    digest.update(json.dumps(documents, sort_keys=True).encode())
    digest.update(namespace.encode())
    return digest.hexdigest()[:16]


def template_dir(cache_dir: Path, key: str) -> Path:
    return cache_dir / TEMPLATES / key


def seed(work_dir: Path, template: Path) -> None:
    """Copy a template into work_dir's etcd data directory, before :func:`start`."""
    shutil.copytree(template, work_dir / "etcd-data")


def keep_as_template(work_dir: Path, template: Path) -> None:
    """Copy a cleanly stopped etcd's data directory to template, atomically.

    Two stacks may build the same template at once (``templates.publish``).
    """

    def fill(private: Path) -> None:
        shutil.copytree(work_dir / "etcd-data", private)
        for segment in (private / "member" / "wal").glob("*.wal"):
            with segment.open("r+b") as handle:
                handle.truncate(wal_used(segment.read_bytes()))

    templates.publish(template, fill)


def wal_used(data: bytes) -> int:
    """Bytes of a WAL segment up to its last record: etcd preallocates 64 MB of zeros.

    Each record is a little-endian length word (low 56 bits; with the top bit set, bits 56-58
    count the padding to 8 bytes) and its data; a zero word ends the records. Trimmed, a
    template is ~3 MB to copy instead of 67; etcd reopens it and appends as usual.
    """
    offset = 0
    while offset + 8 <= len(data):
        (word,) = struct.unpack_from("<Q", data, offset)
        if word == 0:
            break
        padding = (word >> 56) & 0x7 if word & (1 << 63) else 0
        offset += 8 + (word & ((1 << 56) - 1)) + padding
    return min(offset, len(data))


def start(
    binary: Path, work_dir: Path, timeout: float = 20.0
) -> tuple[processes.ManagedProcess, str]:
    """Start etcd and wait for /health; return the process and the client URL."""
    client, peer = ports.reserve(), ports.reserve()
    url = f"http://127.0.0.1:{client}"
    argv = [
        str(binary),
        f"--data-dir={work_dir / 'etcd-data'}",
        "--name=wetest",
        f"--listen-client-urls={url}",
        f"--advertise-client-urls={url}",
        f"--listen-peer-urls=http://127.0.0.1:{peer}",
        f"--initial-advertise-peer-urls=http://127.0.0.1:{peer}",
        f"--initial-cluster=wetest=http://127.0.0.1:{peer}",
        "--unsafe-no-fsync=true",
        # one member: it elects itself after the election timeout (1 s by default, a median
        # 0.55-0.65 s to /health from the template); at 25/125 ms it is ready in 0.12 s, and
        # with no other member there is nobody to lose an election to under load
        "--heartbeat-interval=25",
        "--election-timeout=125",
        "--quota-backend-bytes=4294967296",
        "--log-level=warn",
    ]
    proc = processes.ManagedProcess(
        "etcd", argv, work_dir / "etcd.log", env=processes.go_environment()
    ).start()
    proc.wait_ready(lambda: _healthy(url), timeout)
    return proc, url


def _healthy(url: str) -> bool:
    response = probing.get(f"{url}/health", timeout=1.0)
    return response.status_code == 200 and '"true"' in response.text
