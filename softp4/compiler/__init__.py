"""softp4's P4-16 compiler: v1model programs to BMv2 JSON and P4Info.

from softp4.compiler import compile_file
result = compile_file("prog.p4", include_dirs=["include"], defines={"WITH_X": "1"})
result.bmv2_json, result.p4info, result.warnings
"""

from softp4.compiler.driver import CompileResult, compile_file, compile_source
from softp4.compiler.errors import CompileError, Diagnostic

__all__ = ["CompileError", "CompileResult", "Diagnostic", "compile_file", "compile_source"]
