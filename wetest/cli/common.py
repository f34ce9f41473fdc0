"""What every subcommand shares: the setting options and turning them into Settings."""

from __future__ import annotations

import argparse
import json
from typing import Any

from wetest.config import names, settings


def add_setting_options(sub: argparse.ArgumentParser) -> None:
    """Add --<key> and its alias --wetest-<key> for every setting (help in `wetest config`)."""
    group = sub.add_argument_group("settings (option > env WETEST_* > [tool.wetest] > default)")
    for setting in names.SETTINGS:
        flag = "--" + setting.key.replace("_", "-")
        group.add_argument(
            flag,
            setting.option,
            dest=f"setting_{setting.key}",
            default=None,
            metavar=setting.key.upper(),
            help=argparse.SUPPRESS,
        )


def options_of(args: argparse.Namespace) -> dict[str, object | None]:
    """The settings given on the command line, keyed by setting key."""
    return {s.key: getattr(args, f"setting_{s.key}", None) for s in names.SETTINGS}


def load(args: argparse.Namespace) -> settings.Settings:
    return settings.load(options_of(args))


def emit(data: Any, as_json: bool) -> None:
    """Print data as JSON for machines, or as aligned key: value lines for people."""
    if as_json:
        print(json.dumps(data, indent=2, sort_keys=True, default=str))
        return
    if isinstance(data, dict):
        width = max((len(str(k)) for k in data), default=0)
        for key, value in data.items():
            print(f"{str(key).ljust(width)}  {value}")
    else:
        print(data)
