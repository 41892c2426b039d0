"""Load BMv2 JSON into a `Program`: layout, externs, actions, tables, parser, deparser, checksums."""

from __future__ import annotations

import json
import pathlib
from collections.abc import Iterator
from typing import Any

from softp4.switch.calculations import Calculation, make_algorithm, make_input_builder
from softp4.switch.codegen import SourceGen, fuse_action
from softp4.switch.control import ActionCallNode, CondNode, IndirectTableNode, Node, Pipeline, TableNode
from softp4.switch.controlgen import compile_pipeline
from softp4.switch.deparser import Deparser
from softp4.switch.errors import ConfigError
from softp4.switch.expressions import ExprCompiler, parse_hexstr
from softp4.switch.externs import CounterArray, RegisterArray
from softp4.switch.layout import Layout
from softp4.switch.meters import MeterArray
from softp4.switch.packet import PHV
from softp4.switch.parser import ParserCompiler
from softp4.switch.primitives import PrimitiveCompiler, describe, make_action_runner
from softp4.switch.profiles import ActionProfile
from softp4.switch.program import STANDARD_FIELDS, ParseVset, Program
from softp4.switch.tables import ActionDef, Exact, KeyField, Lpm, Match, Optional, Range, Table, Ternary

SUPPORTED_MAJOR = 2


def read_config(config: Any) -> dict[str, Any]:
    """The JSON object from a dict, JSON text (str or bytes) or a path."""
    if isinstance(config, dict):
        return config
    try:
        if isinstance(config, pathlib.Path):
            text = config.read_text()
        elif isinstance(config, bytes | bytearray):
            text = bytes(config).decode()
        elif isinstance(config, str):
            # JSON text; a path given as a string is read too
            stripped = config.lstrip()
            if stripped[:1] not in ("{", "[", "") and pathlib.Path(config).is_file():
                text = pathlib.Path(config).read_text()
            else:
                text = config
        else:
            raise ConfigError(f"config must be a dict, JSON text or a path, not {type(config).__name__}")
        obj = json.loads(text)
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"cannot read config: {e}") from None
    except json.JSONDecodeError as e:
        raise ConfigError(f"config is not valid JSON: {e}") from None
    if not isinstance(obj, dict):
        raise ConfigError("config: the top level of BMv2 JSON must be an object")
    return obj


def _list(cfg: dict[str, Any], key: str) -> list[Any]:
    v = cfg.get(key, [])
    if v is None:
        return []
    if not isinstance(v, list):
        raise ConfigError(f"'{key}' must be a list")
    return v


def load_program(config: Any) -> Program:
    cfg = read_config(config)
    loader = _Loader(cfg)
    try:
        return loader.load()
    except ConfigError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError, IndexError, OverflowError) as e:
        raise ConfigError(f"{loader.where}: malformed BMv2 JSON ({type(e).__name__}: {e})") from None


def _successors(n: Node) -> list[Node]:
    if isinstance(n, TableNode):
        nxt = [n.hit_next, n.miss_next, n.base_default_next, *n.next_by_action.values()]
    elif isinstance(n, CondNode):
        nxt = [n.true_next, n.false_next]
    elif isinstance(n, ActionCallNode):
        nxt = [n.next]
    else:
        nxt = []
    return [x for x in nxt if x is not None]


def _check_acyclic(pname: str, init: Node | None) -> None:
    """A control flow graph with a cycle would loop forever on some packet: refuse it."""
    state: dict[int, int] = {}  # id(node) -> 1 on the path, 2 done
    if init is None:
        return
    stack: list[tuple[Node, int]] = [(init, 0)]
    state[id(init)] = 1
    while stack:
        node, i = stack.pop()
        succ = _successors(node)
        if i < len(succ):
            stack.append((node, i + 1))
            s = succ[i]
            st = state.get(id(s))
            if st == 1:
                raise ConfigError(f"pipeline '{pname}': control flow loops back to '{s.name}'")
            if st is None:
                state[id(s)] = 1
                stack.append((s, 0))
        else:
            state[id(node)] = 2


#: what every BMv2 JSON has (p4c-bm2-ss writes them all, even empty)
PROGRAM_KEYS = ("header_types", "headers", "parsers", "deparsers", "actions", "pipelines")
#: the fields of standard_metadata simple_switch requires (it refuses a program without them)
REQUIRED_FIELDS = ("ingress_port", "packet_length", "instance_type", "egress_spec", "egress_port")


