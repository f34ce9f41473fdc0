"""Turn the ``target`` setting into a ControllerTarget (bundled or command:"...")."""

from __future__ import annotations

from wetest.config.settings import Settings
from wetest.errors import ConfigError
from wetest.targets import bundled
from wetest.targets.base import ProcessTarget


def target_for(s: Settings) -> ProcessTarget:
    """Parse the target setting; unknown kinds are a configuration error naming the source."""
    spec = s.target
    if spec == "bundled":
        return bundled.create(s.cooldown)
    if spec.startswith("command:"):
        command = spec.removeprefix("command:").strip().strip('"')
        if command:
            return ProcessTarget("command", command, s.cooldown)
    raise ConfigError(
        f"'{spec}' is not a valid target (from {s.source_of('target')}). "
        'Use bundled or command:"<command line>".'
    )
