"""Which device is which: topology roles (a NIC per server, the ToR) and where to reach them over gRPC.

A topology file carries no gRPC addresses; the operator gives them as `NAME=HOST:PORT[@DEVICE_ID]`
(`server1=127.0.0.1:9559`, `tor=10.0.0.5:9559@2`), where NAME is a server's name (its NIC) or the ToR's
name. The P4Runtime device id defaults to 1. A deployment file (TOML) lists them once for all:

    [devices]
    server1 = "127.0.0.1:9559"                               # NAME = "HOST:PORT[@DEVICE_ID]"
    tor = { address = "127.0.0.1:9560", device_id = 2 }     # or a table
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from controller.entries import DeviceConfig, nic_config, tor_config
from controller.plan import Plan
from controller.runtime.errors import ControllerError
from controller.topology import Topology
from softp4.cliargs import did_you_mean

NAME_RE = re.compile(r"^[A-Za-z0-9_.-]+$")
DEVICE_ID_MAX = (1 << 64) - 1


@dataclass(frozen=True)
class DeviceAddress:
    name: str
    address: str  # a gRPC target, HOST:PORT
    device_id: int = 1

    def __str__(self) -> str:
        return f"{self.name} ({self.address}, device {self.device_id})"


def parse_device(text: str) -> DeviceAddress:
    """`NAME=HOST:PORT[@DEVICE_ID]` -> DeviceAddress; a malformed one raises ValueError saying why."""
    name, sep, rest = text.partition("=")
    if not sep or not name or not rest:
        raise ValueError(f"'{text}': expected NAME=HOST:PORT[@DEVICE_ID]")
    if not NAME_RE.match(name):
        raise ValueError(f"'{text}': device name '{name}' may hold letters, digits, '_', '.', '-' only")
    address, at, device = rest.partition("@")
    device_id = 1
    if at:
        if not device.isdigit() or int(device) > DEVICE_ID_MAX:
            raise ValueError(f"'{text}': device id '{device}' is not an integer from 0 to 2^64-1")
        device_id = int(device)
    host, colon, port = address.rpartition(":")
    if not colon or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"'{text}': address '{address}' is not HOST:PORT with a port from 1 to 65535")
    return DeviceAddress(name, address, device_id)


def load_deployment(path: str | Path) -> list[DeviceAddress]:
    """The devices of a deployment file; any mistake is a ControllerError naming the file and the key."""
    try:
        data = tomllib.loads(Path(path).read_text())
    except OSError as exc:
        raise ControllerError(f"{path}: {exc.strerror or exc}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ControllerError(f"{path}: not TOML: {exc}") from None
    unknown = sorted(set(data) - {"devices"})
    if unknown:
        raise ControllerError(f"{path}: unknown key '{unknown[0]}' (expected [devices])")
    table = data.get("devices")
    if not isinstance(table, dict) or not table:
        raise ControllerError(f"{path}: devices: expected a table of NAME = \"HOST:PORT[@DEVICE_ID]\"")
    result = []
    for name, value in table.items():
        where = f"{path}: devices.{name}"
        if isinstance(value, str):
            text = f"{name}={value}"
        elif isinstance(value, dict):
            extra = sorted(set(value) - {"address", "device_id"})
            if extra:
                raise ControllerError(f"{where}: unknown key '{extra[0]}' (expected address, device_id)")
            address, device_id = value.get("address"), value.get("device_id", 1)
            if not isinstance(address, str):
                raise ControllerError(f"{where}.address: expected a string HOST:PORT")
            if isinstance(device_id, bool) or not isinstance(device_id, int):
                raise ControllerError(f"{where}.device_id: expected an integer")
            text = f"{name}={address}@{device_id}"
        else:
            raise ControllerError(f"{where}: expected \"HOST:PORT[@DEVICE_ID]\" or a table")
        try:
            result.append(parse_device(text))
        except ValueError as exc:
            raise ControllerError(f"{where}: {exc}") from None
    return result


@dataclass(frozen=True)
class Role:
    """What one device of the topology runs and must hold."""

    name: str
    program: str  # "nic" or "tor"
    config: DeviceConfig


def roles(topology: Topology, plan: Plan) -> dict[str, Role]:
    """Every device of the topology by name: each server's NIC, then the ToR."""
    result = {name: Role(name, "nic", nic_config(nic)) for name, nic in plan.nics.items()}
    if topology.tor_name in result:
        raise ControllerError(
            f"topology '{topology.name}': server '{topology.tor_name}' has the ToR's name, so --device "
            f"{topology.tor_name}=... would be ambiguous; rename one of them"
        )
    result[topology.tor_name] = Role(topology.tor_name, "tor", tor_config(plan.tor))
    return result


def select(topology: Topology, plan: Plan, devices: list[DeviceAddress]) -> list[tuple[DeviceAddress, Role]]:
    """Pair every given device with its role; an unknown or repeated name is a `ControllerError`."""
    known = roles(topology, plan)
    seen: set[str] = set()
    result = []
    for device in devices:
        if device.name in seen:
            raise ControllerError(f"--device {device.name}: given twice")
        seen.add(device.name)
        role = known.get(device.name)
        if role is None:
            hint = did_you_mean(device.name, known)
            raise ControllerError(
                f"--device {device.name}: topology '{topology.name}' has no device '{device.name}'{hint}; "
                f"its devices are {', '.join(known)}"
            )
        result.append((device, role))
    return result
