"""Running the API: one uvicorn process, or several workers that share one loaded model.

``canhgiac serve --workers 1`` runs uvicorn in the calling process. With more workers a plain
``uvicorn --workers N`` would start N fresh interpreters, each importing numpy, scikit-learn
and FastAPI and loading the model on its own: about 300 MB each, plus a supervisor that had
imported everything too. Instead, with ``--workers N`` (N > 1) gunicorn's arbiter imports the
app and loads the active model ONCE, then forks the workers, which run uvicorn's event loop
(``uvicorn_worker.UvicornWorker``). Forked workers share those pages copy-on-write: the weight
arrays are never written, and ``gc.freeze()`` keeps the garbage collector from touching the
objects made before the fork. gunicorn also restarts a worker that dies, which the plain
uvicorn supervisor does less carefully.

A worker still follows ``model/ACTIVE`` on its own (``app.api.watcher``): a promotion swaps the
model in each worker, and a worker forked later loads the active version before it answers if
the preloaded one is stale (``app.api.main.lifespan``).

uvloop and httptools are used when installed (they are dependencies): the event loop and the
HTTP parser are then C code, and uvloop sets TCP_NODELAY on every connection, so a response is
not held back by Nagle's algorithm waiting for a delayed ACK (40 ms on Linux).
"""

from __future__ import annotations

import atexit
import gc
import logging
import os
import shutil
import socket
import sys
import tempfile
from typing import Any

from gunicorn.arbiter import Arbiter
from uvicorn_worker import UvicornWorker

__all__ = ["Worker", "preloaded_app", "run"]

log = logging.getLogger("canhgiac.api")


class Worker(UvicornWorker):
    """uvicorn in a gunicorn worker, set up as ``canhgiac serve`` sets up uvicorn.

    Each worker listens on a socket of its own, bound to the service's address with
    SO_REUSEPORT, and the kernel spreads new connections over them evenly. With one shared
    listening socket, whichever worker was idle when a burst of clients connected took them
    all: 50 keep-alive clients were seen split 49 to 1, so one worker served nearly every
    request while the other idled (the p99 latency at 300 requests/s varied from 10 to 110 ms
    from run to run with that split). The arbiter itself only holds a private Unix socket.
    """

    CONFIG_KWARGS: dict[str, Any] = {
        "loop": "auto",
        "http": "auto",
        "access_log": False,  # the app writes its own access log, without message text
        "server_header": False,
        "lifespan": "on",
    }
    address: tuple[str, int] | None = None  # set by run() before the arbiter forks

    async def _serve(self) -> None:
        from uvicorn.server import Server

        self.config.app = self.wsgi
        server = Server(config=self.config)
        self._install_sigquit_handler()
        sockets = [_reuseport_socket(*self.address)] if self.address else self.sockets
        await server.serve(sockets=sockets)
        if not server.started:
            sys.exit(Arbiter.WORKER_BOOT_ERROR)


def _reuseport_socket(host: str, port: int, *, reuse_port: bool = True) -> socket.socket:
    family, kind, proto, _, addr = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if reuse_port:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind(addr)
        sock.listen(2048)
    except BaseException:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def _port_is_free(host: str, port: int) -> None:
    """Raise ``OSError`` when something listens on the address already.

    Bound without SO_REUSEPORT, this fails even against another canhgiac server's reuse-port
    sockets, so a second server on the same port stops here instead of silently sharing it.
    """
    _reuseport_socket(host, port, reuse_port=False).close()


def preloaded_app():
    """The ASGI app with the active model already loaded, for forking (gunicorn ``preload_app``)."""
    from app.main import app
    from app.service import Classifier

    classifier = Classifier.from_dir(app.state.settings.model_dir)
    classifier.classify("Tin nhắn khởi động.")  # build lazy tables now, so the workers share them
    app.state.holder.swap(classifier)
    app.state.preloaded = True
    gc.collect()
    gc.freeze()  # objects made so far stay out of the collector: their pages stay shared
    return app


def _child_exit(server, worker) -> None:
    """gunicorn hook in the arbiter: a worker ended (or died); drop its live metrics."""
    from . import metrics

    metrics.mark_process_dead(worker.pid)


def run(host: str, port: int, workers: int, log_level: str, reload: bool = False) -> None:
    """Serve until stopped (SIGTERM / Ctrl-C: graceful, requests in flight finish)."""
    if workers <= 1 or reload:
        import uvicorn

        # One process: load the model here, so a damaged one is a one-line error before the
        # server starts (``--reload`` needs the import string and loads it in lifespan).
        uvicorn.run(
            "app.main:app" if reload else preloaded_app(),
            host=host,
            port=port,
            reload=reload,
            access_log=False,
            log_level=log_level.lower(),
            server_header=False,
        )
        return

    from gunicorn.app.base import BaseApplication

    reuse_port = hasattr(socket, "SO_REUSEPORT") and sys.platform.startswith("linux")
    if reuse_port:  # each worker listens on its own socket (see Worker)
        _port_is_free(host, port)
        Worker.address = (host, port)
        private = tempfile.mkdtemp(prefix="canhgiac-arbiter-")
        atexit.register(shutil.rmtree, private, True)
        bind = f"unix:{os.path.join(private, 'arbiter.sock')}"
    else:
        bind = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"

    class _Prefork(BaseApplication):
        def load_config(self) -> None:
            options = {
                "bind": [bind],
                "workers": workers,
                "worker_class": f"{Worker.__module__}.{Worker.__qualname__}",
                "preload_app": True,
                "timeout": 120,  # a worker silent this long is restarted (model loads take ~1 s)
                "graceful_timeout": 30,
                "keepalive": 5,
                "accesslog": None,
                "errorlog": "-",
                "loglevel": log_level.lower(),
                "proc_name": "canhgiac",
                "child_exit": _child_exit,
                "forwarded_allow_ips": "127.0.0.1",
            }
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self):
            return preloaded_app()

    _Prefork().run()
