"""A per-kernel relay between a sandboxed kernel and the grader: no message over a limit passes.

Why a process of its own. ZeroMQ delivers a multipart message whole or not at all: its
receiving side holds every part of a message before the application can read the first
(the parts queue invisibly until the last arrives). So a kernel that sends one message
of many parts makes the process that receives it hold all of them, and no check in that
process can look before it holds them. ZeroMQ's socket options do not bound that:
``MAXMSGSIZE`` limits each *part* (a peer sending a larger part is disconnected, but 24
parts of 16 MiB each pass), and ``RCVHWM`` counts *messages* (one message of any number
of parts is one). Measured with ``bench/bench_flood.py``: one message of 24 x 16 MiB
parts took the grader, reading the kernel directly with both options set, to 547 MiB.

So the grader never reads a kernel directly. Each kernel gets this relay: a small
process (pyzmq only) under its own address-space limit (``RLIMIT_AS``), that connects to
the kernel's five sockets and offers the grader five of its own in a folder the kernel
cannot see. It reads every message from the kernel whole (ZeroMQ's way) and passes on
only messages of at most ``max_message`` bytes in all their parts. A larger message ends
the relay, and with it the grader's connections: the grader sees its IOPub connection
drop while the kernel still runs, and replaces the kernel with the cell's error "sent one
message of more than ... bytes" (:meth:`gmm_grader.sandbox.SandboxKernelManager.message_refused`).
A message too large even for the relay's address space cannot grow it either: ZeroMQ's
allocation fails, the connection to the kernel drops, and the relay ends the same way
(so does a single part over ``max_message``: ``MAXMSGSIZE`` on the relay's sockets).

The grader therefore holds at most a few messages of ``max_message`` bytes per socket
(``receive_queue`` of them, ZeroMQ's ``RCVHWM``), whatever the kernel sends. The relay
passes messages on with back-pressure, never by dropping: while the grader has not read
what the relay sent, the relay reads nothing more from that socket of the kernel, whose
own queue then fills (inside its sandbox's limits), exactly as when the grader read the
kernel directly. Honest notebooks see the same messages in the same order.

Run as ``python -m gmm_grader.relay KERNEL_IP RELAY_IP PORTS_JSON MAX_MESSAGE QUEUE``
(:func:`command` builds it, with its ``prlimit``); the exit status says why it ended.
"""

from __future__ import annotations

import json
import os
import shutil
import sys

import zmq

#: the kernel's sockets, as named in a connection file (``<name>_port``)
CHANNELS = ("shell", "iopub", "stdin", "control", "hb")
#: exit status: the kernel sent a message of more than ``max_message`` bytes in all
REFUSED = 3
#: exit status: a connection to the kernel dropped (the kernel ended, or ZeroMQ refused a
#: part over MAXMSGSIZE or one it could not allocate)
KERNEL_LOST = 4
#: exit status: the grader that started the relay is gone
ORPHANED = 5
#: bytes of address space the relay needs besides the messages it holds (measured: Python
#: with pyzmq and a context of ten sockets maps 37 MB with MALLOC_ARENA_MAX=1, as it runs)
BASE_ADDRESS_SPACE = 96 * 2**20


def address_space(max_message: int) -> int:
    """The relay's RLIMIT_AS: its own needs and a few messages of ``max_message`` bytes.

    It holds one message it is reading, one waiting for the grader and one in each of
    its sockets' outgoing queues (one message each), with room for a second on its way.
    """
    return BASE_ADDRESS_SPACE + 4 * max_message


def command(kernel_ip: str, relay_ip: str, ports: dict[str, int], max_message: int, queue: int) -> list[str]:
    """The command that runs a relay under its address-space limit (``prlimit``)."""
    if max_message <= 0:
        raise ValueError(f"max_message must be positive, got {max_message}")
    missing = [name for name in CHANNELS if name not in ports]
    if missing:
        raise ValueError(f"ports: missing {', '.join(missing)}")
    return [
        shutil.which("prlimit") or "prlimit",
        f"--as={address_space(max_message)}",
        "--core=0",
        "--",
        sys.executable,
        "-m",
        "gmm_grader.relay",
        kernel_ip,
        relay_ip,
        json.dumps({name: int(ports[name]) for name in CHANNELS}),
        str(max_message),
        str(queue),
    ]


