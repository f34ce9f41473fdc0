"""Controller-side spec validation (WE-VAL-001..004): the first failing rule wins."""

from __future__ import annotations

from typing import Any

CONTAINER_IMAGE_REQUIRED = "workflowRef.containerImage is required"
TARGET_REQUIRED = "targetResource is required"


def target_parts_message(parts: int) -> str:
    return (
        "targetResource must be in format {namespace}/{kind}/{name} (namespaced) or "
        f"{{kind}}/{{name}} (cluster-scoped), got {parts} parts"
    )


def empty_part_message(index: int) -> str:
    return f"targetResource has empty part at position {index}"


def validate_spec(spec: dict[str, Any]) -> str | None:
    """Return the ConfigurationError message of the first failing rule, or None if valid."""
    if not (spec.get("workflowRef") or {}).get("containerImage"):
        return CONTAINER_IMAGE_REQUIRED
    return validate_target(spec.get("targetResource") or "")


def validate_target(target: str) -> str | None:
    if not target:
        return TARGET_REQUIRED
    parts = target.split("/")
    if len(parts) < 2 or len(parts) > 3:
        return target_parts_message(len(parts))
    for index, part in enumerate(parts):
        if not part:
            return empty_part_message(index)
    return None
