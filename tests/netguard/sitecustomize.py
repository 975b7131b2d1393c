"""Put this folder first on PYTHONPATH to forbid network connections in every Python process.

Any attempt to connect anywhere but a Unix socket raises, and is logged to the file named by
DATAPROPHET_NETLOG, so a test can prove a whole study ran without the network.
"""

import os
import socket

_connect = socket.socket.connect
_connect_ex = socket.socket.connect_ex


def _record(address) -> None:
    log = os.environ.get("DATAPROPHET_NETLOG")
    if log:
        with open(log, "a") as handle:
            handle.write(f"{os.getpid()} {address!r}\n")


def _guarded(original):
    def connect(self, address):
        if self.family == getattr(socket, "AF_UNIX", None):
            return original(self, address)
        _record(address)
        raise OSError(f"network access is blocked in this test run (tried {address!r})")

    return connect


socket.socket.connect = _guarded(_connect)
socket.socket.connect_ex = _guarded(_connect_ex)
