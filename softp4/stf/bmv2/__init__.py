"""STF tests on real BMv2 (`softp4 stf --target bmv2`): the real switch judges softp4's compiler.

    from softp4.stf.bmv2 import find_bmv2, run_on_bmv2
    result = run_on_bmv2(bmv2_json, parse_stf_file(stf), stf, find_bmv2())   # an StfResult

`find_bmv2(path=None)` finds simple_switch and simple_switch_CLI (the path given, `$P4REF/bin`,
then PATH); `run_on_bmv2` starts one simple_switch for the test and drives it through the CLI
(runner.py says how).
"""

from softp4.stf.bmv2.runner import Bmv2Error, Bmv2Unsupported, run_on_bmv2
from softp4.stf.bmv2.tools import Bmv2NotFound, Bmv2Tools, find_bmv2

__all__ = ["Bmv2Error", "Bmv2NotFound", "Bmv2Tools", "Bmv2Unsupported", "find_bmv2", "run_on_bmv2"]
