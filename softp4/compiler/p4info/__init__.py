"""P4Info for a checked program: the model (`from_program`), ids and aliases (`build`), files (`serialize`).

`p4info_from_program(checked)` is the compiler driver's entry point: it
returns the `p4.config.v1.P4Info` message p4c would write for the program and
raises `CompileError` for programs whose control-plane API P4Info cannot
describe.
"""

from __future__ import annotations

from typing import Any

from finsy.proto import p4i

from softp4.compiler.errors import CompileError
from softp4.compiler.p4info.build import P4InfoBuildError, build_p4info
from softp4.compiler.p4info.from_program import p4info_model

__all__ = ["p4info_from_program"]


def p4info_from_program(checked: Any) -> p4i.P4Info:
    """The P4Info message of a checked program (`CheckedProgram` or its `ast.Program`)."""
    model = p4info_model(checked)
    try:
        return build_p4info(model)
    except P4InfoBuildError as err:
        raise CompileError(f"P4Info: {err}") from None
