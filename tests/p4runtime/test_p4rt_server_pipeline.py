"""Capabilities and pipeline configs over gRPC, with finsy's P4Client."""

from __future__ import annotations

import asyncio
import json

from finsy.grpcutil import GRPCStatusCode
from finsy.p4client import P4ClientError
from finsy.proto import p4i, p4r
from p4rt_harness import DEVICE_ID, Client, election, fixture_json, fixture_p4info, running_server

_Get = p4r.GetForwardingPipelineConfigRequest
_Set = p4r.SetForwardingPipelineConfigRequest


async def _error(coro: object) -> P4ClientError:
    try:
        await coro  # type: ignore[misc]
    except P4ClientError as error:
        return error
    raise AssertionError("the request succeeded")


def _wrapped(json_text: bytes) -> bytes:
    length = len(json_text)
    varint = bytearray()
    while True:
        byte, length = length & 0x7F, length >> 7
        varint.append(byte | (0x80 if length else 0))
        if not length:
            break
    return b"\x08\x01" + b"\x1a" + bytes(varint) + json_text


def test_capabilities_and_no_pipeline() -> None:
    async def main(address: str) -> None:
        async with Client(address) as client:
            reply = await client.p4.request(p4r.CapabilitiesRequest(device_id=DEVICE_ID))
            assert reply.p4runtime_api_version == "1.3.0"
            error = await _error(client.p4.request(_Get(device_id=DEVICE_ID)))
            assert error.code == GRPCStatusCode.FAILED_PRECONDITION and error.is_pipeline_missing
            await client.arbitrate(1)
            # checked in this order: device, primary, pipeline
            # a write to another device: PERMISSION_DENIED, a read of it: no pipeline there (PI's answers)
            assert (await _error(client.write(device_id=5, election_id=99))).code == GRPCStatusCode.PERMISSION_DENIED
            error = await _error(client.read(p4r.Entity(table_entry=p4r.TableEntry()), device_id=5))
            assert error.code == GRPCStatusCode.FAILED_PRECONDITION and error.is_pipeline_missing
            assert (await _error(client.write(election_id=99))).code == GRPCStatusCode.PERMISSION_DENIED
            error = await _error(client.write())
            assert error.code == GRPCStatusCode.FAILED_PRECONDITION
            assert error.message == "No forwarding pipeline config set for this device"
            error = await _error(client.read(p4r.Entity(table_entry=p4r.TableEntry())))
            assert error.code == GRPCStatusCode.FAILED_PRECONDITION

    with running_server() as running:
        asyncio.run(main(running.address))


def test_push_and_get_every_response_type() -> None:
    async def main(address: str) -> None:
        async with Client(address) as client:
            await client.arbitrate(1)
            await client.set_pipeline(cookie=0xABC)
            get = client.p4.request
            everything = (await get(_Get(device_id=DEVICE_ID, response_type=_Get.ALL))).config
            assert everything.p4info == fixture_p4info()
            assert everything.p4_device_config == fixture_json()
            assert everything.cookie.cookie == 0xABC
            cookie = (await get(_Get(device_id=DEVICE_ID, response_type=_Get.COOKIE_ONLY))).config
            assert cookie == p4r.ForwardingPipelineConfig(cookie=p4r.ForwardingPipelineConfig.Cookie(cookie=0xABC))
            info = (await get(_Get(device_id=DEVICE_ID, response_type=_Get.P4INFO_AND_COOKIE))).config
            assert info.p4info == fixture_p4info() and not info.p4_device_config
            device = (await get(_Get(device_id=DEVICE_ID, response_type=_Get.DEVICE_CONFIG_AND_COOKIE))).config
            assert device.p4_device_config == fixture_json() and not device.HasField("p4info")
            # device_id 0 is accepted as this device
            assert (await get(_Get(device_id=0, response_type=_Get.COOKIE_ONLY))).config.cookie.cookie == 0xABC
            error = await _error(get(_Get(device_id=7)))
            assert error.code == GRPCStatusCode.NOT_FOUND

    with running_server() as running:
        asyncio.run(main(running.address))


