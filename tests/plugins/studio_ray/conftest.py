"""Ray's test clusters here stay on the loopback interface: Ray's own switch, read when it is
imported, keeps 127.0.0.1 from being resolved to this machine's network address."""

import os

os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
