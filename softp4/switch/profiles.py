"""Action profiles and action selectors: members (action + data) and groups of members."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from softp4.switch.errors import AlreadyExists, InvalidArgument, NotFound, ResourceExhausted
from softp4.switch.packet import PHV
from softp4.switch.tables import ActionDef


class ActionProfile:
    """`action_profile(size)` or `action_selector(algo, size, width)` shared by indirect tables."""

    def __init__(self, name: str, max_size: int, selector: Callable[[PHV], int] | None) -> None:
        self.name = name
        self.max_size = max_size
        self.selector = selector  # hash of the selector inputs, for groups
        self.actions: dict[str, ActionDef] = {}  # the actions of the tables using this profile
        self.members: dict[int, tuple[ActionDef, list[int]]] = {}
        self.groups: dict[int, list[int]] = {}
        self.refs: dict[tuple[str, int], int] = {}  # ("member" | "group", id) -> entries pointing to it

    def _action(self, action: str, params: Sequence[int]) -> ActionDef:
        a = self.actions.get(action)
        if a is None:
            raise InvalidArgument(f"action profile '{self.name}': action '{action}' is not one of its actions")
        if len(params) != len(a.params):
            raise InvalidArgument(
                f"action profile '{self.name}': action '{action}' takes {len(a.params)} parameters, got {len(params)}"
            )
        for (pname, width), value in zip(a.params, params, strict=True):
            if not isinstance(value, int) or value < 0 or value >> width:
                raise InvalidArgument(
                    f"action profile '{self.name}': parameter '{pname}' value {value!r} does not fit in {width} bits"
                )
        return a

    def member_add(self, member_id: int, action: str, params: Sequence[int]) -> None:
        if member_id in self.members:
            raise AlreadyExists(f"action profile '{self.name}': member {member_id} exists")
        if len(self.members) >= self.max_size:
            raise ResourceExhausted(f"action profile '{self.name}': full ({self.max_size} members)")
        self.members[member_id] = (self._action(action, params), list(params))

    def member_modify(self, member_id: int, action: str, params: Sequence[int]) -> None:
        if member_id not in self.members:
            raise NotFound(f"action profile '{self.name}': no member {member_id}")
        self.members[member_id] = (self._action(action, params), list(params))

    def member_delete(self, member_id: int) -> None:
        if member_id not in self.members:
            raise NotFound(f"action profile '{self.name}': no member {member_id}")
        if self.refs.get(("member", member_id)) or any(member_id in g for g in self.groups.values()):
            raise InvalidArgument(f"action profile '{self.name}': member {member_id} is in use")
        del self.members[member_id]

    def group_set(self, group_id: int, member_ids: Sequence[int]) -> None:
        if self.selector is None:
            raise InvalidArgument(f"action profile '{self.name}' has no selector: groups are not supported")
        for m in member_ids:
            if m not in self.members:
                raise NotFound(f"action profile '{self.name}': no member {m}")
        self.groups[group_id] = list(member_ids)

    def group_delete(self, group_id: int) -> None:
        if group_id not in self.groups:
            raise NotFound(f"action profile '{self.name}': no group {group_id}")
        if self.refs.get(("group", group_id)):
            raise InvalidArgument(f"action profile '{self.name}': group {group_id} is in use")
        del self.groups[group_id]

    def check_ref(self, kind: str, ref: int) -> None:
        if kind == "member" and ref not in self.members:
            raise NotFound(f"action profile '{self.name}': no member {ref}")
        if kind == "group" and ref not in self.groups:
            raise NotFound(f"action profile '{self.name}': no group {ref}")

    def pick(self, p: PHV, kind: str, ref: int) -> tuple[ActionDef, list[int]] | None:
        """The member an entry designates for this packet (None: an empty or missing group)."""
        if kind == "member":
            return self.members.get(ref)
        mids = self.groups.get(ref)
        if not mids or self.selector is None:
            return None
        return self.members.get(mids[self.selector(p) % len(mids)])

    def reset(self) -> None:
        self.members.clear()
        self.groups.clear()
        self.refs.clear()