def test_legacy_wrapper_is_accepted_and_returned_as_pushed() -> None:
    async def main(address: str) -> None:
        async with Client(address) as client:
            await client.arbitrate(1)
            wrapped = _wrapped(fixture_json())
            await client.set_pipeline(device_config=wrapped)
            config = (await client.p4.request(_Get(device_id=DEVICE_ID))).config
            assert config.p4_device_config == wrapped
            assert not config.HasField("cookie")

    with running_server() as running:
        asyncio.run(main(running.address))
        assert "ingress.dmac" in running.switch.objects["tables"]


def test_verify_save_commit_and_bad_configs() -> None:
    async def main(address: str, running: object) -> None:
        async with Client(address) as client:
            await client.arbitrate(1)
            # COMMIT with nothing saved
            error = await _error(client.set_pipeline(action=_Set.COMMIT))
            assert (error.code, error.message) == (
                GRPCStatusCode.UNKNOWN,
                "Error in second phase of device update: action COMMIT: no config saved by VERIFY_AND_SAVE",
            )
            await client.set_pipeline(action=_Set.VERIFY)
            await client.set_pipeline(action=_Set.VERIFY_AND_SAVE, cookie=5)
            error = await _error(client.p4.request(_Get(device_id=DEVICE_ID)))
            assert error.code == GRPCStatusCode.FAILED_PRECONDITION  # saved, not committed
            await client.set_pipeline(action=_Set.COMMIT)
            config = (await client.p4.request(_Get(device_id=DEVICE_ID))).config
            assert config.cookie.cookie == 5

            error = await _error(client.set_pipeline(action=_Set.RECONCILE_AND_COMMIT))
            assert error.code == GRPCStatusCode.UNKNOWN and error.message.startswith("Error when reconciling config")

            error = await _error(client.set_pipeline(device_config=b"{not json"))
            assert error.code == GRPCStatusCode.INVALID_ARGUMENT
            assert error.message.startswith("config.p4_device_config: ")

            p4info = fixture_p4info()
            p4info.tables[0].preamble.name = "ingress.nosuch"
            error = await _error(client.set_pipeline(p4info))
            assert error.code == GRPCStatusCode.INVALID_ARGUMENT
            assert error.message == "config.p4info: table 'ingress.nosuch' has no counterpart in the device config"
            p4info = fixture_p4info()
            p4info.tables[2].match_fields[0].bitwidth = 64
            error = await _error(client.set_pipeline(p4info))
            assert error.message == (
                "config.p4info: table 'ingress.routes': match field 'dst' is lpm 64 bits, "
                "the device config's key 'dst' is lpm 48 bits"
            )
            # a @p4runtime_translation type may be wider in the P4Info than in the device config
            p4info = fixture_p4info()
            p4info.tables[2].match_fields[0].bitwidth = 64
            p4info.tables[2].match_fields[0].type_name.name = "mac_t"
            await client.set_pipeline(p4info, action=_Set.VERIFY)
            p4info = fixture_p4info()
            p4info.tables[2].match_fields[0].match_type = p4i.MatchField.MatchType.EXACT
            error = await _error(client.set_pipeline(p4info))
            assert error.message.endswith(
                "match field 'dst' is exact 48 bits, the device config's key 'dst' is lpm 48 bits"
            )
            p4info = fixture_p4info()
            del p4info.tables[3].match_fields[2]
            error = await _error(client.set_pipeline(p4info))
            assert error.message == "config.p4info: table 'ingress.acl' has 2 match fields, the device config's has 3"
            p4info = fixture_p4info()
            p4info.tables[0].action_refs.add(id=16777219)
            error = await _error(client.set_pipeline(p4info))
            assert error.message == (
                "config.p4info: table 'ingress.smac': action 'ingress.forward' is not an action of the device "
                "config's table"
            )
            # the failed pushes left the committed pipeline in place
            config = (await client.p4.request(_Get(device_id=DEVICE_ID))).config
            assert config.cookie.cookie == 5 and config.p4info == fixture_p4info()

            broken = json.loads(fixture_json())
            del broken["pipelines"]
            error = await _error(client.set_pipeline(device_config=json.dumps(broken).encode(), action=_Set.VERIFY))
            assert error.code == GRPCStatusCode.INVALID_ARGUMENT

            # only the primary may push
            request = _Set(device_id=DEVICE_ID, election_id=election(99), action=_Set.VERIFY_AND_COMMIT)
            error = await _error(client.p4.request(request))
            assert error.code == GRPCStatusCode.PERMISSION_DENIED

    with running_server() as running:
        asyncio.run(main(running.address, running))
