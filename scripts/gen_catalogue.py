"""Regenerate wetest/report/catalogue.json from DOMAIN.md (the contract) and print its hash.

Usage: .venv/bin/python scripts/gen_catalogue.py [path/to/DOMAIN.md] [--check]

The JSON is committed: it is our data, derived from the contract, so the report works without
the shared documents. ``--check`` exits 1 when the committed file is out of date (for CI).
"""

from __future__ import annotations

import sys
from pathlib import Path

from wetest.report import clauses

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DOMAIN = ROOT.parent / "shared" / "DOMAIN.md"
TARGET = ROOT / "wetest" / "report" / "catalogue.json"


def main(argv: list[str]) -> int:
    check = "--check" in argv
    paths = [a for a in argv if a != "--check"]
    domain = Path(paths[0]) if paths else DEFAULT_DOMAIN
    catalogue = clauses.parse(domain.read_text("utf-8"))
    text = clauses.to_json(catalogue)
    digest = clauses.clause_set_hash(catalogue)
    if check:
        current = TARGET.read_text("utf-8") if TARGET.exists() else ""
        if current != text:
            print(f"{TARGET} is out of date. Run: python scripts/gen_catalogue.py", file=sys.stderr)
            return 1
        print(f"{len(catalogue)} clauses, clause_set_hash {digest}: up to date")
        return 0
    TARGET.write_text(text, "utf-8")
    print(f"wrote {len(catalogue)} clauses to {TARGET}; clause_set_hash {digest}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
