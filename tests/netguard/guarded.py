"""The environment for a subprocess barred from the network (see sitecustomize.py beside it)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

NETGUARD = Path(__file__).resolve().parent


def offline_env(netlog: Path, **extra: str) -> dict:
    """os.environ plus: this venv's scripts first on PATH, the guard on PYTHONPATH, and the
    file that records any connection attempt."""
    return dict(
        os.environ,
        PATH=f"{Path(sys.executable).parent}:{os.environ['PATH']}",
        PYTHONPATH=os.pathsep.join([str(NETGUARD), os.environ.get("PYTHONPATH", "")]),
        DATAPROPHET_NETLOG=str(netlog),
        **extra,
    )
