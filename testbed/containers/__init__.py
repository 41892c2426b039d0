"""The testbed's switches as Docker containers: `make run TARGET=bmv2 DOCKER=1` (docs/docker.md).

    engine.py    the `docker` command: a daemon to talk to (started when it is not running and we may),
                 the labels every object of a run carries, and removing them (ours, or a dead run's)
    images.py    the images a run uses: the public one when it is here or can be pulled, else a local
                 stand-in built once (a Debian base from mmdebstrap, BMv2 and p4c from P4REF, the project)
    switches.py  the seam into testbed.processes: every switch of the rack a container that shares the
                 testbed's network namespace, so it binds the same veth cables as a switch process
    compile.py   p4c-bm2-ss (or softp4's compiler) run in its image, for `make build DOCKER=1`
    accelerators.py  in a compose stack's `demo` service: the emulators on the PCIe cable networks, the
                 switches programmed over P4Runtime (at p4runtime-SERVICE), the rack scenario checked
                 (controller/compose.py writes the compose file: a service per switch, a network per cable)
    stack.py     a topology's compose file run to its end, with docker-compose or on a Docker Swarm
    hosts.py     a stack over several hosts: the hosts file, the cables between hosts as VXLAN segments
    twonode.py   what a cable between two Docker engines carries (a second engine in a namespace), and
                 rack8's stack over the two (--rack)
"""
