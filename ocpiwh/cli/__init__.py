"""The ``ocpiwh`` command line: a thin shell over the library.

``ocpiwh.cli.app`` holds the root command; each command group lives in its own module and
registers itself on it; ``ocpiwh.cli.names`` is the one list of those modules (the root
imports a command's modules when that command is used) and ``ocpiwh.cli.main`` the console
entry point. Imports flow one way: main → commands → app → names, common; the command
modules → app, common. User mistakes and platform failures print one line and exit
non-zero. Exit codes: 0 ok, 1 failure during work, 2 usage error, 130 interrupted (Ctrl-C).
"""
