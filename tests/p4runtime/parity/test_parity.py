"""P4Runtime parity with simple_switch_grpc: the same calls, the same answers.

parity.py runs one sequence of P4Runtime calls and records every answer. Here it runs against
softp4 and is compared with the answers recorded from real simple_switch_grpc (bmv2_answers.json);
with simple_switch_grpc at hand ($P4REF/bin/simple_switch_grpc or on PATH) it also runs against it.
"""

from __future__ import annotations

import json

import parity
import pytest


@pytest.fixture(scope="module")
def program() -> tuple[object, bytes]:
    return parity.compile_program()


@pytest.fixture(scope="module")
def softp4_answers(program: tuple[object, bytes]) -> list[parity.Answer]:
    p4info, device_json = program
    with parity.softp4_target() as address:
        return parity.run_script(address, p4info, device_json)  # type: ignore[arg-type]


REGISTER_WRITES = "Register writes are not supported yet"


def by_step(answers: list[parity.Answer]) -> dict[str, parity.Answer]:
    return {a["step"]: a for a in answers}


def test_softp4_answers_the_unimplemented_paths_in_pis_words(softp4_answers: list[parity.Answer]) -> None:
    steps = by_step(softp4_answers)
    assert steps["modify register"]["code"] == "UNKNOWN"
    assert steps["modify register"]["errors"] == [["UNIMPLEMENTED", "Register writes are not supported yet"]]
    assert (steps["read register"]["code"], steps["read register"]["message"]) == (
        "UNIMPLEMENTED",
        "Register reads are not supported yet",
    )
    assert steps["atomicity ROLLBACK_ON_ERROR"]["message"] == (
        "Support for atomic write modes has not been implemented yet"
    )
    assert steps["insert twice in one batch"]["errors"][0] == ["OK", ""]
    assert steps["insert twice in one batch"]["errors"][1][0] == "ALREADY_EXISTS"
    assert [e[0] for e in steps["batch: ok, bad, ok"]["errors"]] == ["OK", "NOT_FOUND", "OK"]
    assert len(steps["read by priority only"]["entities"]) == len(steps["read by action only"]["entities"]) + 2


def test_compare_names_each_difference() -> None:
    golden = [
        {
            "step": "a",
            "code": "UNKNOWN",
            "message": "",
            "errors": [["UNIMPLEMENTED", "Register writes are not supported yet"]],
        },
        {"step": "b", "code": "OK", "message": "", "entities": ["x"]},
        {"step": "c", "code": "NOT_FOUND", "message": "PI's words"},
    ]
    same = json.loads(json.dumps(golden))
    same[2]["message"] = "softp4's words"  # messages of codes other than UNIMPLEMENTED are free
    assert parity.compare(golden, same) == []
    other = json.loads(json.dumps(golden))
    other[0]["errors"][0][1] = "not supported"
    other[1]["entities"] = ["y"]
    other[2]["code"] = "INVALID_ARGUMENT"
    assert parity.compare(golden, other) == [
        f"a: update 0 message 'not supported', BMv2 {REGISTER_WRITES!r}",
        "b: entities ['y'], BMv2 ['x']",
        "c: code INVALID_ARGUMENT (PI's words), BMv2 NOT_FOUND (PI's words)",
    ]
    assert parity.compare(golden, golden[:2]) == ["the two recordings have different steps (re-record the golden file)"]


@pytest.mark.skipif(
    not parity.GOLDEN.exists(),
    reason="no answers of simple_switch_grpc recorded yet (parity.py --target bmv2 --record)",
)
def test_softp4_answers_as_recorded_simple_switch_grpc(softp4_answers: list[parity.Answer]) -> None:
    golden = json.loads(parity.GOLDEN.read_text())
    assert parity.compare(golden, softp4_answers) == []


@pytest.mark.skipif(
    parity.find_bmv2() is None, reason="no simple_switch_grpc (set P4REF=<install prefix> or put it on PATH)"
)
def test_simple_switch_grpc_answers_as_softp4(
    program: tuple[object, bytes], softp4_answers: list[parity.Answer]
) -> None:
    binary = parity.find_bmv2()
    assert binary is not None
    p4info, device_json = program
    with parity.bmv2_target(binary) as switch:
        bmv2 = parity.run_script(switch.address, p4info, device_json, switch.revive)  # type: ignore[arg-type]
    assert parity.compare(bmv2, softp4_answers) == []
    if parity.GOLDEN.exists():
        assert parity.compare(json.loads(parity.GOLDEN.read_text()), bmv2) == [], "re-record bmv2_answers.json"


def test_a_switch_that_dies_is_recorded_as_crashed_and_the_script_goes_on(program: tuple[object, bytes]) -> None:
    p4info, device_json = program
    first = parity.softp4_target()
    address = first.__enter__()
    with parity.softp4_target() as second:
        revived: list[str] = []

        def revive() -> str | None:
            revived.append(second)
            return second

        rec = parity.Recorder(address, p4info, device_json, revive)  # type: ignore[arg-type]
        try:
            rec.record("arbitration", rec.arbitrate)
            first.__exit__(None, None, None)  # the switch dies
            died = rec.read("read on a dead switch", parity.p4r.Entity(table_entry=parity.p4r.TableEntry()))
            after = rec.read("read after the restart", parity.p4r.Entity(table_entry=parity.p4r.TableEntry()))
        finally:
            rec.close()
    assert died["code"] == parity.CRASHED and revived == [second]
    # the fresh switch was made primary and given the pipeline: the read gives the one const entry
    assert after["code"] == "OK" and len(after["entities"]) == 1 and "exact" in after["entities"][0]
