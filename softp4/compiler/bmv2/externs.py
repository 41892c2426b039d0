"""v1model's externs in the BMv2 JSON: arrays, calculations, field and learn lists, primitives.

Counters, meters and registers become `counter_arrays`, `meter_arrays` and
`register_arrays`; `hash` and the checksum functions become `calculations`;
the preserving clone/resubmit/recirculate calls `field_lists`; `digest`
`learn_lists`.  Calls become simple_switch's primitives
(`count`, `execute_meter`, `register_read`, `modify_field_with_hash_based_offset`...).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from softp4.compiler import ast, names
from softp4.compiler import types as t
from softp4.compiler.bmv2.expressions import call_args, const_int, expr_text, scalar_width
from softp4.compiler.bmv2.jsonutil import J, as_param, hexval
from softp4.compiler.bmv2.statements import StmtLowerer, prim
from softp4.compiler.bmv2.storage import flat_fields
from softp4.compiler.bmv2.values import (
    Const,
    DynField,
    Expr,
    ExternInstance,
    Field,
    Header,
    RuntimeData,
    Struct,
    Value,
)
from softp4.compiler.errors import CompileError, unsupported

if TYPE_CHECKING:
    from softp4.compiler.bmv2.program import Backend

#: HashAlgorithm members and the names of simple_switch's hash functions.
ALGORITHMS = {
    "crc32": "crc32",
    "crc32_custom": "crc32_custom",
    "crc16": "crc16",
    "crc16_custom": "crc16_custom",
    "random": "random",
    "identity": "identity",
    "csum16": "csum16",
    "xor16": "xor16",
}


def algorithm(e: ast.Expression) -> str:
    v = e.const_value
    if isinstance(v, t.EnumValue) and v.member in ALGORITHMS:
        return ALGORITHMS[v.member]
    raise CompileError("the hash algorithm must be a HashAlgorithm constant", e.loc)


class Externs:
    """The extern-related sections of the JSON and the lowering of extern calls."""

    def __init__(self, be: Backend) -> None:
        self.be = be
        self.counter_arrays: list[J] = []
        self.meter_arrays: list[J] = []
        self.register_arrays: list[J] = []
        self.calculations: list[J] = []
        self.field_lists: list[J] = []
        self.learn_lists: list[J] = []
        self.checksums: list[J] = []
        self._field_list_ids: dict[Any, int] = {}
        self._learn_ids: dict[str, int] = {}
        self._anonymous_digests = names.AnonymousDigests()

    # ------------------------------------------------------------ instances

    def instantiate(self, inst: ast.Instantiation, name: str, scope: Any) -> ExternInstance:
        """An extern instance declared in a block or at top level."""
        ty = inst.type_ref.resolved
        kind = ty.name if isinstance(ty, t.ExternType) else getattr(inst.type_ref, "name", "")
        if not kind and isinstance(inst.type_ref, ast.SpecializedTypeRef):
            kind = inst.type_ref.base.name
        ext = ExternInstance(name, kind, inst, ty)
        args = [a.value for a in inst.args]

        def const_arg(i: int) -> int:
            c = self.be.const_of(args[i], scope) if i < len(args) else None
            if c is None:
                raise CompileError(f"argument {i + 1} of '{inst.name}' must be a compile-time constant", inst.loc)
            return int(c)

        if kind == "counter":
            ext.info["size"] = const_arg(0)
            self.counter_arrays.append(
                {"name": name, "id": len(self.counter_arrays), "is_direct": False, "size": const_arg(0)}
            )
        elif kind == "meter":
            mtype = args[1].const_value
            self.meter_arrays.append(
                {
                    "name": name,
                    "id": len(self.meter_arrays),
                    "is_direct": False,
                    "size": const_arg(0),
                    "rate_count": 2,
                    "type": mtype.member if isinstance(mtype, t.EnumValue) else "packets",
                }
            )
        elif kind == "register":
            width = 0
            if isinstance(ty, t.ExternType) and ty.type_args:
                w = scalar_width(ty.type_args[0])
                if w is None:
                    raise unsupported(f"register of {ty.type_args[0]}", inst.loc)
                width = w
            self.register_arrays.append(
                {"name": name, "id": len(self.register_arrays), "size": const_arg(0), "bitwidth": width}
            )
        elif kind in ("direct_counter", "direct_meter"):
            if args:
                mtype = args[0].const_value
                ext.info["type"] = mtype.member if isinstance(mtype, t.EnumValue) else "packets"
        elif kind == "action_profile":
            ext.info["size"] = const_arg(0)
        elif kind == "action_selector":
            ext.info["algo"] = algorithm(args[0])
            ext.info["size"] = const_arg(1)
            ext.info["output_width"] = const_arg(2)
        elif kind == "Checksum16":
            raise unsupported("the deprecated extern Checksum16", inst.loc)
        else:
            raise unsupported(f"extern '{kind}' on the BMv2 target", inst.loc)
        return ext

    def bind_direct(self, ext: ExternInstance, table: str, size: int, loc: ast.Node) -> None:
        """A direct counter or meter attached to `table`."""
        if "binding" in ext.info and ext.info["binding"] != table:
            raise CompileError(f"direct {ext.kind} '{ext.name}' is attached to more than one table", loc.loc)
        if "binding" in ext.info:
            return
        ext.info["binding"] = table
        if ext.kind == "direct_counter":
            self.counter_arrays.append(
                {"name": ext.name, "id": len(self.counter_arrays), "is_direct": True, "binding": table}
            )
        else:
            entry: J = {
                "name": ext.name,
                "id": len(self.meter_arrays),
                "is_direct": True,
                "rate_count": 2,
                "type": ext.info.get("type", "packets"),
                "size": size,
                "binding": table,
                "result_target": None,
            }
            ext.info["json"] = entry
            self.meter_arrays.append(entry)

    # ------------------------------------------------------------ helpers

    def _fields(self, lw: StmtLowerer, e: ast.Expression, what: str, temps: bool = True) -> list[J]:
        """The fields of a data argument (`{a, b}`, a struct, a header), as calculation inputs."""
        out: list[J] = []

        def add_value(v: Value, ty: t.Type | None, at: ast.Expression) -> None:
            if isinstance(v, Field):
                if isinstance(v.type, t.VarbitType):
                    out.append(v.json())
                else:
                    out.append(v.json())
            elif isinstance(v, Header):
                for f in flat_fields(v):
                    out.append(f.json())
            elif isinstance(v, Struct):
                for sub in v.fields.values():
                    add_value(sub, None, at)
            elif isinstance(v, Const):
                w = scalar_width(ty or v.type) or max(int(v.value).bit_length(), 1)
                out.append({"type": "hexstr", "value": hexval(int(v.value), w)["value"], "bitwidth": w})
            elif isinstance(v, Expr | RuntimeData | DynField):
                ew = scalar_width(ty if ty is not None else getattr(v, "type", None))
                if ew is None:
                    raise unsupported(f"this element in the {what} data", at.loc)
                if not temps:
                    raise unsupported(
                        f"the expression '{expr_text(at)}' in {what} data (use header fields, metadata or constants)",
                        at.loc,
                    )
                tmp = self.be.storage.scalar(self.be.unique_name("tmp"), t.BitsType(ew), at.loc)
                lw.assign_value(tmp, v, at)
                out.append(tmp.json())
            else:
                raise unsupported(f"element '{expr_text(at)}' of the {what} data", at.loc)

        if isinstance(e, ast.ListExpr):
            for el in e.elements:
                add_value(lw.value(el), el.type, el)
        elif isinstance(e, ast.StructExpr):
            for nf in e.fields:
                add_value(lw.value(nf.value), nf.value.type, nf.value)
        else:
            add_value(lw.value(e), e.type, e)
        return out

    def calculation(self, algo: str, inputs: list[J], base: str = "calc") -> str:
        name = self.be.unique_name(base)
        self.calculations.append({"name": name, "id": len(self.calculations), "algo": algo, "input": inputs})
        return name

    def field_list(self, fields: list[J], key: Any, name: str) -> int:
        if key in self._field_list_ids:
            return self._field_list_ids[key]
        fid = len(self.field_lists) + 1
        self.field_lists.append({"id": fid, "name": name, "elements": fields})
        self._field_list_ids[key] = fid
        return fid

    def preserved_field_list(self, index: int) -> int:
        """The field list of the user metadata fields annotated `@field_list(index)`."""
        key = ("index", index)
        if key in self._field_list_ids:
            return self._field_list_ids[key]
        return self.field_list(self.be.field_list_members(index), key, f"field_list{index}")

    def learn_list(self, name: str, fields: list[J]) -> int:
        if name in self._learn_ids:
            return self._learn_ids[name]
        lid = len(self.learn_lists) + 1
        self.learn_lists.append({"id": lid, "name": name, "elements": fields})
        self._learn_ids[name] = lid
        return lid

    # ------------------------------------------------------------ calls

    def call_function(self, lw: StmtLowerer, fn: ast.ExternFunctionDecl, e: ast.MethodCall) -> None:
        name = fn.name
        args = call_args(e)
        P = lw.prims
        if name == "mark_to_drop":
            if len(args) != 1:  # v1model's deprecated mark_to_drop(): p4c-bm2-ss refuses it, in these words
                raise CompileError("Expected 1 argument for mark_to_drop(). Are you using an up-to-date v1model.p4?",
                                   e.loc)
            P.append(prim("mark_to_drop", {"type": "header", "value": "standard_metadata"}, loc=e))
        elif name == "hash":
            dst = self._out_field(lw, args[0])
            calc = self.calculation(algorithm(args[1]), self._fields(lw, _calculation_data(args[3], "hash"), "hash"))
            P.append(
                prim(
                    "modify_field_with_hash_based_offset",
                    dst.json(),
                    as_param(lw.data(args[2])),
                    {"type": "calculation", "value": calc},
                    as_param(lw.data(args[4])),
                    loc=e,
                )
            )
        elif name == "random":
            dst = self._out_field(lw, args[0])
            P.append(
                prim(
                    "modify_field_rng_uniform",
                    dst.json(),
                    as_param(lw.data(args[1])),
                    as_param(lw.data(args[2])),
                    loc=e,
                )
            )
        elif name == "digest":
            data = args[1]
            dty = data.type
            lname = dty.name if isinstance(dty, t.StructLikeType) else self._anonymous_digests.name(e)
            lid = self.learn_list(lname, self._fields(lw, data, "digest"))
            P.append(prim("generate_digest", as_param(lw.data(args[0])), hexval(lid, 32), loc=e))
        elif name in ("clone", "clone3", "clone_preserving_field_list"):
            ctype = args[0].const_value
            if not isinstance(ctype, t.EnumValue):
                raise CompileError("the clone type must be CloneType.I2E or CloneType.E2E", e.loc)
            op_name = "clone_ingress_pkt_to_egress" if ctype.member == "I2E" else "clone_egress_pkt_to_egress"
            if name == "clone":
                # simple_switch copies the clone's field list unconditionally (there is no list
                # 0), so p4c gives each clone() call an empty one of its own
                fl = self.field_list([], ("clone", id(e)), "fl")
            elif name == "clone3":
                fields = self._fields(lw, args[2], "clone")
                fl = self.field_list(fields, ("data", repr(fields)), "fl")
            else:
                fl = self.preserved_field_list(self._const(args[2]))
            P.append(prim(op_name, as_param(lw.data(args[1])), hexval(fl, 32), loc=e))
        elif name in ("resubmit", "recirculate", "resubmit_preserving_field_list", "recirculate_preserving_field_list"):
            base = name.split("_")[0]
            if name.endswith("_field_list"):
                fl = self.preserved_field_list(self._const(args[0]))
            else:
                fields = self._fields(lw, args[0], base)
                fl = self.field_list(fields, ("data", repr(fields)), "fl")
            P.append(prim(base, hexval(fl, 32), loc=e))
        elif name == "truncate":
            P.append(prim("truncate", as_param(lw.data(args[0])), loc=e))
        elif name in ("assert", "assume"):
            P.append(prim(name, as_param(lw.data(args[0])), loc=e))  # b2d: BMv2 primitives take data
        elif name == "log_msg":
            fmt = args[0]
            if not isinstance(fmt, ast.StringLiteral):
                raise CompileError("log_msg needs a string literal", e.loc)
            values: list[J] = []
            if len(args) > 1:
                for f in self._fields(lw, args[1], "log_msg"):
                    values.append({"type": f["type"], "value": f["value"]})
            P.append(
                prim(
                    "log_msg",
                    {"type": "string", "value": fmt.value},
                    {"type": "parameters_vector", "value": values},
                    loc=e,
                )
            )
        elif name in (
            "verify_checksum",
            "update_checksum",
            "verify_checksum_with_payload",
            "update_checksum_with_payload",
        ):
            raise unsupported(f"{name} outside the checksum controls", e.loc)
        elif name == "verify":
            raise unsupported("verify() outside a parser", e.loc)
        else:
            raise unsupported(f"extern function '{name}'", e.loc)

    def _const(self, e: ast.Expression) -> int:
        c = const_int(e.const_value, self.be)
        if c is None:
            raise CompileError("this argument must be a compile-time constant", e.loc)
        return int(c)

    def _out_field(self, lw: StmtLowerer, e: ast.Expression) -> Field:
        v = lw.value(e)
        if isinstance(v, Field):
            return v
        raise unsupported(f"'{expr_text(e)}' as an out argument (use a field or a local variable)", e.loc)

    def call_method(self, lw: StmtLowerer, ext: ExternInstance, m: ast.MethodDecl, e: ast.MethodCall) -> None:
        args = call_args(e)
        P = lw.prims
        kind, name = ext.kind, m.name
        if kind == "counter" and name == "count":
            P.append(prim("count", {"type": "counter_array", "value": ext.name}, as_param(lw.data(args[0])), loc=e))
        elif kind == "direct_counter" and name == "count":
            pass  # direct counters count every hit
        elif kind == "meter" and name == "execute_meter":
            dst = self._out_field(lw, args[1])
            P.append(
                prim(
                    "execute_meter",
                    {"type": "meter_array", "value": ext.name},
                    as_param(lw.data(args[0])),
                    dst.json(),
                    loc=e,
                )
            )
        elif kind == "direct_meter" and name == "read":
            dst = self._out_field(lw, args[0])
            ext.info.setdefault("result_targets", []).append(dst)
            entry = ext.info.get("json")
            if entry is not None:
                entry["result_target"] = [dst.instance, dst.field]
        elif kind == "register" and name == "read":
            dst = self._out_field(lw, args[0])
            P.append(
                prim(
                    "register_read",
                    dst.json(),
                    {"type": "register_array", "value": ext.name},
                    as_param(lw.data(args[1])),
                    loc=e,
                )
            )
        elif kind == "register" and name == "write":
            value = lw.data(args[1])
            P.append(
                prim(
                    "register_write",
                    {"type": "register_array", "value": ext.name},
                    as_param(lw.data(args[0])),
                    as_param(value),
                    loc=e,
                )
            )
        else:
            raise unsupported(f"method '{name}' of extern '{kind}'", e.loc)

    # ------------------------------------------------------------ checksums

    def checksum_control(self, lw: StmtLowerer, stmts: list[ast.Node], verify: bool) -> None:
        """The body of VerifyChecksum or ComputeChecksum: checksum calls, possibly under ifs."""
        for s in stmts:
            self._checksum_stmt(lw, s, verify, None)

    def _checksum_stmt(self, lw: StmtLowerer, s: ast.Node, verify: bool, cond: J | None) -> None:
        if isinstance(s, ast.BlockStatement):
            for x in s.statements:
                self._checksum_stmt(lw, x, verify, cond)
            return
        if isinstance(s, ast.EmptyStatement):
            return
        if isinstance(s, ast.IfStatement):
            c = lw.cond(s.cond)
            both = c if cond is None else {"type": "expression", "value": {"op": "and", "left": cond, "right": c}}
            self._checksum_stmt(lw, s.then, verify, both)
            if s.else_ is not None:
                neg: J = {"type": "expression", "value": {"op": "not", "left": None, "right": c}}
                nboth = (
                    neg if cond is None else {"type": "expression", "value": {"op": "and", "left": cond, "right": neg}}
                )
                self._checksum_stmt(lw, s.else_, verify, nboth)
            return
        if isinstance(s, ast.MethodCallStatement) and isinstance(s.call.callee, ast.ExternFunctionDecl):
            fn = s.call.callee.name
            names = (
                ("verify_checksum", "verify_checksum_with_payload")
                if verify
                else (
                    "update_checksum",
                    "update_checksum_with_payload",
                )
            )
            if fn in names:
                self._checksum(lw, s.call, verify, fn.endswith("_with_payload"), cond)
                return
        where = "VerifyChecksum" if verify else "ComputeChecksum"
        raise unsupported(f"this statement in the {where} control (only checksum calls)", s.loc)

    def _checksum(self, lw: StmtLowerer, e: ast.MethodCall, verify: bool, payload: bool, cond: J | None) -> None:
        args = call_args(e)
        c = lw.cond(args[0])
        if c.get("type") == "bool":
            if not c["value"]:
                return
        else:
            cond = c if cond is None else {"type": "expression", "value": {"op": "and", "left": cond, "right": c}}
        inputs = self._fields(lw, _calculation_data(args[1], "checksum"), "checksum", temps=False)
        if payload:
            inputs.append({"type": "payload", "value": None})
        calc = self.calculation(algorithm(args[3]), inputs)
        target = lw.value(args[2])
        if not isinstance(target, Field):
            raise unsupported(f"checksum target '{expr_text(args[2])}' (it must be a header field)", args[2].loc)
        self.checksums.append(
            {
                "name": self.be.unique_name("cksum"),
                "id": len(self.checksums),
                "target": [target.instance, target.field],
                "type": "generic",
                "calculation": calc,
                "verify": verify,
                "update": not verify,
                "if_cond": cond,
            }
        )


__all__ = ["ALGORITHMS", "Externs", "algorithm"]


def _calculation_data(e: ast.Expression, what: str) -> ast.Expression:
    """The data of a hash or checksum calculation: a list, a struct or a header, as p4c's BMv2
    back end requires (it rejects `hash(..., (bit<8>) 42, ...)`: hashing-non-tuple-bmv2)."""
    if not isinstance(e.type, t.StructLikeType | t.TupleType):
        raise CompileError(f"the {what} data must be a list, a struct or a header, not {e.type}", e.loc)
    return e
