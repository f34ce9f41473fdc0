"""A forked xdist worker takes execnet's gateway from the server's import, not from its source.

xdist starts a worker through execnet: ``python -c "import sys;exec(eval(sys.stdin.readline()))"``,
then writes one line to its stdin. For a plain ``popen`` spec that line imports
``execnet.gateway_base`` and serves. With ``popen//python=<shim>``, the spec the fork server's
workers need, execnet sends the module's whole source instead (59 KB), and each worker compiled
it: 35 ms of CPU, on the path of xdist's gateway setup, which starts the workers one after
the other (twelve times 35 ms before the last worker may begin to collect).

The forked worker already holds the module (the server imported execnet). When the line is
that source followed by execnet's few bootstrap statements, :func:`run` runs those statements
with the imported module's names, which is what execnet's own import bootstrap does. Any other
line, an execnet of another version included, is run as it came.
"""

from __future__ import annotations

import inspect
import sys
import types

BOOTSTRAP_LINE = "import sys;exec(eval(sys.stdin.readline()))"
"""execnet.gateway_io.popen_bootstrapline: what xdist asks ``python -c`` to run."""


def run(code: str, main: types.ModuleType) -> bool:
    """Run execnet's bootstrap in ``main`` from the imported module; False if code is not it."""
    gateway_base = sys.modules.get("execnet.gateway_base")
    if code != BOOTSTRAP_LINE or gateway_base is None:
        return False
    source = eval(sys.stdin.readline(), main.__dict__)  # as the line does: a str's repr
    module_source = inspect.getsource(gateway_base)
    if isinstance(source, str) and source.startswith(module_source + "\n"):
        main.__dict__.update(
            {name: value for name, value in vars(gateway_base).items() if not name.startswith("__")}
        )
        source = source[len(module_source) + 1 :]
    exec(source, main.__dict__)
    return True
