"""A small builder of BMv2 JSON programs in p4c's output shape, for the switch tests.

Each test writes the program it needs in a few lines; the JSON produced is what p4c would
emit for the equivalent P4 (standard_metadata and scalars included).
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

J = dict[str, Any]

STANDARD_METADATA = [
    ["ingress_port", 9, False],
    ["egress_spec", 9, False],
    ["egress_port", 9, False],
    ["instance_type", 32, False],
    ["packet_length", 32, False],
    ["enq_timestamp", 32, False],
    ["enq_qdepth", 19, False],
    ["deq_timedelta", 32, False],
    ["deq_qdepth", 19, False],
    ["ingress_global_timestamp", 48, False],
    ["egress_global_timestamp", 48, False],
    ["mcast_grp", 16, False],
    ["egress_rid", 16, False],
    ["checksum_error", 1, False],
    ["parser_error", 32, False],
    ["priority", 3, False],
    ["_padding", 3, False],
]
# p4c's field_aliases for v1model: simple_switch finds these fields under the left-hand names
FIELD_ALIASES = [
    ["queueing_metadata.enq_timestamp", ["standard_metadata", "enq_timestamp"]],
    ["queueing_metadata.enq_qdepth", ["standard_metadata", "enq_qdepth"]],
    ["queueing_metadata.deq_timedelta", ["standard_metadata", "deq_timedelta"]],
    ["queueing_metadata.deq_qdepth", ["standard_metadata", "deq_qdepth"]],
    ["intrinsic_metadata.ingress_global_timestamp", ["standard_metadata", "ingress_global_timestamp"]],
    ["intrinsic_metadata.egress_global_timestamp", ["standard_metadata", "egress_global_timestamp"]],
    ["intrinsic_metadata.mcast_grp", ["standard_metadata", "mcast_grp"]],
    ["intrinsic_metadata.egress_rid", ["standard_metadata", "egress_rid"]],
    ["intrinsic_metadata.priority", ["standard_metadata", "priority"]],
]
ERRORS = [
    ["NoError", 0],
    ["PacketTooShort", 1],
    ["NoMatch", 2],
    ["StackOutOfBounds", 3],
    ["HeaderTooShort", 4],
    ["ParserTimeout", 5],
    ["ParserInvalidArgument", 6],
]


# -- expressions ------------------------------------------------------------------------------
def F(h: str, f: str) -> J:
    return {"type": "field", "value": [h, f]}


def V(h: str) -> J:
    """`h.isValid()` as p4c writes it."""
    return {"type": "expression", "value": {"op": "d2b", "left": None, "right": F(h, "$valid$")}}


def C(value: int, width: int = 0) -> J:
    nbytes = max(1, (width + 7) // 8) if width else max(1, (value.bit_length() + 7) // 8)
    sign = "-" if value < 0 else ""
    return {"type": "hexstr", "value": f"{sign}0x{abs(value):0{2 * nbytes}x}"}


def B(value: bool) -> J:
    return {"type": "bool", "value": value}


def RD(i: int) -> J:
    return {"type": "runtime_data", "value": i}


def L(i: int) -> J:
    return {"type": "local", "value": i}


def HDR(name: str) -> J:
    return {"type": "header", "value": name}


def OP(op: str, left: J | None, right: J | None, cond: J | None = None) -> J:
    v: J = {"op": op, "left": left, "right": right}
    if cond is not None:
        v["cond"] = cond
    return {"type": "expression", "value": v}


def EXPR(e: J) -> J:
    """An expression as a primitive parameter (p4c double-wraps these)."""
    return {"type": "expression", "value": e}


def prim(op: str, *params: J, fragment: str | None = None) -> J:
    p: J = {"op": op, "parameters": list(params)}
    if fragment:
        p["source_info"] = {"filename": "t.p4", "line": 1, "column": 1, "source_fragment": fragment}
    return p


def assign(dst: J, src: J) -> J:
    if src.get("type") == "expression":
        src = EXPR(src)
    return prim("assign", dst, src)


def drop() -> J:
    return prim("mark_to_drop", HDR("standard_metadata"))


def egress_spec(port: int | J) -> J:
    return assign(F("standard_metadata", "egress_spec"), C(port, 9) if isinstance(port, int) else port)


# -- parser ------------------------------------------------------------------------------------
def extract(h: str) -> J:
    return {"op": "extract", "parameters": [{"type": "regular", "value": h}]}


def extract_stack(s: str) -> J:
    return {"op": "extract", "parameters": [{"type": "stack", "value": s}]}


def state(name: str, ops: list[J], key: list[J] | None = None, transitions: list[J] | None = None) -> J:
    if transitions is None:
        transitions = [{"type": "default", "value": None, "mask": None, "next_state": None}]
    return {"name": name, "id": 0, "parser_ops": ops, "transition_key": key or [], "transitions": transitions}


def tr(value: str | None, nxt: str | None, mask: str | None = None) -> J:
    if value is None:
        return {"type": "default", "value": None, "mask": None, "next_state": nxt}
    return {"type": "hexstr", "value": value, "mask": mask, "next_state": nxt}


# -- the program -------------------------------------------------------------------------------
class Program:
    def __init__(self) -> None:
        self.j: J = {
            "header_types": [
                {"name": "scalars_0", "id": 0, "fields": []},
                {"name": "standard_metadata", "id": 1, "fields": copy.deepcopy(STANDARD_METADATA)},
            ],
            "headers": [
                {"name": "scalars", "id": 0, "header_type": "scalars_0", "metadata": True, "pi_omit": True},
                {
                    "name": "standard_metadata",
                    "id": 1,
                    "header_type": "standard_metadata",
                    "metadata": True,
                    "pi_omit": True,
                },
            ],
            "header_stacks": [],
            "header_union_types": [],
            "header_unions": [],
            "header_union_stacks": [],
            "field_lists": [],
            "errors": copy.deepcopy(ERRORS),
            "enums": [],
            "parsers": [],
            "parse_vsets": [],
            "deparsers": [],
            "meter_arrays": [],
            "counter_arrays": [],
            "register_arrays": [],
            "calculations": [],
            "learn_lists": [],
            "actions": [{"name": "NoAction", "id": 0, "runtime_data": [], "primitives": []}],
            "pipelines": [],
            "checksums": [],
            "force_arith": [],
            "extern_instances": [],
            "field_aliases": copy.deepcopy(FIELD_ALIASES),
            "program": "t.p4",
            "__meta__": {"version": [2, 23], "compiler": "tests"},
        }
        self.deparse: list[str] = []
        self.states: list[J] = []
        self.pipes: dict[str, list[J]] = {"ingress": [], "egress": []}

    def header_type(self, name: str, fields: Sequence[Sequence[Any]], **extra: Any) -> None:
        hts = self.j["header_types"]
        hts.append({"name": name, "id": len(hts), "fields": [list(f) + [False] * (len(f) == 2) for f in fields]})
        hts[-1].update(extra)

    def header(self, name: str, type_name: str, metadata: bool = False, deparse: bool = True) -> int:
        hs = self.j["headers"]
        hs.append({"name": name, "id": len(hs), "header_type": type_name, "metadata": metadata, "pi_omit": True})
        if deparse and not metadata:
            self.deparse.append(name)
        return len(hs) - 1

    def scalar(self, name: str, width: int) -> J:
        self.j["header_types"][0]["fields"].append([name, width, False])
        return F("scalars", name)

    def stack(self, name: str, type_name: str, size: int) -> None:
        ids = [self.header(f"{name}[{i}]", type_name) for i in range(size)]
        st = self.j["header_stacks"]
        st.append({"name": name, "id": len(st), "header_type": type_name, "size": size, "header_ids": ids})

    def action(self, name: str, params: list[tuple[str, int]], prims: list[J]) -> int:
        acts = self.j["actions"]
        aid = len(acts)
        acts.append(
            {
                "name": name,
                "id": aid,
                "runtime_data": [{"name": n, "bitwidth": w} for n, w in params],
                "primitives": prims,
            }
        )
        return aid

    def table(
        self,
        name: str,
        keys: Sequence[tuple[str, Any, str]],
        actions: list[str],
        default: tuple[str, list[int]] | None = None,
        pipeline: str = "ingress",
        size: int = 1024,
        const_default: bool = False,
        entries: list[J] | None = None,
        counters: bool = False,
        meter: str | None = None,
    ) -> J:
        ids = {a["name"]: a["id"] for a in self.j["actions"]}
        mts = {m for _, _, m in keys}
        t: J = {
            "name": name,
            "id": 0,
            "key": [
                {
                    "match_type": m,
                    "name": kn,
                    "target": tgt["value"] if isinstance(tgt, dict) else tgt,
                    "mask": None,
                }
                for kn, tgt, m in keys
            ],
            "match_type": "range"
            if "range" in mts
            else "ternary"
            if "ternary" in mts
            else "lpm"
            if "lpm" in mts
            else "exact",
            "type": "simple",
            "max_size": size,
            "with_counters": counters,
            "support_timeout": False,
            "direct_meters": meter,
            "action_ids": [ids[a] for a in actions],
            "actions": actions,
        }
        d_name, d_data = default if default is not None else ("NoAction", [])
        if d_name not in actions:
            t["action_ids"].append(ids[d_name])
            t["actions"].append(d_name)
        t["default_entry"] = {
            "action_id": ids[d_name],
            "action_const": const_default,
            "action_data": [f"0x{v:x}" for v in d_data],
            "action_entry_const": const_default,
        }
        if entries is not None:
            t["entries"] = entries
        self.pipes[pipeline].append({"kind": "table", "j": t})
        return t

    def call(self, action: str, pipeline: str = "ingress") -> J:
        """An action called from the control body: p4c's keyless `tbl_<name>` with a const default."""
        return self.table(
            f"tbl_{action}_{len(self.pipes[pipeline])}",
            [],
            [action],
            (action, []),
            pipeline=pipeline,
            const_default=True,
        )

    def if_(self, expr: J, then: list[J], pipeline: str = "ingress") -> None:
        """`if (expr) { then }`: `then` must be tables made with pipeline=None-style (appended after)."""
        self.pipes[pipeline].append({"kind": "if", "expr": expr, "then": [x["name"] for x in then]})

    def build(self) -> J:
        j = copy.deepcopy(self.j)
        states = copy.deepcopy(self.states) or [state("start", [])]
        for i, s in enumerate(states):
            s["id"] = i
        j["parsers"] = [{"name": "parser", "id": 0, "init_state": states[0]["name"], "parse_states": states}]
        j["deparsers"] = [{"name": "deparser", "id": 0, "order": list(self.deparse), "primitives": []}]
        for pid, pname in enumerate(("ingress", "egress")):
            j["pipelines"].append(self._pipeline(pid, pname, self.pipes[pname]))
        return j

    def _pipeline(self, pid: int, name: str, items: list[J]) -> J:
        tables: list[J] = []
        conds: list[J] = []
        skip: set[str] = set()
        for it in items:
            if it["kind"] == "if":
                skip.update(it["then"])
        seq = [it for it in items if not (it["kind"] == "table" and it["j"]["name"] in skip)]
        nodes: list[str] = []
        for i, it in enumerate(seq):
            nodes.append(it["j"]["name"] if it["kind"] == "table" else f"node_{pid}_{i}")
        by_name = {it["j"]["name"]: it["j"] for it in items if it["kind"] == "table"}
        for i, it in enumerate(seq):
            nxt = nodes[i + 1] if i + 1 < len(seq) else None
            if it["kind"] == "table":
                t = copy.deepcopy(it["j"])
                t["base_default_next"] = nxt
                t["next_tables"] = {a: nxt for a in t["actions"]}
                t["id"] = len(tables)
                tables.append(t)
            else:
                chain = it["then"]
                for k, tn in enumerate(chain):
                    t = copy.deepcopy(by_name[tn])
                    after = chain[k + 1] if k + 1 < len(chain) else nxt
                    t["base_default_next"] = after
                    t["next_tables"] = {a: after for a in t["actions"]}
                    t["id"] = len(tables)
                    tables.append(t)
                conds.append(
                    {
                        "name": nodes[i],
                        "id": len(conds),
                        "expression": it["expr"],
                        "true_next": chain[0] if chain else nxt,
                        "false_next": nxt,
                    }
                )
        return {
            "name": name,
            "id": pid,
            "init_table": nodes[0] if nodes else None,
            "tables": tables,
            "action_profiles": [],
            "conditionals": conds,
        }
