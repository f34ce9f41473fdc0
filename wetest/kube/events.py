"""Kubernetes Events about one object, as the suites check them (DOMAIN WE-EVT).

The contract fixes an Event's type, reason and message template, and the reporting component;
it does not fix which Events API the controller posts with (core ``v1`` or
``events.k8s.io/v1``: both are listed here, as the API server serves them from one store) nor
where the component goes (``reportingComponent`` or the older ``source.component``). This is
the one place that reads those, so every suite compares the same fields the same way.

The list asks the API server to filter by ``involvedObject.name`` and ``reason`` (field
selectors Events support), so a poll costs one small answer however many Events the namespace
holds, rather than every Event deserialised by the typed client.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from wetest.kube import objects

if TYPE_CHECKING:  # only annotations: importing the client costs 0.3-2 s
    from kubernetes import client


@dataclass(frozen=True)
class Event:
    """What the contract fixes about an Event, whichever API posted it."""

    type: str
    reason: str
    message: str
    component: str
    involved_kind: str
    involved_name: str

    @classmethod
    def from_body(cls, body: dict[str, Any]) -> Event:
        involved = body.get("involvedObject") or {}
        source = body.get("source") or {}
        return cls(
            type=str(body.get("type") or ""),
            reason=str(body.get("reason") or ""),
            message=str(body.get("message") or ""),
            component=str(body.get("reportingComponent") or source.get("component") or ""),
            involved_kind=str(involved.get("kind") or ""),
            involved_name=str(involved.get("name") or ""),
        )


def about(api: client.ApiClient, namespace: str, name: str, reason: str = "") -> list[Event]:
    """The Events in ``namespace`` about the object ``name`` (with ``reason``, when given)."""
    selector = f"involvedObject.name={name}" + (f",reason={reason}" if reason else "")
    listed = objects.list_objects(
        api, objects.ObjectRef.core("events", namespace), field_selector=selector
    )["items"]
    return [Event.from_body(body) for body in listed]
