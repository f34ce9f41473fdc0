"""The etcd template (a stored data directory with the CRDs): trimmed, keyed, kept atomically.

Every stack test starts from the template, so its content is checked there (the CRDs are
served, namespaces delete); these tests cover the file handling, without processes.
"""

from __future__ import annotations

import struct
from pathlib import Path

from wetest.stack import etcd


def record(data: bytes) -> bytes:
    """One WAL record as etcd frames it: length word (with padding bits), data, padding."""
    padding = -len(data) % 8
    word = len(data) | ((0x80 | padding) << 56 if padding else 0)
    return struct.pack("<Q", word) + data + b"\0" * padding


def test_wal_used_stops_at_the_zeros_etcd_preallocated() -> None:
    records = record(b"abc") + record(b"12345678") + record(b"x" * 13)
    assert etcd.wal_used(records + b"\0" * 4096) == len(records)
    assert etcd.wal_used(records) == len(records)


def test_a_template_is_trimmed_and_a_second_build_leaves_the_first_in_place(
    tmp_path: Path,
) -> None:
    wal = tmp_path / "work" / "etcd-data" / "member" / "wal"
    wal.mkdir(parents=True)
    records = record(b"first")
    (wal / "0.wal").write_bytes(records + b"\0" * 65536)
    template = etcd.template_dir(tmp_path / "cache", "k")

    etcd.keep_as_template(tmp_path / "work", template)
    (wal / "0.wal").write_bytes(record(b"second") + b"\0" * 8)
    etcd.keep_as_template(tmp_path / "work", template)

    assert (template / "member" / "wal" / "0.wal").read_bytes() == records
    assert [p.name for p in template.parent.iterdir()] == ["k"]


def test_the_key_changes_with_the_crds_and_the_namespace(tmp_path: Path) -> None:
    binary = tmp_path / "etcd"
    binary.write_text("binary")
    key = etcd.template_key([binary], [{"kind": "CustomResourceDefinition"}], "ns")
    assert key == etcd.template_key([binary], [{"kind": "CustomResourceDefinition"}], "ns")
    assert key != etcd.template_key([binary], [{"kind": "Other"}], "ns")
    assert key != etcd.template_key([binary], [{"kind": "CustomResourceDefinition"}], "other")
