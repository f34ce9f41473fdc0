"""The `wetest` command: one module per subcommand, one resolver for configuration.

Exit codes: 0 success, 1 failed run, 2 configuration error, 3 missing infrastructure.
Every subcommand accepts the settings as ``--<key>`` (and the pytest spelling
``--wetest-<key>``); precedence is option > env > [tool.wetest] > default.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from wetest.errors import WetestError

from . import assets, common, config, doctor, down, status, up

COMMANDS = (doctor, assets, up, down, status, config)


def parser() -> argparse.ArgumentParser:
    """Build the argument parser with every subcommand module."""
    root = argparse.ArgumentParser(prog="wetest", description=__doc__.splitlines()[0])
    subs = root.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in COMMANDS:
        sub = module.add_parser(subs)
        common.add_setting_options(sub)
        sub.set_defaults(handler=module.run)
    _add_optional(subs)
    return root


def _add_optional(subs: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Subcommands that land with later issues register themselves when present."""
    import importlib

    for name in ("run", "report", "compare"):
        try:
            module = importlib.import_module(f"wetest.cli.{name}")
        except ModuleNotFoundError:
            continue
        sub = module.add_parser(subs)
        common.add_setting_options(sub)
        sub.set_defaults(handler=module.run)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; errors become one clear message and an exit code."""
    args = parser().parse_args(argv)
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
