"""The hosts file of a stack over several hosts (testbed.containers.hosts), and what the compose file says
for it: every service placed, the cables between hosts external. No Docker needed."""

from __future__ import annotations

from pathlib import Path

import pytest
from docker_setup import ROOT

from controller import compose, topology
from testbed.containers import hosts, stack

RACK8 = topology.load(ROOT / "topologies" / "rack8.toml")
TWO = """port = 4790
mtu = 8950

[[host]]
name = "a"
address = "192.0.2.1"

[[host]]
name = "b"
address = "192.0.2.2"
docker = "ssh://root@b"
run = ["ssh", "root@b"]
place = ["server2", "server5"]
"""


def _file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "hosts.toml"
    path.write_text(text)
    return path


def test_a_hosts_file_places_switches_and_finds_the_cables_between_hosts(tmp_path: Path) -> None:
    spread = hosts.load(_file(tmp_path, TWO), RACK8)
    assert (spread.port, spread.vni, spread.mtu) == (4790, 7700, 8950)
    a, b = spread.hosts
    assert b.docker.argv == ["docker", "-H", "ssh://root@b"] and b.run == ["ssh", "root@b"]
    assert spread.host_of("server5") is b and spread.host_of("tor") is a and spread.host_of(compose.DEMO) is a
    crossing = hosts.Segments(spread, a.docker, "jetstream-1").between_hosts(RACK8)
    assert {name: (cable.number, x.name, y.name) for name, (cable, x, y) in crossing.items()} == {
        "uplink-server2": (3, "a", "b"), "pcie-acc2": (4, "b", "a"),  # the ToR and the demo stay on a
        "uplink-server5": (9, "a", "b"), "pcie-acc5": (10, "b", "a"),
    }


@pytest.mark.parametrize(("text", "said"), [
    (TWO.replace('"server5"', '"server9"'), "host 2: place: 'server9' is no switch of rack8"),
    (TWO.replace('"server5"', '"server2"'), "host 2: place: 'server2' is on host 'b' already"),
    (TWO.replace("mtu = 8950", 'mtu = "big"'), "mtu: 'big' is not a number"),
    (TWO.replace('address = "192.0.2.2"\n', ""), "host 2: address is missing"),
    (TWO.replace("port = 4790", "ports = 4790"), "unknown key 'ports'"),
    (TWO.split("[[host]]")[0] + "[[host]]" + TWO.split("[[host]]")[1], "give two or more [[host]] tables"),
    (TWO.replace("[[host]]\nname = \"a\"", "[[host]]\nname = \"a\"\nplace = [\"tor\"]"),
     "host 1: the first host holds every switch not placed elsewhere"),
    ("port = ", "hosts.toml: Invalid value"),
])
def test_a_bad_hosts_file_is_refused_in_one_located_line(tmp_path: Path, text: str, said: str) -> None:
    with pytest.raises(hosts.HostsError) as caught:
        hosts.load(_file(tmp_path, text), RACK8)
    assert said in str(caught.value) and str(caught.value).startswith(str(tmp_path / "hosts.toml"))
    assert "\n" not in str(caught.value)


def test_the_stack_runner_refuses_hosts_without_a_swarm_in_one_line(tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    assert stack.main(["compose", "--hosts", str(_file(tmp_path, TWO))]) == 1
    err = capsys.readouterr().err
    assert err == "stack: --hosts: only a swarm spans hosts (give `swarm`)\n"


def test_the_compose_file_places_every_service_and_names_the_cables_between_hosts() -> None:
    placement = {name: f"node.id == {'b' if name == 'server2' else 'a'}"
                 for name in [*compose.service_names(RACK8).values(), compose.DEMO]}
    text = compose.render(RACK8, "topologies/rack8.toml", placement=placement,
                          external={"uplink-server2": "jetstream-1-uplink-server2"})
    server2 = text.split("\n  server2:\n", 1)[1].split("\n  server3:\n", 1)[0]
    assert 'deploy: {endpoint_mode: dnsrr, placement: {constraints: ["node.id == b"]}}' in server2
    assert text.count('constraints: ["node.id == a"]') == 9  # the ToR, seven NICs and the demo
    assert "restart_policy: {condition: none}, placement:" in text  # the demo's deploy says both
    uplink = text.split("\n  uplink-server2:  #", 1)[1].splitlines()
    assert uplink[1:4] == ["    external: true", "    name: jetstream-1-uplink-server2",
                           "  uplink-server3:  # server3's NIC port 16 (uplink) <-> tor port 3"]
    pcie = text.split("\n  pcie-acc2:  #", 1)[1].splitlines()
    assert pcie[1] == "    driver: ${JETSTREAM_NETWORK_DRIVER:-bridge}"  # not external: the stack makes it


def test_the_hosts_file_of_docs_docker_md_loads(tmp_path: Path) -> None:
    text = (ROOT / "docs" / "docker.md").read_text().split("### A stack over several hosts", 1)[1]
    example = text.split("```toml\n", 1)[1].split("```", 1)[0]
    spread = hosts.load(_file(tmp_path, example), RACK8)
    assert [h.name for h in spread.hosts] == ["a", "b"] and spread.host_of("server2").name == "b"
    assert (spread.port, spread.vni, spread.mtu) == (4790, 7700, 1450)
