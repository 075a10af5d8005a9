"""Binary (Flate-only) PDF streams for the reportlab renderers."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from reportlab import rl_config


@contextmanager
def binary_streams() -> Iterator[None]:
    """Switch off reportlab's ASCII-85 pass (a global): smaller files, no base-85 work in Python."""
    saved = rl_config.useA85
    rl_config.useA85 = 0
    try:
        yield
    finally:
        rl_config.useA85 = saved
