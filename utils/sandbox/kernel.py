"""A Jupyter kernel started inside the sandbox, driven from outside it.

The grader (nbgrader's process) keeps nbclient and talks to the kernel over
Unix sockets in the scratch folder (ZeroMQ's ``ipc`` transport: the kernel has
no network, not even loopback). Only the kernel runs in the sandbox, in its own
PID namespace, so it can neither see nor signal the grader, and its stdout and
stderr go nowhere (everything it prints still reaches the notebook as
messages). Interrupts travel as messages too: a signal to the sandbox's
process would stop at bubblewrap. No message from the kernel may be larger than
``MAX_MESSAGE_BYTES``: the grader's process would otherwise take in whatever one
cell prints at once (one ``print`` of a 300 MB string cost it 860 MB of memory),
and a kernel may use gigabytes.
"""

from __future__ import annotations

import itertools
import os

import zmq
from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.manager import AsyncKernelManager
from traitlets import DottedObjectName, List, Type, Unicode

# The runner keeps no single output above MAX_CELL_OUTPUT (2 M characters) anyway; real
# outputs (a figure, a table) are far smaller.
MAX_MESSAGE_BYTES = 8 * 1024 * 1024

# The kernel's sockets are files named "<runtime folder>/k<n>-ipc-<port>", and the path
# of a Unix socket has room for 107 bytes. A longer one cannot even be connected to.
MAX_SOCKET_PATH = 107
SOCKET_NAME_ROOM = len("/k123456-ipc-99999")
_kernel_numbers = itertools.count(1)


def room_for_sockets(runtime_dir: str) -> bool:
    """Whether the kernel's socket paths fit under ``runtime_dir``."""
    return len(os.fsencode(runtime_dir)) + SOCKET_NAME_ROOM <= MAX_SOCKET_PATH


class BoundedKernelClient(AsyncKernelClient):
    """A client whose sockets refuse larger messages: ZeroMQ drops such a message with
    the connection (which is made again) before the grader reads any of it."""

    def _context_default(self):
        context = super()._context_default()
        context.setsockopt(zmq.MAXMSGSIZE, MAX_MESSAGE_BYTES)  # the default of every socket it makes
        return context


class SandboxedKernelManager(AsyncKernelManager):
    prefix = List(Unicode(), help="The sandbox command (bwrap, prlimit) the kernel runs under.")
    client_class = DottedObjectName("utils.sandbox.kernel.BoundedKernelClient")
    client_factory = Type(BoundedKernelClient, klass=AsyncKernelClient)

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
            self.connection_file = f"{runtime_dir}/k{next(_kernel_numbers)}.json"  # short: see MAX_SOCKET_PATH

    return Bound
