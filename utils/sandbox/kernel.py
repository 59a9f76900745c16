"""A Jupyter kernel started inside the sandbox, driven from outside it.

The grader (nbgrader's process) keeps nbclient and talks to the kernel over
Unix sockets in the scratch folder (ZeroMQ's ``ipc`` transport: the kernel has
no network, not even loopback). Only the kernel runs in the sandbox, in its own
PID namespace, so it can neither see nor signal the grader, and its stdout and
stderr go nowhere (everything it prints still reaches the notebook as
messages). Interrupts travel as messages too: a signal to the sandbox's
process would stop at bubblewrap.
"""

from __future__ import annotations

from jupyter_client.manager import AsyncKernelManager
from traitlets import List, Unicode


class SandboxedKernelManager(AsyncKernelManager):
    prefix = List(Unicode(), help="The sandbox command (bwrap, prlimit) the kernel runs under.")

    def format_kernel_cmd(self, extra_arguments=None):
        return [*self.prefix, *super().format_kernel_cmd(extra_arguments)]

    @property
    def kernel_spec(self):
        spec = super().kernel_spec
        if spec is not None:
            spec.interrupt_mode = "message"
        return spec


def kernel_manager_class(prefix: list[str], runtime_dir: str) -> type[SandboxedKernelManager]:
    """A manager class bound to one sandbox (nbclient takes a class, not an instance)."""

    class Bound(SandboxedKernelManager):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.prefix = list(prefix)
            self.transport = "ipc"
            self.connection_file = f"{runtime_dir}/kernel-{id(self):x}.json"

    return Bound
