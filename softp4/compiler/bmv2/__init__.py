"""The BMv2 JSON back end: `to_bmv2_json(program)` lowers a checked v1model program."""

from softp4.compiler.bmv2.program import to_bmv2_json

__all__ = ["to_bmv2_json"]
