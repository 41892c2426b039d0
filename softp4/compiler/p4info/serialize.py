"""Write (and read back) P4Info in the three forms p4c writes: text, binary and JSON.

The form follows the file name: `.txt` / `.txtpb` text format (with the
`# proto-file` / `# proto-message` header lines p4c puts first), `.bin` / `.pb`
binary, `.json` JSON (proto3 JSON mapping, camelCase names).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from finsy.proto import p4i
from google.protobuf import json_format, text_format
from google.protobuf.message import DecodeError

__all__ = [
    "P4InfoFormatError",
    "format_for",
    "p4info_binary",
    "p4info_json",
    "p4info_text",
    "parse_p4info",
    "read_p4info",
    "write_p4info",
]

Format = Literal["text", "binary", "json"]

_SUFFIXES: dict[str, Format] = {
    ".txt": "text",
    ".txtpb": "text",
    ".bin": "binary",
    ".pb": "binary",
    ".json": "json",
}

TEXT_HEADER = "# proto-file: p4/config/v1/p4info.proto\n# proto-message: p4.config.v1.P4Info\n\n"


class P4InfoFormatError(ValueError):
    """An unknown P4Info file suffix, or a file that does not hold a P4Info message."""


def format_for(path: str | Path) -> Format:
    """The P4Info form a file name asks for; P4InfoFormatError for an unknown suffix."""
    suffix = Path(path).suffix.lower()
    try:
        return _SUFFIXES[suffix]
    except KeyError:
        known = ", ".join(_SUFFIXES)
        raise P4InfoFormatError(
            f"{path}: cannot tell the P4Info format from the suffix '{suffix}' (known: {known})"
        ) from None


def p4info_text(info: p4i.P4Info) -> str:
    """Protobuf text format, as p4c writes `.txtpb` files."""
    return TEXT_HEADER + text_format.MessageToString(info)


def p4info_binary(info: p4i.P4Info) -> bytes:
    """The binary wire form (deterministic field order)."""
    return info.SerializeToString(deterministic=True)


def p4info_json(info: p4i.P4Info) -> str:
    """Proto3 JSON with two-space indentation."""
    return json_format.MessageToJson(info, indent=2) + "\n"


def write_p4info(info: p4i.P4Info, path: str | Path) -> None:
    """Write `info` to `path` in the form its suffix names."""
    fmt = format_for(path)
    target = Path(path)
    if fmt == "binary":
        target.write_bytes(p4info_binary(info))
    elif fmt == "json":
        target.write_text(p4info_json(info), encoding="utf-8")
    else:
        target.write_text(p4info_text(info), encoding="utf-8")


def parse_p4info(data: str | bytes, fmt: Format) -> p4i.P4Info:
    """A P4Info message from its text, binary or JSON form."""
    info = p4i.P4Info()
    try:
        if fmt == "binary":
            info.ParseFromString(data.encode() if isinstance(data, str) else data)
        else:
            text = data.decode("utf-8") if isinstance(data, bytes) else data
            if fmt == "json":
                json_format.Parse(text, info)
            else:
                text_format.Parse(text, info)
    except (text_format.ParseError, json_format.ParseError, DecodeError, UnicodeDecodeError) as err:
        raise P4InfoFormatError(f"not a P4Info message in {fmt} form: {err}") from None
    return info


def read_p4info(path: str | Path) -> p4i.P4Info:
    """Read a P4Info file in the form its suffix names."""
    fmt = format_for(path)
    raw = Path(path).read_bytes()
    try:
        return parse_p4info(raw, fmt)
    except P4InfoFormatError as err:
        raise P4InfoFormatError(f"{path}: {err}") from None
