"""The one error the P4Runtime side raises: a message for an operator, naming the device and what failed."""

from __future__ import annotations


class ControllerError(Exception):
    """Something the controller could not do; `str()` is the whole message, ready to print."""
