"""``python -m wetest.reference.controller``: run the reference WE controller until SIGTERM."""

from __future__ import annotations

import logging
import signal
import sys
from collections.abc import Sequence

from wetest.doorbell import Doorbell
from wetest.kube import clients
from wetest.reference.controller import options
from wetest.reference.controller.manager import Manager, TektonNotServed

# names this program in kube-apiserver's audit log; wetest.stack.apiaudit.USER_AGENTS agrees
USER_AGENT = "wetest-reference-controller/0.1"


def main(argv: Sequence[str] | None = None) -> int:
    opts = options.parse(argv)
    logging.basicConfig(
        level=opts.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )
    try:
        manager = Manager(opts, clients.api_client(opts.kubeconfig, user_agent=USER_AGENT)).start()
    except TektonNotServed as exc:
        print(f"workflowexecution-controller: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:
        print(f"workflowexecution-controller: startup failed: {exc}", file=sys.stderr)
        return 1
    logging.getLogger("workflowexecution").info(
        "started: health %s metrics %s", manager.health_address, manager.metrics_address
    )
    # rung from signal handlers, where a threading.Event can deadlock
    Doorbell().ring_on(signal.SIGTERM, signal.SIGINT).wait()
    manager.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