def _check_is_program(cfg: dict[str, Any]) -> None:
    """ConfigError unless `cfg` looks like a BMv2 program: its lists, and standard_metadata as simple_switch needs."""
    missing = [key for key in PROGRAM_KEYS if key not in cfg]
    if missing:
        raise ConfigError("not a BMv2 program: no " + ", ".join(f"'{key}'" for key in missing)
                          + " (compile the P4 program with softp4 compile or p4c-bm2-ss)")
    for key in PROGRAM_KEYS:
        _list(cfg, key)
    types = {t.get("name"): t for t in cfg["header_types"] if isinstance(t, dict)}
    header = next((h for h in cfg["headers"] if isinstance(h, dict) and h.get("name") == "standard_metadata"), None)
    fields = types.get(header.get("header_type")) if header is not None else None
    names = {f[0] for f in fields.get("fields", []) if isinstance(f, list) and f} if isinstance(fields, dict) else set()
    for name in REQUIRED_FIELDS:
        if name not in names:
            raise ConfigError(f"not a BMv2 program for simple_switch: field standard_metadata.{name} is required "
                              "but is not defined")


class _Loader:
    def __init__(self, cfg: dict[str, Any]) -> None:
        self.cfg = cfg
        self.where = "top level"

    def _each(self, items: Any, what: str) -> Iterator[Any]:
        """The entries of a JSON list, keeping `where` up to date for error messages."""
        if isinstance(items, str):
            items = _list(self.cfg, items)
        for i, item in enumerate(items):
            name = item.get("name") if isinstance(item, dict) else None
            self.where = f"{what} '{name}'" if isinstance(name, str) else f"{what} #{i}"
            yield item

    def load(self) -> Program:
        cfg = self.cfg
        meta = cfg.get("__meta__")
        if isinstance(meta, dict) and "version" in meta:
            ver = meta["version"]
            if not isinstance(ver, list) or not ver or ver[0] != SUPPORTED_MAJOR:
                raise ConfigError(f"__meta__: unsupported BMv2 JSON version {ver!r} (need 2.x)")
        _check_is_program(cfg)
        self.where = "header types and instances"
        layout = Layout(cfg)
        sm, widths = self._standard_metadata(layout)
        registers: dict[str, RegisterArray] = {}
        for r in self._each("register_arrays", "register array"):
            name = r.get("name")
            registers[name] = RegisterArray(name, int(r.get("size", 0)), int(r.get("bitwidth", 32)))
        prog = Program(layout, ExprCompiler(layout, registers), sm, widths, registers=registers)
        prog.source = cfg
        for c in self._each("counter_arrays", "counter array"):
            name = c.get("name")
            prog.counters[name] = CounterArray(name, int(c.get("size", 0)), bool(c.get("is_direct")), c.get("binding"))
        for m in self._each("meter_arrays", "meter array"):
            name = m.get("name")
            ma = MeterArray(
                name,
                int(m.get("size", 0)),
                m.get("type") == "packets",
                int(m.get("rate_count", 2)),
                bool(m.get("is_direct")),
                m.get("binding"),
            )
            if ma.is_direct and m.get("result_target") is not None:
                slot, width, _ = layout.field_slot(m["result_target"], f"meter array '{name}'")
                ma.result_target = (slot, width)
            prog.meters[name] = ma
        for h in layout.headers.values():
            if h.metadata:
                prog.meta_slots.extend(range(h.base + 1, h.base + 1 + len(h.fields)))
        self._field_lists(prog)
        deparsers = _list(cfg, "deparsers")
        dep_headers = []
        deparser_prims: list[Any] = []
        if deparsers:
            dj = deparsers[0]
            for hname in dj.get("order", []):
                dep_headers.append(layout.header(hname, f"deparser '{dj.get('name')}'"))
            prog.deparser = Deparser(str(dj.get("name", "deparser")), dep_headers)
            deparser_prims = dj.get("primitives") or []
        else:
            prog.deparser = Deparser("deparser", [])
        for c in self._each("calculations", "calculation"):
            calc = self._calculation(prog, c)
            prog.calculations[calc.name] = calc
        for v in self._each("parse_vsets", "parse value set"):
            name = v.get("name")
            prog.vsets[name] = ParseVset(
                name, int(v.get("compressed_bitwidth", 0)), int(v.get("max_size", 0) or 1 << 30)
            )
        self._actions(prog)
        pc = PrimitiveCompiler(prog)
        for i, pj in enumerate(deparser_prims):
            prog.deparser.prims.append(pc.compile(pj, f"deparser, primitive {i}"))
        pipelines = _list(cfg, "pipelines")
        compiled = [self._pipeline(prog, pj) for pj in pipelines]
        by_name = {pl.name: pl for pl in compiled}
        prog.ingress = by_name.get("ingress", compiled[0] if compiled else None)
        prog.egress = by_name.get("egress", compiled[1] if len(compiled) > 1 else None)
        parsers = _list(cfg, "parsers")
        if parsers:
            pj = next((x for x in parsers if x.get("name") == "parser"), parsers[0])
            prog.parser = ParserCompiler(prog).compile(pj)
        self._checksums(prog)
        return prog

    def _standard_metadata(self, layout: Layout) -> tuple[dict[str, int], dict[str, int]]:
        sm: dict[str, int] = {}
        widths: dict[str, int] = {}
        aliases: dict[str, Any] = {}
        for a in self._each("field_aliases", "field alias"):
            if isinstance(a, list) and len(a) == 2:
                aliases[str(a[0])] = a[1]
        h = layout.headers.get("standard_metadata")
        for fname in STANDARD_FIELDS:
            ref = aliases.get(f"standard_metadata.{fname}") or aliases.get(f"intrinsic_metadata.{fname}")
            # simple_switch reads the queue priority from `intrinsic_metadata.priority` only (p4c
            # writes that alias of standard_metadata.priority); without it the priority is 0
            if ref is None and h is not None and fname in h.by_name and fname != "priority":
                ref = ["standard_metadata", fname]
            if ref is None and fname in ("mcast_grp", "egress_rid", "priority"):
                im = layout.headers.get("intrinsic_metadata")
                if im is not None and fname in im.by_name:
                    ref = ["intrinsic_metadata", fname]
            if ref is not None:
                slot, width, _ = layout.field_slot(ref, "field_aliases")
            else:
                layout.template.append(0)
                slot, width = len(layout.template) - 1, 32
            sm[fname] = slot
            widths[fname] = width
        return sm, widths

    def _field_lists(self, prog: Program) -> None:
        lay = prog.layout

        def elements(obj: dict[str, Any], what: str) -> list[tuple[int, int]]:
            out = []
            for e in obj.get("elements", []):
                if not isinstance(e, dict) or e.get("type") != "field":
                    continue
                h, f = lay.field(e.get("value"), what)
                out.append((f.slot if f is not None else h.base, h.base))
            return out

        for fl in self._each("field_lists", "field list"):
            fid = int(fl.get("id", 0))
            prog.field_lists[fid] = elements(fl, f"field list '{fl.get('name')}'")
        for ll in self._each("learn_lists", "learn list"):
            lid = int(ll.get("id", 0))
            prog.learn_lists[lid] = (str(ll.get("name")), elements(ll, f"learn list '{ll.get('name')}'"))

    def _calculation(self, prog: Program, c: dict[str, Any]) -> Calculation:
        name = str(c.get("name"))
        where = f"calculation '{name}'"
        lay = prog.layout
        algo_name = str(c.get("algo"))
        try:
            algo = make_algorithm(algo_name)
        except ConfigError:
            raise ConfigError(f"{where}: unknown hash algorithm '{algo_name}'") from None
        items: list[tuple[str, Any]] = []
        payload = False
        for inp in c.get("input", []):
            t = inp.get("type")
            v = inp.get("value")
            if t == "field":
                h, f = lay.field(v, where)
                if f is None:
                    items.append(("field", (h.base, h.base, 1)))
                elif f.varbit:
                    items.append(("varbit", (h.base, f.slot, h.vlen_slot)))
                else:
                    items.append(("field", (h.base, f.slot, f.width)))
            elif t == "hexstr":
                items.append(("const", (parse_hexstr(v, where), int(inp.get("bitwidth", 0)))))
            elif t == "header":
                h = lay.header(v, where)
                if h.emit is None:
                    raise ConfigError(f"{where}: header '{h.name}' cannot be serialized")
                items.append(("header", (h.base, h.emit)))
            elif t == "payload":
                payload = True
            else:
                raise ConfigError(f"{where}: unsupported input type '{t}'")
        payload_fn = None
        if payload:
            # as BMv2 computes it: the bytes the parser did not consume
            def payload_fn(p: PHV) -> bytes:
                pkt = p[0]
                return bytes(pkt.data[pkt.off :])

        return Calculation(name, algo_name, algo, make_input_builder(items, payload_fn))

    def _actions(self, prog: Program) -> None:
        pc = PrimitiveCompiler(prog)
        gen = SourceGen(prog.layout)
        externs: dict[str, Any] = {f"register_array:{n}": r for n, r in prog.registers.items()}
        externs.update({f"counter_array:{n}": c for n, c in prog.counters.items() if not c.is_direct})
        for aj in self._each("actions", "action"):
            name = aj.get("name")
            if not isinstance(name, str):
                raise ConfigError(f"action {aj!r}: missing name")
            aid = int(aj.get("id", 0))
            where = f"action '{name}'"
            params = [(str(r.get("name")), int(r.get("bitwidth", 0))) for r in aj.get("runtime_data", [])]
            prims = []
            has_jumps = False
            pjs = aj.get("primitives", [])
            for i, pj in enumerate(pjs):
                fn = pc.compile(pj, f"{where}, primitive {i}")
                if pj.get("op") in ("_jump", "_jump_if_zero"):
                    has_jumps = True
                    target = pj["parameters"][-1]
                    offset = parse_hexstr(target.get("value"), where) if isinstance(target, dict) else -1
                    # as in BMv2, a jump may go anywhere in the action (backward for loops); the
                    # runner bounds the steps of one call
                    if not 0 <= offset <= len(pjs):
                        raise ConfigError(
                            f"{where}, primitive {i}: jump target {offset} is outside the action (0..{len(pjs)})"
                        )
                prims.append((fn, describe(pj)))
            run = None if has_jumps else fuse_action(name, gen, pjs, [f for f, _ in prims], prog.sm, externs)
            if run is None:
                run = make_action_runner([f for f, _ in prims], has_jumps, name)
            a = ActionDef(name, aid, params, run, prims)
            if aid in prog.actions:
                raise ConfigError(f"{where}: duplicate action id {aid}")
            prog.actions[aid] = a
            prog.actions_by_name.setdefault(name, []).append(a)

    def _pipeline(self, prog: Program, pj: dict[str, Any]) -> Pipeline:
        pname = str(pj.get("name"))
        nodes: dict[str, Node] = {}
        tjs = pj.get("tables", [])
        cjs = pj.get("conditionals", [])
        ajs = pj.get("action_calls", []) or []
        for apj in self._each(pj.get("action_profiles", []) or [], "action profile"):
            prog.profiles[apj["name"]] = self._profile(prog, apj)
        for tj in self._each(tjs, "table"):
            table = self._table(prog, tj)
            node = TableNode(table) if table.profile is None else IndirectTableNode(table)
            nodes[node.name] = node
            prog.tables[node.name] = node.table
        for cj in self._each(cjs, "conditional"):
            name = str(cj.get("name"))
            expr = prog.exprs.compile(cj.get("expression"), f"conditional '{name}'")
            source = SourceGen(prog.layout).expr(cj.get("expression"))
            nodes[name] = CondNode(name, expr, source)
        for acj in ajs:
            name = str(acj.get("name"))
            aid = acj.get("action_id")
            if aid not in prog.actions:
                raise ConfigError(f"action call '{name}': unknown action id {aid}")
            nodes[name] = ActionCallNode(name, prog.actions[aid])

        def ref(n: Any, where: str) -> Node | None:
            if n is None:
                return None
            if n not in nodes:
                raise ConfigError(f"{where}: unknown next node '{n}'")
            return nodes[n]

        for tj in tjs:
            tn = nodes[tj["name"]]
            assert isinstance(tn, TableNode)
            where = f"table '{tn.name}'"
            nt = tj.get("next_tables", {}) or {}
            tn.base_default_next = ref(tj.get("base_default_next"), where)
            if "__HIT__" in nt or "__MISS__" in nt:
                if "__HIT__" not in nt or "__MISS__" not in nt:
                    raise ConfigError(f"{where}: next_tables needs both __HIT__ and __MISS__")
                tn.hitmiss = True
                tn.hit_next = ref(nt["__HIT__"], where)
                tn.miss_next = ref(nt["__MISS__"], where)
            else:
                for aname, nxt in nt.items():
                    a = tn.table.actions.get(aname)
                    if a is None:
                        raise ConfigError(f"{where}: next_tables names unknown action '{aname}'")
                    tn.next_by_action[a.id] = ref(nxt, where)
            if tn.table.direct_meter is not None:
                mtr = tn.table.direct_meter
                tn.direct_meter = mtr
                if mtr.result_target is not None:
                    from softp4.switch.expressions import make_setter

                    slot, width = mtr.result_target
                    tn.meter_setter = make_setter(slot, width, False)
        for cj in cjs:
            cn = nodes[cj["name"]]
            assert isinstance(cn, CondNode)
            cn.true_next = ref(cj.get("true_next"), f"conditional '{cn.name}'")
            cn.false_next = ref(cj.get("false_next"), f"conditional '{cn.name}'")
        for acj in ajs:
            an = nodes[acj["name"]]
            assert isinstance(an, ActionCallNode)
            an.next = ref(acj.get("next_node"), f"action call '{an.name}'")
        init = ref(pj.get("init_table"), f"pipeline '{pname}'")
        _check_acyclic(pname, init)
        for each in nodes.values():
            each.finish()
        return Pipeline(pname, init, compile_pipeline(pname, init))

    def _profile(self, prog: Program, apj: dict[str, Any]) -> ActionProfile:
        name = str(apj["name"])
        where = f"action profile '{name}'"
        selector = None
        sel = apj.get("selector")
        if sel:
            try:
                algo = make_algorithm(str(sel.get("algo")))
            except ConfigError:
                raise ConfigError(f"{where}: unknown hash algorithm '{sel.get('algo')}'") from None
            items: list[tuple[str, Any]] = []
            for inp in sel.get("input", []):
                h, f = prog.layout.field(inp.get("value"), where)
                items.append(("field", (h.base, f.slot if f else h.base, f.width if f else 1)))
            build = make_input_builder(items, None)

            def selector(p: PHV) -> int:
                return algo(build(p))

        return ActionProfile(name, int(apj.get("max_size", 1024)), selector)

    def _table(self, prog: Program, tj: dict[str, Any]) -> Table:
        name = str(tj.get("name"))
        where = f"table '{name}'"
        keys = []
        for kj in tj.get("key", []):
            mt = kj.get("match_type")
            target = kj.get("target")
            if mt == "valid":
                h = prog.layout.header(target, where)
                slot, width = h.base, 1
            else:
                slot, width, _ = prog.layout.field_slot(target, where)
            if mt not in ("exact", "lpm", "ternary", "range", "optional", "valid"):
                raise ConfigError(f"{where}: unsupported match type '{mt}'")
            mask = kj.get("mask")
            kname = kj.get("name") or (".".join(target) if isinstance(target, list) else str(target))
            keys.append(KeyField(str(kname), mt, width, slot, None if mask is None else parse_hexstr(mask, where)))
        actions: dict[str, ActionDef] = {}
        for aid in tj.get("action_ids", []):
            a = prog.actions.get(aid)
            if a is None:
                raise ConfigError(f"{where}: unknown action id {aid}")
            actions[a.name] = a
        t = Table(
            name, int(tj.get("id", 0)), keys, actions, int(tj.get("max_size", 1024)), bool(tj.get("with_counters"))
        )
        if tj.get("type", "simple") in ("indirect", "indirect_ws"):
            prof = prog.profiles.get(str(tj.get("action_profile")))
            if prof is None:
                raise ConfigError(f"{where}: unknown action profile '{tj.get('action_profile')}'")
            t.profile = prof
            prof.actions.update(actions)
        t.with_ageing = bool(tj.get("support_timeout"))
        dm = tj.get("direct_meters")
        if dm:
            if dm not in prog.meters:
                raise ConfigError(f"{where}: unknown direct meter '{dm}'")
            t.direct_meter = prog.meters[dm]
        de = tj.get("default_entry")
        if de and t.profile is not None and de.get("action_const"):
            # BMv2: "does not have type 'simple' and therefore setting 'action_const' to true is meaningless"
            raise ConfigError(f"{where}: a table with an action profile cannot have a const default action")
        if tj.get("entries") and t.profile is not None:
            raise ConfigError(f"{where}: a table with an action profile cannot have const entries")
        if de:
            aid = de.get("action_id")
            a = prog.actions.get(aid)
            if a is None or (a.name not in actions and actions):
                raise ConfigError(f"{where}: unknown default action id {aid}")
            data = [parse_hexstr(x, where) for x in de.get("action_data", [])]
            if len(data) != len(a.params):
                raise ConfigError(f"{where}: default action '{a.name}' needs {len(a.params)} parameters")
            t.initial_default = (a, data)
            t.default_const = bool(de.get("action_const"))
            t.default_entry_const = bool(de.get("action_entry_const"))
            t.reset_default()
        entries = tj.get("entries")
        if entries:
            for i, ej in enumerate(entries):
                self._const_entry(prog, t, ej, f"{where}, entry {i}")
            t.const = True
        return t

    def _const_entry(self, prog: Program, t: Table, ej: dict[str, Any], where: str) -> None:
        key: list[Match] = []
        mks = ej.get("match_key", [])
        if len(mks) != len(t.keys):
            raise ConfigError(f"{where}: match_key has {len(mks)} fields, the table has {len(t.keys)}")
        for kf, mk in zip(t.keys, mks, strict=True):
            mt = mk.get("match_type")
            if mt == "exact":
                key.append(Exact(parse_hexstr(mk.get("key"), where)))
            elif mt == "valid":
                key.append(Exact(int(bool(mk.get("key")))))
            elif mt == "lpm":
                key.append(Lpm(parse_hexstr(mk.get("key"), where), int(mk.get("prefix_length", 0))))
            elif mt == "ternary":
                key.append(Ternary(parse_hexstr(mk.get("key"), where), parse_hexstr(mk.get("mask"), where)))
            elif mt == "range":
                key.append(Range(parse_hexstr(mk.get("start"), where), parse_hexstr(mk.get("end"), where)))
            elif mt == "optional":
                key.append(self._optional_match(kf, mk, where))
            else:
                raise ConfigError(f"{where}: unsupported match type '{mt}' for key '{kf.name}'")
        ae = ej.get("action_entry", {})
        aid = ae.get("action_id")
        a = prog.actions.get(aid)
        if a is None:
            raise ConfigError(f"{where}: unknown action id {aid}")
        data = [parse_hexstr(x, where) for x in ae.get("action_data", [])]
        # in JSON a lower priority number wins; the API's convention is that a higher one wins
        prio = (1 << 24) - int(ej.get("priority", 1)) if t.needs_priority else 0
        norm: list[Match] = []
        for kf, m in zip(t.keys, key, strict=True):
            if isinstance(m, Ternary):
                m = Ternary(m.value & m.mask, m.mask)
            if isinstance(m, Lpm):
                m = Lpm(m.value & (((1 << m.prefix_len) - 1) << (kf.width - m.prefix_len)), m.prefix_len)
            norm.append(m)
        try:
            t.insert(tuple(norm), a, data, prio, const=True)
        except Exception as e:
            raise ConfigError(f"{where}: {e}") from None

    @staticmethod
    def _optional_match(kf: KeyField, mk: dict[str, Any], where: str) -> Optional:
        """An optional const-entry field: p4c writes `key` and `mask`, all ones for a value, 0 for `_`."""
        value = parse_hexstr(mk.get("key"), where)
        if "mask" not in mk:
            return Optional(value)
        mask = parse_hexstr(mk.get("mask"), where)
        full = (1 << kf.width) - 1
        if mask & full == 0:
            return Optional(None)
        if mask & full == full:
            return Optional(value & full)
        raise ConfigError(
            f"{where}: optional key '{kf.name}' has mask {mk.get('mask')!r}; "
            f"an optional field is matched in full (all ones) or not at all (0)"
        )

    def _checksums(self, prog: Program) -> None:
        for cj in self._each("checksums", "checksum"):
            name = str(cj.get("name"))
            where = f"checksum '{name}'"
            calc = prog.calculations.get(cj.get("calculation"))
            if calc is None:
                raise ConfigError(f"{where}: unknown calculation '{cj.get('calculation')}'")
            target = cj.get("target")
            slot, width, _ = prog.layout.field_slot(target, where)
            cond_j = cj.get("if_cond")
            cond = prog.exprs.compile(cond_j, where) if cond_j is not None else (lambda p, d: True)
            if cj.get("verify", True):
                prog.verify_checksums.append((cond, slot, calc))
            if cj.get("update", True):
                prog.update_checksums.append((cond, slot, (1 << width) - 1, calc))
