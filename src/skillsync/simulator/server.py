"""Running the simulator under uvicorn, in the foreground or in a thread."""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn

from skillsync.simulator.app import ConnectionDropped, Simulator


class HideDroppedConnections(logging.Filter):
    """Keep uvicorn from logging each injected dropped connection as a crash."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        return not isinstance(error, ConnectionDropped)


logging.getLogger("uvicorn.error").addFilter(HideDroppedConnections())


def make_server(app: Simulator, host: str, port: int) -> uvicorn.Server:
    """A uvicorn server for the app, quiet but for its own errors."""
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
        lifespan="off",
        timeout_graceful_shutdown=1,
    )
    return uvicorn.Server(config)


def serve(app: Simulator, host: str, port: int) -> None:
    """Serve until interrupted."""
    make_server(app, host, port).run()


def free_port(host: str) -> int:
    """A port on `host` that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind((host, 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def running_server(
    app: Simulator, host: str = "127.0.0.1", port: int = 0
) -> Iterator[str]:
    """Serve the app in a background thread; yields its base URL.

    Port 0 picks a free port. The server stops when the block ends.
    """
    port = port or free_port(host)
    server = make_server(app, host, port)
    thread = threading.Thread(
        target=server.run, name="skillsync-simulator", daemon=True
    )
    thread.start()
    try:
        while not server.started:
            if not thread.is_alive():
                raise RuntimeError(f"the simulator could not listen on {host}:{port}")

            threading.Event().wait(0.01)

        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
