"""What every compute stage does first: seed the random generators, and run BLAS on one
thread.

Multi-threaded BLAS on a small, shared machine makes the many small least-squares solves
of a backtest some twenty times slower (threads fight for the cores), and the order of a
threaded reduction can change the last bits of a result; one thread is both fast and
bit-for-bit reproducible.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
from threadpoolctl import threadpool_limits


@contextmanager
def reproducible(seed: int) -> Iterator[None]:
    random.seed(seed)
    np.random.seed(seed)
    with threadpool_limits(limits=1):
        yield
