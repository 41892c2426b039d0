"""Match-action tables: keys, entries and the lookup structures (exact, lpm, ternary, range, optional)."""

from __future__ import annotations

import bisect
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from softp4.switch.errors import (
    AlreadyExists,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    ResourceExhausted,
)
from softp4.switch.meters import Meter
from softp4.switch.packet import PHV


class Exact(NamedTuple):
    value: int


class Lpm(NamedTuple):
    value: int
    prefix_len: int


class Ternary(NamedTuple):
    value: int
    mask: int


class Range(NamedTuple):
    low: int
    high: int


class Optional(NamedTuple):
    value: int | None


Match = Exact | Lpm | Ternary | Range | Optional


class Entry(NamedTuple):
    """A table entry as the runtime API reports it."""

    handle: int
    key: tuple[Match, ...]
    action: str  # "" for an entry of an indirect table pointing to a member or group
    params: list[int]
    priority: int
    member: int | None = None
    group: int | None = None


class TableInfo(NamedTuple):
    name: str
    keys: list[tuple[str, str, int]]  # (name, match_type, bitwidth)
    actions: list[str]
    size: int
    const: bool
    default_const: bool
    support_timeout: bool = False


@dataclass
class ActionDef:
    """A compiled action: `run(p, data)` executes its primitives."""

    name: str
    id: int
    params: list[tuple[str, int]]  # (name, bitwidth)
    run: Callable[[PHV, Any], None]
    prims: list[tuple[Callable[[PHV, Any], Any], str]]  # for traced execution


@dataclass
class KeyField:
    name: str
    match_type: str  # exact, lpm, ternary, range, optional, valid
    width: int
    slot: int
    mask: int | None  # static key mask from the JSON


class Rec:
    """A stored entry with its lookup form and its direct counter and meter."""

    __slots__ = (
        "action",
        "checks",
        "const",
        "data",
        "handle",
        "key",
        "meter",
        "nbytes",
        "npackets",
        "priority",
        "ref",
        "timeout_ms",
        "ts",
    )

    def __init__(
        self,
        handle: int,
        key: tuple[Match, ...],
        action: ActionDef,
        data: list[int],
        priority: int,
        const: bool,
    ) -> None:
        self.handle = handle
        self.key = key
        self.action = action
        self.data = data
        self.priority = priority
        self.const = const
        self.nbytes = 0
        self.npackets = 0
        self.meter: Meter | None = None
        self.ref: tuple[str, int] | None = None  # ("member" | "group", id) in an indirect table
        self.checks: list[tuple[int, int, int]] = []  # (kind 0 mask / 1 range, a, b)
        self.timeout_ms = 0  # idle timeout (tables with support_timeout); 0: the entry never ages
        self.ts = 0.0  # clock() at the last hit, insert or TTL change


TSS_THRESHOLD = 16  # entries; below it a priority-ordered scan is faster


def _prefix_mask(width: int, plen: int) -> int:
    return ((1 << plen) - 1) << (width - plen) if plen else 0


