"""Reports are made to be shared: give a written report the permissions an ordinary new file
gets (0666 less the umask) instead of the private 0600 of the atomic writer's temp file."""

from __future__ import annotations

import os


def share_mode(path) -> None:
    umask = os.umask(0)
    os.umask(umask)
    try:
        os.chmod(path, 0o666 & ~umask)
    except OSError:
        pass   # a filesystem without modes (some mounts): the report is written all the same
