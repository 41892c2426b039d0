"""Errors raised by the switch's runtime API and by the loader.

Packet processing never raises on packet content; these are for the control plane
(P4Runtime server, CLI, tests) and for bad BMv2 JSON.
"""

from __future__ import annotations


class SwitchError(Exception):
    """Base class of every error the switch API raises."""


class NotFound(SwitchError):
    """An object (table, entry, action, counter, group, ...) does not exist."""


class AlreadyExists(SwitchError):
    """An entry, group or session with the same key already exists."""


class InvalidArgument(SwitchError):
    """A malformed request: wrong key shape, value out of range, bad priority, ..."""


class ResourceExhausted(SwitchError):
    """A table or value set is full."""


class PermissionDenied(SwitchError):
    """The object is immutable (const entries, const default action)."""


class ConfigError(SwitchError):
    """The BMv2 JSON cannot be loaded; the message names the offending object."""


class NoPipeline(SwitchError):
    """A runtime call was made before any pipeline was loaded."""