class Table:
    """One table: its static description, its entries, its default action and its lookup."""

    def __init__(
        self,
        name: str,
        tid: int,
        keys: list[KeyField],
        actions: dict[str, ActionDef],
        max_size: int,
        with_counters: bool,
    ) -> None:
        self.name = name
        self.id = tid
        self.keys = keys
        self.actions = actions
        self.max_size = max_size
        self.with_counters = with_counters
        self.with_ageing = False  # JSON support_timeout: entries record their last hit
        self.clock: Callable[[], float] = time.monotonic  # seconds; the switch sets its own
        self.direct_meter: Any = None  # MeterArray bound to this table
        self.profile: Any = None  # ActionProfile of an indirect table
        self.const = False  # has JSON entries: immutable
        self.default_const = False
        self.default_entry_const = False
        self.initial_default: tuple[ActionDef, list[int]] | None = None
        self.default_action: ActionDef | None = None
        self.default_data: list[int] = []
        kinds = {k.match_type for k in keys}
        self.needs_priority = bool(kinds & {"ternary", "range", "optional"})
        nlpm = sum(1 for k in keys if k.match_type == "lpm")
        if self.needs_priority or nlpm > 1:
            self.mode = "generic"
        elif nlpm == 1:
            self.mode = "lpm"
        else:
            self.mode = "exact"
        self.lpm_index = next((i for i, k in enumerate(keys) if k.match_type == "lpm"), -1)
        self.key_fn = self._make_key_fn()
        self.next_handle = 0
        self.recs: dict[int, Rec] = {}
        self._exact: dict[tuple[int, ...], Rec] = {}
        self._lpm: dict[int, dict[tuple[int, ...], Rec]] = {}
        self._plens: list[int] = []
        self._probe: list[tuple[int, dict[tuple[int, ...], Rec]]] = []  # (prefix mask, entries), longest first
        self._generic: list[Rec] = []  # highest priority first, then oldest first
        self._gorder: list[tuple[int, int]] = []  # (-priority, handle), parallel to _generic
        self._gindex: dict[tuple[tuple[Match, ...], int], Rec] = {}
        # tuple space search for big ternary/lpm/optional tables: masks -> masked values -> entries, best first
        self._tss_ok = all(k.match_type != "range" for k in keys)
        self._tss: dict[tuple[int, ...], dict[tuple[int, ...], list[Rec]]] = {}

    # -- lookup -------------------------------------------------------------------------
    def _make_key_fn(self) -> Callable[[PHV], tuple[int, ...]]:
        parts = []
        for k in self.keys:
            m = (1 << k.width) - 1
            if k.mask is not None:
                m &= k.mask
            parts.append(f"p[{k.slot}] & {m:#x}")
        body = "(" + "".join(part + ", " for part in parts) + ")"
        namespace: dict[str, Any] = {}
        exec(compile(f"def key(p):\n    return {body}\n", f"<key {self.name}>", "exec"), namespace)
        fn: Callable[[PHV], tuple[int, ...]] = namespace["key"]
        return fn

    def lookup(self, key: tuple[int, ...]) -> Rec | None:
        if self.mode == "exact":
            return self._exact.get(key)
        if self.mode == "lpm":
            i = self.lpm_index
            v = key[i]
            if len(key) == 1:
                for mask, d in self._probe:
                    r = d.get((v & mask,))
                    if r is not None:
                        return r
                return None
            lk = list(key)
            for mask, d in self._probe:
                lk[i] = v & mask
                r = d.get(tuple(lk))
                if r is not None:
                    return r
            return None
        if self._tss_ok and len(self._generic) > TSS_THRESHOLD:
            best: Rec | None = None
            for masks, groups in self._tss.items():
                lst = groups.get(tuple([v & m for v, m in zip(key, masks, strict=True)]))
                if lst:
                    c = lst[0]
                    if (
                        best is None
                        or c.priority > best.priority
                        or (c.priority == best.priority and c.handle < best.handle)
                    ):
                        best = c
            return best
        for r in self._generic:
            for (kind, a, b), v in zip(r.checks, key, strict=True):
                if kind == 0:
                    if v & a != b:
                        break
                elif v < a or v > b:
                    break
            else:
                return r
        return None

    # -- entries ------------------------------------------------------------------------
    def check_action(self, action: str, params: Sequence[int]) -> ActionDef:
        a = self.actions.get(action)
        if a is None:
            raise InvalidArgument(f"table '{self.name}': action '{action}' is not one of its actions")
        if len(params) != len(a.params):
            raise InvalidArgument(
                f"table '{self.name}': action '{action}' takes {len(a.params)} parameters, got {len(params)}"
            )
        for (pname, width), value in zip(a.params, params, strict=True):
            if not isinstance(value, int) or value < 0 or value >> width:
                raise InvalidArgument(
                    f"table '{self.name}': action '{action}' parameter '{pname}' value {value!r} "
                    f"does not fit in {width} bits"
                )
        return a

    def normalize_key(self, key: Sequence[Match], priority: int) -> tuple[Match, ...]:
        where = f"table '{self.name}'"
        if len(key) != len(self.keys):
            raise InvalidArgument(f"{where}: key has {len(key)} fields, the table has {len(self.keys)}")
        if self.needs_priority and priority <= 0:
            raise InvalidArgument(f"{where}: entries need a priority > 0")
        if not self.needs_priority and priority != 0:
            raise InvalidArgument(f"{where}: entries must not have a priority")
        out: list[Match] = []
        for kf, m in zip(self.keys, key, strict=True):
            out.append(self._normalize_match(kf, m, where))
        return tuple(out)

    def _normalize_match(self, kf: KeyField, m: Any, where: str) -> Match:
        w = kf.width
        lim = 1 << w
        mt = "exact" if kf.match_type == "valid" else kf.match_type
        fw = f"{where}: key field '{kf.name}'"

        def fits(v: Any) -> int:
            if not isinstance(v, int) or v < 0 or v >= lim:
                raise InvalidArgument(f"{fw}: value {v!r} does not fit in {w} bits")
            return int(v)

        if mt == "exact":
            if isinstance(m, Exact):
                return Exact(fits(m.value))
        elif mt == "lpm":
            if isinstance(m, Lpm):
                v = fits(m.value)
                if not 0 <= m.prefix_len <= w:
                    raise InvalidArgument(f"{fw}: prefix length {m.prefix_len} out of range 0..{w}")
                # like BMv2's runtime API, host bits are masked off (P4Runtime's check is the server's)
                return Lpm(v & _prefix_mask(w, m.prefix_len), m.prefix_len)
            if isinstance(m, Exact):
                return Lpm(fits(m.value), w)
        elif mt == "ternary":
            if isinstance(m, Ternary):
                v, mask = fits(m.value), fits(m.mask)
                return Ternary(v & mask, mask)
            if isinstance(m, Exact):
                return Ternary(fits(m.value), lim - 1)
            if isinstance(m, Optional):  # a P4 optional key that the JSON calls ternary
                return Ternary(0, 0) if m.value is None else Ternary(fits(m.value), lim - 1)
        elif mt == "range":
            if isinstance(m, Range):
                lo, hi = fits(m.low), fits(m.high)
                if lo > hi:
                    raise InvalidArgument(f"{fw}: range low {lo} > high {hi}")
                return Range(lo, hi)
            if isinstance(m, Exact):
                v = fits(m.value)
                return Range(v, v)
        elif mt == "optional":
            if isinstance(m, Optional):
                return Optional(None if m.value is None else fits(m.value))
            if isinstance(m, Exact):
                return Optional(fits(m.value))
        raise InvalidArgument(f"{fw}: {mt} field cannot take {m!r}")

    def _checks(self, key: tuple[Match, ...]) -> list[tuple[int, int, int]]:
        checks = []
        for kf, m in zip(self.keys, key, strict=True):
            full = (1 << kf.width) - 1
            if isinstance(m, Exact):
                checks.append((0, full, m.value))
            elif isinstance(m, Lpm):
                pm = _prefix_mask(kf.width, m.prefix_len)
                checks.append((0, pm, m.value & pm))
            elif isinstance(m, Ternary):
                checks.append((0, m.mask, m.value & m.mask))
            elif isinstance(m, Range):
                checks.append((1, m.low, m.high))
            elif m.value is None:
                checks.append((0, 0, 0))
            else:
                checks.append((0, full, m.value))
        return checks

    def _index_key(self, key: tuple[Match, ...]) -> tuple[int, tuple[int, ...]]:
        """(prefix length, lookup tuple) for exact and lpm modes."""
        vals = []
        plen = 0
        for m in key:
            if isinstance(m, Lpm):
                plen = m.prefix_len
            vals.append(m.value if not isinstance(m, Range | Ternary) else 0)
        return plen, tuple(int(v or 0) for v in vals)

    def find(self, key: tuple[Match, ...], priority: int) -> Rec | None:
        if self.mode == "exact":
            return self._exact.get(self._index_key(key)[1])
        if self.mode == "lpm":
            plen, k = self._index_key(key)
            return self._lpm.get(plen, {}).get(k)
        return self._gindex.get((key, priority))

    def insert(
        self, key: tuple[Match, ...], action: ActionDef, data: list[int], priority: int, const: bool = False
    ) -> Rec:
        if self.find(key, priority) is not None:
            raise AlreadyExists(f"table '{self.name}': an entry with this key already exists")
        if len(self.recs) >= self.max_size:
            raise ResourceExhausted(f"table '{self.name}': full ({self.max_size} entries)")
        r = Rec(self.next_handle, key, action, data, priority, const)
        self.next_handle += 1
        r.checks = self._checks(key)
        r.ts = self.clock()
        if self.direct_meter is not None:
            r.meter = Meter()
        self.recs[r.handle] = r
        if self.mode == "exact":
            self._exact[self._index_key(key)[1]] = r
        elif self.mode == "lpm":
            plen, k = self._index_key(key)
            if plen not in self._lpm:
                self._lpm[plen] = {}
                self._set_plens()
            self._lpm[plen][k] = r
        else:
            # highest priority first; equal priorities keep insertion order
            order = (-priority, r.handle)
            pos = bisect.bisect_left(self._gorder, order)
            self._gorder.insert(pos, order)
            self._generic.insert(pos, r)
            self._gindex[(key, priority)] = r
            if self._tss_ok:
                masks = tuple(c[1] for c in r.checks)
                vals = tuple(c[2] for c in r.checks)
                lst = self._tss.setdefault(masks, {}).setdefault(vals, [])
                lst.append(r)
                lst.sort(key=lambda x: (-x.priority, x.handle))
        return r

    def get(self, handle: int) -> Rec:
        r = self.recs.get(handle)
        if r is None:
            raise NotFound(f"table '{self.name}': no entry with handle {handle}")
        return r

    def delete(self, handle: int) -> None:
        r = self.get(handle)
        if self.const:
            raise PermissionDenied(f"table '{self.name}' has const entries and cannot be modified")
        del self.recs[handle]
        if self.mode == "exact":
            del self._exact[self._index_key(r.key)[1]]
        elif self.mode == "lpm":
            plen, k = self._index_key(r.key)
            del self._lpm[plen][k]
            if not self._lpm[plen]:
                del self._lpm[plen]
                self._set_plens()
        else:
            pos = bisect.bisect_left(self._gorder, (-r.priority, r.handle))
            del self._gorder[pos]
            del self._generic[pos]
            del self._gindex[(r.key, r.priority)]
            if self._tss_ok:
                masks = tuple(c[1] for c in r.checks)
                vals = tuple(c[2] for c in r.checks)
                groups = self._tss[masks]
                groups[vals].remove(r)
                if not groups[vals]:
                    del groups[vals]
                    if not groups:
                        del self._tss[masks]

    def _set_plens(self) -> None:
        self._plens = sorted(self._lpm, reverse=True)
        width = self.keys[self.lpm_index].width if self.lpm_index >= 0 else 0
        self._probe = [(_prefix_mask(width, plen), self._lpm[plen]) for plen in self._plens]

    def clear(self) -> None:
        self.recs.clear()
        self._exact.clear()
        self._lpm.clear()
        self._plens = []
        self._probe = []
        self._generic = []
        self._gorder = []
        self._gindex = {}
        self._tss = {}

    def reset_default(self) -> None:
        if self.initial_default is not None:
            self.default_action, data = self.initial_default
            self.default_data = list(data)
        else:
            self.default_action = None
            self.default_data = []

    # -- ageing (BMv2's support_timeout) -------------------------------------------------------
    def _check_ageing(self) -> None:
        if not self.with_ageing:
            raise InvalidArgument(f"table '{self.name}' does not support idle timeouts (support_timeout is false)")

    def set_ttl(self, handle: int, ttl_ms: int) -> None:
        """Set an entry's idle timeout (0: never ages); its idle time starts again now, as in BMv2."""
        self._check_ageing()
        if not isinstance(ttl_ms, int) or ttl_ms < 0:
            raise InvalidArgument(f"table '{self.name}': idle timeout {ttl_ms!r} ms must be an integer >= 0")
        r = self.get(handle)
        r.timeout_ms = ttl_ms
        r.ts = self.clock()

    def _idle_ms(self, r: Rec, now_ms: int) -> int:
        return max(0, now_ms - int(r.ts * 1000))

    def ttl(self, handle: int) -> tuple[int, int]:
        """(idle timeout in ms, ms since the last hit) of an entry."""
        self._check_ageing()
        r = self.get(handle)
        return r.timeout_ms, self._idle_ms(r, int(self.clock() * 1000))

    def expired(self) -> list[int]:
        """Handles of the entries not hit for at least their timeout (whole milliseconds, as BMv2 counts)."""
        if not self.with_ageing:
            return []
        now_ms = int(self.clock() * 1000)
        return [r.handle for r in self.recs.values() if r.timeout_ms and self._idle_ms(r, now_ms) >= r.timeout_ms]

    def info(self) -> TableInfo:
        return TableInfo(
            self.name,
            [(k.name, k.match_type, k.width) for k in self.keys],
            list(self.actions),
            self.max_size,
            self.const,
            self.default_const,
            self.with_ageing,
        )
