"""Building large, long-lived object graphs without the cyclic collector's help.

Loading a million-user fixture allocates tens of millions of containers. The
collector would walk the growing heap again and again while none of it can be
garbage yet, which makes loading several times slower than parsing.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector for the block, restoring it afterwards."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def freeze_heap() -> None:
    """Move every object alive now out of the collector's reach.

    A server calls this once its state is built, so that later collections scan
    only what requests allocate, not the whole org, and never pause for seconds.
    """
    gc.collect()
    gc.freeze()
