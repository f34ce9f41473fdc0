"""``python -S -I shim.py SOCKET [-u] -c CODE``: run CODE in a child of a fork server.

A stand-in for ``python -c`` where a caller insists on starting a process: pytest-xdist
(execnet) starts each worker as ``<python> -u -c <bootstrap>`` with pipes for stdin and stdout.
Given as that python, this script passes its stdin, stdout and stderr to the fork server
(``SCM_RIGHTS``), which forks an interpreter that already imported pytest, the kubernetes
client and wetest, and runs CODE there. The shim stays as the process its caller knows: it
forwards SIGTERM, SIGINT, SIGHUP and SIGQUIT to the child and exits with the child's exit code
(dying of the same signal when the child did).

Standard library only, without site (``-S -I``): it starts in about 10 ms.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sys
import time

CONNECT_TIMEOUT = 30.0
FORWARDED = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGQUIT)


def request(argv: list[str]) -> dict[str, object]:
    """The fork server's request for ``[-u] [-B] -c CODE [ARG ...]``."""
    if "-c" not in argv or argv.index("-c") == len(argv) - 1:
        raise SystemExit(f"shim.py: expected [-u] -c CODE, got {argv!r}")
    at = argv.index("-c")
    return {
        "module": "",
        "code": argv[at + 1],
        "argv": ["-c", *argv[at + 2 :]],
        "env": dict(os.environ),
        "cwd": os.getcwd(),  # noqa: PTH109 - pathlib costs this 10 ms script 30 % more
        "log": "",
        "unbuffered": "-u" in argv[:at],
        "title": " ".join([sys.executable, *argv]),
    }


def connect(path: str) -> socket.socket:
    deadline = time.monotonic() + CONNECT_TIMEOUT
    while True:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.connect(path)
            return sock
        except (FileNotFoundError, ConnectionRefusedError):
            sock.close()
            if time.monotonic() > deadline:
                raise
            time.sleep(0.005)


def main() -> int:
    path, argv = sys.argv[1], sys.argv[2:]
    sock = connect(path)
    socket.send_fds(sock, [json.dumps(request(argv)).encode() + b"\n"], [0, 1, 2])
    null = os.open(os.devnull, os.O_RDWR)  # the child has the pipes: do not hold them open
    os.dup2(null, 0)
    os.dup2(null, 1)
    replies = sock.makefile("rb")
    first = replies.readline()
    if not first.startswith(b"P "):
        sys.stderr.write(f"shim.py: the fork server did not start the code: {first!r}\n")
        return 1
    pid = int(first[2:])
    for signum in FORWARDED:
        signal.signal(signum, lambda s, _f: os.kill(pid, s))
    for line in replies:
        if line.startswith(b"X "):
            code = int(line[2:])
            if code < 0:  # die as the child did, so the caller sees the signal
                if -code in FORWARDED:
                    signal.signal(-code, signal.SIG_DFL)
                os.kill(os.getpid(), -code)
            return code
    return -signal.SIGKILL  # the server died, and the child with it


if __name__ == "__main__":
    sys.exit(main())