def _pair(context: zmq.Context, name: str, max_message: int, queue: int) -> tuple[zmq.Socket, zmq.Socket]:
    """(the socket offered to the grader, the socket connected to the kernel) for one channel."""
    if name == "iopub":  # subscriptions travel up from the grader, messages down from the kernel
        front, back = context.socket(zmq.XPUB), context.socket(zmq.XSUB)
        front.setsockopt(zmq.XPUB_NODROP, 1)  # a full queue says so (EAGAIN) instead of dropping
    else:  # shell, stdin, control (ROUTER in the kernel) and hb (its echo): envelopes pass through
        front, back = context.socket(zmq.ROUTER), context.socket(zmq.DEALER)
        front.setsockopt(zmq.ROUTER_MANDATORY, 1)  # EAGAIN when full; an unknown peer is an error
    for socket in (front, back):
        socket.setsockopt(zmq.SNDHWM, queue)
        socket.setsockopt(zmq.RCVHWM, queue)
        socket.setsockopt(zmq.LINGER, 0)
    back.setsockopt(zmq.MAXMSGSIZE, max_message)  # one part alone over the limit: never allocated
    return front, back


def run(kernel_ip: str, relay_ip: str, ports: dict[str, int], max_message: int, queue: int = 1) -> int:
    """Relay until the kernel's side ends or sends too much; the exit status (:data:`REFUSED`...)."""
    context = zmq.Context(1)
    try:
        return _relay(context, kernel_ip, relay_ip, ports, max_message, queue)
    finally:
        context.destroy(linger=0)


def _relay(context, kernel_ip, relay_ip, ports, max_message, queue) -> int:
    poller = zmq.Poller()
    # a direction: (source, destination, counted); held: the message waiting for its destination
    directions, held, monitors = [], {}, []
    for name in CHANNELS:
        front, back = _pair(context, name, max_message, queue)
        front.bind(f"ipc://{relay_ip}-{ports[name]}")
        monitor = back.get_monitor_socket(zmq.EVENT_DISCONNECTED)
        back.connect(f"ipc://{kernel_ip}-{ports[name]}")
        directions += [(back, front, True), (front, back, False)]
        monitors.append(monitor)
    for monitor in monitors:
        poller.register(monitor, zmq.POLLIN)
    parent = os.getppid()
    while True:
        if os.getppid() != parent:  # the grader was killed: nothing to relay to
            return ORPHANED
        for direction in directions:  # read from a source only when nothing of it waits
            poller.register(direction[0], 0 if direction in held else zmq.POLLIN)
        events = dict(poller.poll(10 if held else 1000))
        if any(monitor in events for monitor in monitors):
            return KERNEL_LOST
        for direction in directions:
            source, destination, counted = direction
            if direction not in held and events.get(source, 0) & zmq.POLLIN:
                parts = source.recv_multipart(copy=False)
                if counted and sum(len(part) for part in parts) > max_message:
                    return REFUSED
                held[direction] = parts
            if direction in held:
                try:
                    destination.send_multipart(held[direction], flags=zmq.NOBLOCK, copy=False)
                except zmq.Again:  # the reader is behind: hold it, read nothing more from source
                    continue
                except zmq.ZMQError as exc:  # ROUTER: that peer is gone; as ZeroMQ would, drop it
                    if exc.errno != zmq.EHOSTUNREACH:
                        raise
                del held[direction]


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 5:
        print(__doc__.strip().splitlines()[-2], file=sys.stderr)
        return 2
    kernel_ip, relay_ip, ports, max_message, queue = args
    return run(kernel_ip, relay_ip, json.loads(ports), int(max_message), int(queue))


if __name__ == "__main__":
    sys.exit(main())
