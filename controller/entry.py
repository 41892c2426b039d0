"""`jetstream-ctl`, the console script: a Ctrl-C while the controller's modules load ends in one line too."""

from __future__ import annotations

from softp4.cliargs import interrupt_ends_loading, interrupts_raise


def main() -> int:
    interrupt_ends_loading("jetstream-ctl")
    from controller.cli import main as cli_main

    interrupts_raise()
    return cli_main()
