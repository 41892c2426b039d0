"""Action profiles and selectors: members, groups, and the entries of indirect tables.

A group's members are given to the switch once per unit of weight, so a
member of weight 3 is picked three times as often.  What was written is kept
so a read gives back the members with their weights, in the order written.

One-shot action selection (an entry carrying an `action_profile_action_set`)
makes hidden members, and for a selector a hidden group, with ids from 2**31
up; reads of members and groups do not show them, a read of the entry gives
back the action set as written.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import grpc
from finsy.proto import p4r

from softp4.switch import errors as switch_errors
from softp4.switch.p4runtime.errors import (
    PI_INVALID,
    P4RuntimeError,
    invalid,
    not_found,
    pi_target_error,
    pi_unimplemented,
    unimplemented,
)
from softp4.switch.p4runtime.translate import P4InfoIndex, ProfileSpec, TableSpec

_INSERT, _MODIFY, _DELETE = p4r.Update.INSERT, p4r.Update.MODIFY, p4r.Update.DELETE
HIDDEN_BASE = 1 << 31  # ids of the members and groups made for one-shot entries


@dataclass(slots=True)
class OneShot:
    """The hidden objects behind one one-shot entry."""

    profile: str
    action_set: p4r.ActionProfileActionSet
    members: list[int] = field(default_factory=list)
    group: int | None = None


class ActionProfiles:
    """P4Runtime view of the action profiles of one pipeline."""

    def __init__(self, switch: Any, index: P4InfoIndex) -> None:
        self.sw = switch
        self.index = index
        self.groups: dict[tuple[int, int], p4r.ActionProfileGroup] = {}
        self.oneshots: dict[tuple[str, int], OneShot] = {}  # (table, entry handle) -> hidden objects
        self._next_hidden = HIDDEN_BASE

    def _profile(self, profile_id: int, where: str) -> ProfileSpec:
        spec = self.index.profiles.get(profile_id)
        if spec is None:
            raise invalid(f"{where}.action_profile_id {profile_id}: no such action profile")
        return spec

    def _profiles(self, profile_id: int, where: str) -> list[ProfileSpec]:
        if profile_id == 0:
            return list(self.index.profiles.values())
        return [self._profile(profile_id, where)]

    def _member_ids(self, profile: ProfileSpec) -> set[int]:
        """The ids of the members a client wrote (the hidden ones left out)."""
        return {m for m, _, _ in self.sw.act_prof_members(profile.name) if m < HIDDEN_BASE}

    def _check_mode(self, profile: ProfileSpec, one_shot: bool) -> None:
        """PI's programming modes: a profile is programmed either with members and groups or with one-shot
        action sets, not both at once (the mode may change while the profile is empty)."""
        if one_shot:
            other = bool(self._member_ids(profile)) or any(p == profile.id for p, _ in self.groups)
        else:
            other = any(shot.profile == profile.name for shot in self.oneshots.values())
        if other:
            raise invalid(PI_INVALID["mixed_selector_modes"])

    # -- members --------------------------------------------------------------------------------------
    def write_member(self, kind: int, member: p4r.ActionProfileMember) -> None:
        where = "action_profile_member"
        profile = self._profile(member.action_profile_id, where)
        self._check_mode(profile, one_shot=False)
        if kind == _DELETE:
            try:
                self.sw.act_prof_member_delete(profile.name, member.member_id)
            except switch_errors.InvalidArgument as exc:  # still in use by an entry or a group
                raise pi_target_error("member_delete", str(exc)) from None
            return
        if not member.HasField("action"):
            raise invalid(f"{where}.action is missing")
        name: str = ""
        params: list[int] = []
        for table_id in profile.table_ids:  # the action must suit every table the profile implements
            name, params = self.index.action(
                self.index.tables[table_id], member.action, f"{where}.action", default=None
            )
        if kind == _INSERT:
            self.sw.act_prof_member_add(profile.name, member.member_id, name, params)
        elif kind == _MODIFY:
            self.sw.act_prof_member_modify(profile.name, member.member_id, name, params)
        else:
            raise invalid(f"update.type {kind}: must be INSERT, MODIFY or DELETE")

    def read_members(self, member: p4r.ActionProfileMember) -> Iterator[p4r.ActionProfileMember]:
        for profile in self._profiles(member.action_profile_id, "action_profile_member"):
            for member_id, action, params in self.sw.act_prof_members(profile.name):
                if member.member_id in (0, member_id) and member_id < HIDDEN_BASE:
                    yield p4r.ActionProfileMember(
                        action_profile_id=profile.id,
                        member_id=member_id,
                        action=self.index.action_message(action, params),
                    )

    # -- groups ---------------------------------------------------------------------------------------
    def write_group(self, kind: int, group: p4r.ActionProfileGroup) -> None:
        where = "action_profile_group"
        profile = self._profile(group.action_profile_id, where)
        if not profile.with_selector:
            raise invalid(f"{where}: action profile '{profile.name}' has no selector, so it has no groups")
        self._check_mode(profile, one_shot=False)
        key = (profile.id, group.group_id)
        exists = key in self.groups
        if kind == _DELETE:
            if not exists:
                raise not_found(f"{where}: no group {group.group_id} in '{profile.name}'")
            self.sw.act_prof_group_delete(profile.name, group.group_id)
            del self.groups[key]
            return
        if kind == _INSERT and exists:
            raise P4RuntimeError(
                grpc.StatusCode.ALREADY_EXISTS, f"{where}: group {group.group_id} exists in '{profile.name}'"
            )
        if kind == _MODIFY and not exists:
            raise not_found(f"{where}: no group {group.group_id} in '{profile.name}'")
        if kind not in (_INSERT, _MODIFY):
            raise invalid(f"update.type {kind}: must be INSERT, MODIFY or DELETE")
        member_ids: list[int] = []
        seen: set[int] = set()
        for i, m in enumerate(group.members):
            if m.member_id in seen:
                raise invalid(f"{where}.members[{i}]: member {m.member_id} given twice")
            seen.add(m.member_id)
            if m.WhichOneof("watch_kind") is not None:
                raise unimplemented(f"{where}.members[{i}]: watch ports are not supported")
            weight = m.weight or 1
            if weight < 0:
                raise invalid(f"{where}.members[{i}].weight {m.weight}: must be positive")
            member_ids += [m.member_id] * weight
        limit = group.max_size or profile.max_group_size
        if profile.max_group_size and group.max_size > profile.max_group_size:
            raise invalid(
                f"{where}.max_size {group.max_size}: larger than the max_group_size {profile.max_group_size} "
                f"of '{profile.name}'"
            )
        if limit and len(member_ids) > limit:
            raise P4RuntimeError(
                grpc.StatusCode.RESOURCE_EXHAUSTED,
                f"{where}: {len(member_ids)} members (weights included) exceed the group size {limit}",
            )
        self.sw.act_prof_group_set(profile.name, group.group_id, member_ids)
        kept = p4r.ActionProfileGroup()
        kept.CopyFrom(group)
        self.groups[key] = kept

    def read_groups(self, group: p4r.ActionProfileGroup) -> Iterator[p4r.ActionProfileGroup]:
        for profile in self._profiles(group.action_profile_id, "action_profile_group"):
            for (profile_id, group_id), kept in sorted(self.groups.items()):
                if profile_id == profile.id and group.group_id in (0, group_id):
                    yield kept

    # -- entries of indirect tables ---------------------------------------------------------------------
    def reference(
        self, table: TableSpec, entry_action: p4r.TableAction, where: str
    ) -> tuple[dict[str, int], OneShot | None]:
        """The switch's member= or group= argument for an entry of an indirect table.

        A one-shot action set makes its hidden objects now: `bind` them to the entry once it
        exists, or `release` them if it could not be written.
        """
        kind = entry_action.WhichOneof("type")
        profile = self.index.profiles[table.profile_id]
        if kind == "action_profile_member_id":
            self._check_mode(profile, one_shot=False)
            if entry_action.action_profile_member_id not in self._member_ids(profile):
                raise invalid(
                    f"{PI_INVALID['member_or_group']}: {where}.action_profile_member_id "
                    f"{entry_action.action_profile_member_id}: no such member in '{profile.name}'"
                )
            return {"member": entry_action.action_profile_member_id}, None
        if kind == "action_profile_group_id":
            if not profile.with_selector:
                raise invalid(f"{where}.action_profile_group_id: '{profile.name}' has no selector, so no groups")
            self._check_mode(profile, one_shot=False)
            if (profile.id, entry_action.action_profile_group_id) not in self.groups:
                raise invalid(
                    f"{PI_INVALID['member_or_group']}: {where}.action_profile_group_id "
                    f"{entry_action.action_profile_group_id}: no such group in '{profile.name}'"
                )
            return {"group": entry_action.action_profile_group_id}, None
        if kind == "action_profile_action_set":
            self._check_mode(profile, one_shot=True)
            return self._one_shot(table, profile, entry_action.action_profile_action_set, f"{where}.{kind}")
        if kind is None:
            raise invalid(f"{where}: the action is missing")
        raise invalid(
            f"{where}.action: table '{table.name}' is indirect (implemented by '{profile.name}'): "
            "give a member or group id"
        )

    def _one_shot(
        self, table: TableSpec, profile: ProfileSpec, action_set: p4r.ActionProfileActionSet, where: str
    ) -> tuple[dict[str, int], OneShot]:
        actions = list(action_set.action_profile_actions)
        if not actions:
            raise pi_unimplemented("empty_oneshot")
        if not profile.with_selector and (len(actions) > 1 or actions[0].weight > 1):
            raise invalid(f"{where}: '{profile.name}' has no selector: give exactly one action of weight 1")
        resolved = []
        for i, one in enumerate(actions):
            if one.WhichOneof("watch_kind") is not None:
                raise unimplemented(f"{where}.action_profile_actions[{i}]: watch ports are not supported")
            if one.weight < 0:
                raise invalid(f"{where}.action_profile_actions[{i}].weight {one.weight}: must be positive")
            name, params = self.index.action(
                table, one.action, f"{where}.action_profile_actions[{i}].action", default=False
            )
            resolved.append((name, params, one.weight or 1))
        if profile.with_selector and profile.max_group_size and sum(w for _, _, w in resolved) > profile.max_group_size:
            raise P4RuntimeError(
                grpc.StatusCode.RESOURCE_EXHAUSTED,
                f"{where}: the weights add up to more than the max_group_size {profile.max_group_size}",
            )
        kept = p4r.ActionProfileActionSet()
        kept.CopyFrom(action_set)
        shot = OneShot(profile.name, kept)
        try:
            for name, params, _ in resolved:
                member_id = self._hidden_id()
                self.sw.act_prof_member_add(profile.name, member_id, name, params)
                shot.members.append(member_id)
            if not profile.with_selector:
                return {"member": shot.members[0]}, shot
            group_id = self._hidden_id()
            weighted = [m for m, (_, _, w) in zip(shot.members, resolved, strict=True) for _ in range(w)]
            self.sw.act_prof_group_set(profile.name, group_id, weighted)
            shot.group = group_id
        except Exception:
            self.release(shot)
            raise
        return {"group": group_id}, shot

    def _hidden_id(self) -> int:
        self._next_hidden += 1
        return self._next_hidden

    def bind(self, table: str, handle: int, shot: OneShot | None) -> None:
        """Record the one-shot objects of an entry (None: the entry has none now), freeing old ones."""
        old = self.oneshots.pop((table, handle), None)
        if shot is not None:
            self.oneshots[(table, handle)] = shot
        if old is not None:
            self.release(old)

    def release(self, shot: OneShot) -> None:
        """Delete the hidden objects of an entry that no longer uses them."""
        if shot.group is not None:
            self.sw.act_prof_group_delete(shot.profile, shot.group)
        for member_id in shot.members:
            self.sw.act_prof_member_delete(shot.profile, member_id)

    def action_set(self, table: str, handle: int) -> p4r.ActionProfileActionSet | None:
        shot = self.oneshots.get((table, handle))
        return None if shot is None else shot.action_set
