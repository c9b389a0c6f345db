"""Push to the QualiCharge API, each row once, with a ledger in the warehouse (docs/push.md).

    from ocpiwh.push import QualiChargeClient, load_credentials, push
    report = push(root, QualiChargeClient(load_credentials(creds_file)))

:mod:`ocpiwh.push.standin` is a local stand-in of the API for tests and the demo.
"""

from __future__ import annotations

from ocpiwh.push.client import Credentials, QualiChargeClient, RetryPolicy, load_credentials
from ocpiwh.push.engine import BULK_MAX_SIZE, KINDS, KindReport, PushReport, push, status
from ocpiwh.push.ledger import Ledger

__all__ = [
    "BULK_MAX_SIZE",
    "KINDS",
    "Credentials",
    "KindReport",
    "Ledger",
    "PushReport",
    "QualiChargeClient",
    "RetryPolicy",
    "load_credentials",
    "push",
    "status",
]
