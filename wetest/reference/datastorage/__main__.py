"""``python -m wetest.reference.datastorage``: run the reference DataStorage.

The DSN comes from ``--dsn`` or the ``DATASTORAGE_DSN`` environment variable (which keeps a
password out of ``ps``). The server binds ``--host`` (127.0.0.1) on ``--port`` (0 = any free
port; 8080 is left to Tekton's convention) and prints ``DataStorage ready at <url>`` once the
migrations are applied and requests are served.
"""

from __future__ import annotations

import argparse
import os
import sys

from wetest.reference.datastorage import server


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m wetest.reference.datastorage",
        description="Reference DataStorage (WE contract v1.0 §5).",
    )
    parser.add_argument(
        "--dsn",
        default=os.environ.get("DATASTORAGE_DSN", ""),
        help="PostgreSQL DSN (default: $DATASTORAGE_DSN)",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (loopback)")
    parser.add_argument("--port", type=int, default=0, help="port to bind (0: any free port)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if not args.dsn:
        print(
            "No database given. Pass --dsn postgresql://user@host:port/db or set DATASTORAGE_DSN.",
            file=sys.stderr,
        )
        return 2
    return 0 if server.serve(args.dsn, args.host, args.port) else 1


if __name__ == "__main__":
    sys.exit(main())
