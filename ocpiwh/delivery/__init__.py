"""Deliveries: the lake's rows handed to the people they are for (docs/delivery.md).

    relations   what can be delivered (a module view, another view, a model): its SQL, the
                raw modules it reads, its key and its time column
    cursor      a position in the lake's commit history (last committed batch per source and
                module) and connections that see the lake as it was at one
    jsonlines   rows → JSON lines, batch by batch, and a stdout that may close under us
    stream      ``ocpiwh get``: a relation as JSON lines, then (``--follow``) each new commit's
    diff        the rows of a relation new, changed or removed between two cursors
    feeds       ``ocpiwh feed``: per-consumer deliveries, exactly once, rebuildable

Nothing in ``lake``, ``warehouse`` or ``export`` imports this package.
"""
