"""The ``ocpiwh`` command line: a thin shell over the library.

``ocpiwh.cli.app`` holds the root command; each command group lives in its own module and
registers itself on it; ``ocpiwh.cli.names`` is the one list of those modules (the root
imports a command's modules when that command is used) and ``ocpiwh.cli.main`` the console
entry point. Imports flow one way: main → commands → app → names, common; the command
modules → app, common. User mistakes and platform failures print one line and exit
non-zero. Exit codes: 0 ok, 1 failure during work, 2 usage error, 130 interrupted (Ctrl-C).
"""

import os

# pyarrow imports numpy, whose OpenBLAS starts a thread per core that spins for a while:
# ~0.12 CPU-s per command (measured: `import pyarrow` then 1 s of sleep, 0.22 against 0.10
# CPU-s) for linear algebra ocpiwh never does. Set before any command imports pyarrow.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
