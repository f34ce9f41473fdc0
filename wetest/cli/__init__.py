"""The `wetest` command: one module per subcommand, one resolver for configuration.

Exit codes: 0 success, 1 failed run, 2 configuration error, 3 missing infrastructure.
Every subcommand accepts the settings as ``--<key>`` (and the pytest spelling
``--wetest-<key>``); precedence is option > env > [tool.wetest] > default.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from wetest.errors import WetestError

from . import common

COMMANDS = ("doctor", "assets", "up", "down", "status", "config", "run", "report", "compare")
"""Each subcommand is the module ``wetest.cli.<name>`` (``add_parser`` and ``run``); in --help
order."""


def parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """Build the argument parser: with the subcommand argv names, only that one's module.

    `wetest run` then imports neither `up`'s DataStorage client nor `doctor`'s checks (0.3 s
    of each run's start, measured with ``python -X importtime``); --help and a mistyped
    command still list them all.
    """
    root = argparse.ArgumentParser(prog="wetest", description=__doc__.splitlines()[0])
    subs = root.add_subparsers(dest="command", required=True, metavar="COMMAND")
    chosen = _chosen(sys.argv[1:] if argv is None else argv)
    for name in [chosen] if chosen else COMMANDS:
        module = importlib.import_module(f"wetest.cli.{name}")
        sub = module.add_parser(subs)
        common.add_setting_options(sub)
        sub.set_defaults(handler=module.run)
    return root


def _chosen(argv: Sequence[str]) -> str:
    """The subcommand argv names ("" when none): the first word, as the root has no options."""
    return argv[0] if argv and argv[0] in COMMANDS else ""


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; errors become one clear message and an exit code."""
    args = parser(argv).parse_args(argv)
    try:
        code: int = args.handler(args)
    except WetestError as exc:
        print(f"wetest: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("wetest: interrupted", file=sys.stderr)
        return 130
    return code


if __name__ == "__main__":
    sys.exit(main())
