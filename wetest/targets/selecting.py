"""Turn the ``target`` setting into a ControllerTarget.

``bundled``, ``command:"<cmd>"`` (local processes), ``deployed:<ns>/<deployment>`` (a
controller already running in the cluster) and ``image:<ref>`` (an image wetest installs; the
kind backend only, since only there can a locally built image reach the node).
"""

from __future__ import annotations

from wetest.config.settings import Settings
from wetest.errors import ConfigError
from wetest.targets import bundled, deployed
from wetest.targets.base import ProcessTarget
from wetest.targets.deployed import DeployedTarget
from wetest.targets.image import ImageTarget

# Any controller target the setting can name; not the plugin's ``Target`` (the we_target
# fixture's handle) nor the report's ``TargetRecord`` (what run.json says was tested).
SelectedTarget = ProcessTarget | DeployedTarget | ImageTarget


def target_for(s: Settings) -> SelectedTarget:
    """Parse the target setting; unknown kinds are a configuration error naming the source."""
    spec = s.target
    if spec == "bundled":
        return bundled.create(s.cooldown)
    if spec.startswith("command:"):
        command = spec.removeprefix("command:").strip().strip('"')
        if command:
            return ProcessTarget("command", command, s.cooldown)
    if spec.startswith("deployed:"):
        return DeployedTarget(*deployed.parse(spec.removeprefix("deployed:").strip()))
    if spec.startswith("image:") and spec.removeprefix("image:").strip():
        return _image(s, spec.removeprefix("image:").strip())
    raise ConfigError(
        f"'{spec}' is not a valid target (from {s.source_of('target')}). "
        'Use bundled, command:"<command line>", deployed:<namespace>/<deployment> or '
        "image:<ref>."
    )


def _image(s: Settings, ref: str) -> ImageTarget:
    if s.backend != "kind":
        raise ConfigError(
            f"The target image:{ref} (from {s.source_of('target')}) needs the kind backend, "
            f"but the backend is {s.backend} (from {s.source_of('backend')}): only kind can "
            "load a local image into the cluster. Add --wetest-backend kind (wetest run "
            '--backend kind), or run the controller with command:"<cmd>" or deployed:<ns>/<name>.'
        )
    from wetest.stack.kind import backend as kind

    return ImageTarget(ref, s.cooldown, kind.create(s))
