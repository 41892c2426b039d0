"""softp4 switch: executes BMv2 JSON with simple_switch (v1model) semantics.

See docs/internals.md for the API; `Switch` is the in-process target.
"""

from softp4.switch.errors import (
    AlreadyExists,
    ConfigError,
    InvalidArgument,
    NoPipeline,
    NotFound,
    PermissionDenied,
    ResourceExhausted,
    SwitchError,
)
from softp4.switch.switch import Switch
from softp4.switch.tables import Entry, Exact, Lpm, Optional, Range, TableInfo, Ternary

__all__ = [
    "AlreadyExists",
    "ConfigError",
    "Entry",
    "Exact",
    "InvalidArgument",
    "Lpm",
    "NoPipeline",
    "NotFound",
    "Optional",
    "PermissionDenied",
    "Range",
    "ResourceExhausted",
    "Switch",
    "SwitchError",
    "TableInfo",
    "Ternary",
]
