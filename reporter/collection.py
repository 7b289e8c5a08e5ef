"""When the cyclic garbage collector runs while an estate is read and mapped."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused() -> Iterator[None]:
    """No collection inside: for stages that build many objects and no reference cycles.

    Reading and mapping a 5,000-workload estate made five full collections of every live
    object (~0.4 s of CPU) and none found anything to free. What was built is frozen on the
    way out (:func:`settled`).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        settled()
        if enabled:
            gc.enable()


def settled() -> None:
    """Leave what is alive out of later collections (``gc.freeze``), once a stage that ran
    without collections is over: its objects are all still young, so the first collection
    after it would traverse them all (0.35 s after a 10,000-workload check) to find nothing.
    Reference counting frees them as ever; :func:`frozen` thaws them."""
    gc.freeze()


@contextmanager
def frozen() -> Iterator[None]:
    """What is alive on entry is left out of every collection inside (``gc.freeze``): for
    stages that allocate much after a large structure that outlives them was built.

    Each full collection while a 5,000-workload pack was rendered (~10, most in WeasyPrint's
    layout) traversed the assessment again. Leaving, everything frozen is thawed, an outer
    freeze's too.
    """
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()
