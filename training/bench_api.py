"""Load test of the HTTP API: ``make bench-api`` (or ``python -m training.bench_api``).

Starts ``canhgiac serve --workers 2`` on a free loopback port with the model in ``model/`` and
sends the sample messages (``data/samples/messages.jsonl``) to ``POST /v1/classify`` from 50
concurrent clients, in two phases of ``--duration`` seconds each:

1. **fixed rate** (open loop): 300 requests a second in all, spread evenly over the 50 clients;
   the latency of each request is counted from the moment it was due. This answers "does the
   service answer 300 requests a second from 50 clients, and how fast": the issue's target.
2. **capacity** (closed loop): each client sends again the moment it is answered, so the server
   is saturated; this gives the most requests a second it can answer. Its latency is queueing
   (Little's law: mean latency = clients / throughput), printed for completeness.

Then it stops the server and prints throughput, latency percentiles, errors, the server's peak
memory (PSS and RSS of all its processes) and whether each target is met. Traffic goes to
127.0.0.1 only; client and server share this machine's cores.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import os
import platform
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "data" / "samples" / "messages.jsonl"
CHANNELS = ("sms", "zalo", "facebook", "telegram", "call", None)


def _messages() -> list[dict]:
    """Request bodies from the authors' samples, with a channel as a client would send it."""
    with open(SAMPLES, encoding="utf-8") as fh:
        texts = [json.loads(line)["text"] for line in fh if line.strip()]
    bodies = []
    for text, channel in zip(texts, itertools.cycle(CHANNELS)):
        bodies.append({"text": text, **({"channel": channel} if channel else {})})
    return bodies


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- memory of the server's process tree, from /proc -------------------------------------------
def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as fh:
                stat = fh.read()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])  # the name may contain spaces
        tree.setdefault(ppid, []).append(int(entry))
    return tree


def _tree(pid: int) -> list[int]:
    tree, out, todo = _children(), [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(tree.get(p, []))
    return out


def _status_kb(pid: int, field: str) -> int:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _pss_kb(pid: int) -> int:
    """Proportional set size: pages shared by k processes count 1/k in each."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


class MemoryWatch:
    """Samples the memory of the server's process tree and keeps the peaks.

    ``pss`` is the memory the server really occupies: the forked workers share the model and
    the libraries with the process that loaded them, and PSS counts a page shared by k
    processes 1/k in each. ``rss`` adds up each process's resident set, counting those shared
    pages once per process (an upper bound, reported beside it).
    """

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak_pss_kb = 0
        self.peak_rss_kb = 0
        self.processes = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def sample(self) -> None:
        pids = _tree_fast(self.pid)
        self.processes = max(self.processes, len(pids))
        self.peak_pss_kb = max(self.peak_pss_kb, sum(_pss_kb(p) for p in pids))
        self.peak_rss_kb = max(self.peak_rss_kb, sum(_status_kb(p, "VmRSS") for p in pids))

    def snapshot(self) -> dict:
        return {
            "pss_sum": round(self.peak_pss_kb / 1024, 1),
            "rss_sum": round(self.peak_rss_kb / 1024, 1),
            "processes": self.processes,
        }

    # Sampling runs in a thread, once a second: reading /proc/<pid>/smaps_rollup walks the
    # process's page tables in the kernel, and done on the client's event loop four times a
    # second it delayed requests by milliseconds, which showed up in the measured p99.
    def start(self, every: float = 1.0) -> None:
        def loop() -> None:
            while not self._stop.wait(every):
                self.sample()

        self._thread = threading.Thread(target=loop, name="memory-watch", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self.sample()


def _tree_fast(pid: int) -> list[int]:
    """``pid`` and its descendants from /proc/<pid>/task/*/children (no walk over all of /proc)."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        try:
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children", encoding="ascii") as fh:
                    todo.extend(int(c) for c in fh.read().split())
        except OSError:
            return _tree(pid)  # no children files on this kernel: walk /proc
    return out


# --- the server -------------------------------------------------------------------------------
def start_server(port: int, workers: int, log_path: Path) -> subprocess.Popen:
    env = dict(os.environ)
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    env.update(
        CANHGIAC_RATE_LIMIT_PER_MINUTE="0",  # one client address sends everything here
        CANHGIAC_DATABASE_URL=f"sqlite:///{log_path.parent / 'bench.db'}",
        CANHGIAC_LOG_LEVEL="WARNING",  # keep the access log out of the measurement
    )
    cmd = [sys.executable, "-m", "app.cli", "serve", "--host", "127.0.0.1", "--port", str(port)]
    cmd += ["--workers", str(workers)]
    log = open(log_path, "wb")  # noqa: SIM115  (closed with the process)
    return subprocess.Popen(
        cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )


def stop_server(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)  # its own session: the workers go too
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


async def wait_ready(base: str, proc: subprocess.Popen, timeout: float = 240) -> float:
    start = time.perf_counter()
    async with httpx.AsyncClient(base_url=base, timeout=5) as client:
        while time.perf_counter() - start < timeout:
            if proc.poll() is not None:
                raise RuntimeError(f"the server exited with code {proc.returncode}")
            try:
                if (await client.get("/readyz")).status_code == 200:
                    return time.perf_counter() - start
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.25)
    raise RuntimeError(f"the server was not ready after {timeout:.0f} s")


# --- the load ---------------------------------------------------------------------------------
# A lean HTTP/1.1 keep-alive client on asyncio streams: the requests are encoded once, and a
# response is read by its Content-Length. The client shares the 2 cores with the server, so it
# must cost little: httpx spends more CPU per request than the server's handler does.
class Connection:
    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, raw: bytes) -> int:
        """Send one encoded request; return the status once the whole response has arrived."""
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        self.writer.write(raw)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = 0
        for line in head.split(b"\r\n")[1:]:
            if line[:15].lower() == b"content-length:":
                length = int(line[15:])
                break
        if length:
            await self.reader.readexactly(length)
        if b"connection: close" in head.lower():
            await self.close()
        return status

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(OSError):
                await self.writer.wait_closed()
        self.reader = self.writer = None


def encode_requests(host: str, port: int, bodies: list[dict], explain: bool) -> list[bytes]:
    path = "/v1/classify" + ("" if explain else "?explain=false")
    out = []
    for body in bodies:
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(data)}\r\n\r\n"
        )
        out.append(head.encode("ascii") + data)
    return out


class Tally:
    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.errors: dict[str, int] = {}

    def error(self, kind: str) -> None:
        self.errors[kind] = self.errors.get(kind, 0) + 1


async def _send(conn: Connection, raw: bytes, tally: Tally, since: float) -> None:
    try:
        status = await conn.request(raw)
    except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError) as exc:
        tally.error(type(exc).__name__)
        await conn.close()
        return
    if status == 200:
        tally.latencies.append(time.perf_counter() - since)
    else:
        tally.error(str(status))


async def closed_loop(conns: list[Connection], requests: list[bytes], duration: float) -> tuple[Tally, float]:
    """Capacity: every client sends its next request as soon as the last answer is in."""
    tally = Tally()
    counter = itertools.count()
    t0 = time.perf_counter()
    deadline = t0 + duration

    async def client(conn: Connection) -> None:
        while time.perf_counter() < deadline:
            await _send(conn, requests[next(counter) % len(requests)], tally, time.perf_counter())

    await asyncio.gather(*(client(c) for c in conns))
    return tally, time.perf_counter() - t0


async def fixed_rate(
    conns: list[Connection], requests: list[bytes], rate: float, duration: float
) -> tuple[Tally, float]:
    """Latency at a set load: ``rate`` requests a second spread evenly over the clients.

    Request ``i`` is due at ``t0 + i / rate`` and goes to client ``i % clients``. A client still
    waiting for its previous answer sends late, and the latency is counted from the time the
    request was due, not from when it went out, so a slow server cannot hide its queue
    (no "coordinated omission")."""
    tally = Tally()
    n_clients = len(conns)
    total = int(rate * duration)
    t0 = time.perf_counter() + 0.05

    async def client(k: int, conn: Connection) -> None:
        for i in range(k, total, n_clients):
            due = t0 + i / rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            await _send(conn, requests[i % len(requests)], tally, due)

    await asyncio.gather(*(client(k, c) for k, c in enumerate(conns)))
    return tally, time.perf_counter() - t0


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    k = min(len(s) - 1, max(0, round(q / 100 * (len(s) - 1))))
    return s[k]


def _figures(tally: Tally, elapsed: float) -> dict:
    ms = [x * 1000 for x in tally.latencies]
    return {
        "requests_ok": len(ms),
        "errors": tally.errors,
        "seconds": round(elapsed, 2),
        "throughput_rps": round(len(ms) / elapsed, 1) if elapsed else 0.0,
        "latency_ms": {
            "p50": round(_percentile(ms, 50), 1),
            "p95": round(_percentile(ms, 95), 1),
            "p99": round(_percentile(ms, 99), 1),
            "max": round(max(ms), 1) if ms else None,
        },
    }


async def main_async(args: argparse.Namespace) -> dict:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    tmp = Path(tempfile.mkdtemp(prefix="canhgiac-bench-api-"))
    proc = start_server(port, args.workers, tmp / "server.log")
    results: dict = {}
    try:
        startup = await wait_ready(base, proc)
        watch = MemoryWatch(proc.pid)
        watch.sample()
        idle = watch.snapshot()
        watch.start()
        requests = encode_requests("127.0.0.1", port, _messages(), args.explain)
        conns = [Connection("127.0.0.1", port) for _ in range(args.concurrency)]
        await closed_loop(conns, requests, 3.0)  # warm-up: connections open, every worker busy
        if args.rate > 0:
            tally, elapsed = await fixed_rate(conns, requests, args.rate, args.duration)
            results["fixed_rate"] = {"target_rps": args.rate, **_figures(tally, elapsed)}
        if not args.skip_capacity:
            tally, elapsed = await closed_loop(conns, requests, args.duration)
            results["capacity"] = _figures(tally, elapsed)
        for c in conns:
            await c.close()
        watch.stop()
    finally:
        stop_server(proc)
    return {
        "workers": args.workers,
        "concurrency": args.concurrency,
        "explain": args.explain,
        **results,
        "server_startup_s": round(startup, 1),
        "server_memory_mb": {"idle": idle, "peak": watch.snapshot()},
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
    }


TARGETS = {"rps": 300, "p99_ms": 50, "memory_mb": 400}


def _line(name: str, f: dict) -> str:
    lat = f["latency_ms"]
    return (
        f"  {name}: {f['requests_ok']} ok in {f['seconds']} s = {f['throughput_rps']} requests/s; "
        f"errors: {f['errors'] or 'none'}\n"
        f"    latency ms: p50 {lat['p50']}  p95 {lat['p95']}  p99 {lat['p99']}  max {lat['max']}"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--rate", type=float, default=TARGETS["rps"], help="fixed-rate phase: requests/s (0: skip)"
    )
    parser.add_argument("--duration", type=float, default=20.0, help="seconds of each phase")
    parser.add_argument("--concurrency", type=int, default=50, help="concurrent clients (connections)")
    parser.add_argument("--workers", type=int, default=2, help="server worker processes")
    parser.add_argument("--no-explain", dest="explain", action="store_false", help="ask without explanations")
    parser.add_argument("--skip-capacity", action="store_true", help="skip the closed-loop capacity phase")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON only")
    args = parser.parse_args(argv)
    try:  # the client is lighter on uvloop; asyncio's own loop works too
        import uvloop

        run = uvloop.run
    except ImportError:
        run = asyncio.run
    result = run(main_async(args))
    out = ROOT / "bench-results"
    out.mkdir(exist_ok=True)
    (out / "api.json").write_text(json.dumps(result, indent=2), encoding="utf-8")
    if args.json:
        print(json.dumps(result, indent=2))
        return
    mem = result["server_memory_mb"]
    print(
        f"POST /v1/classify (explain={'on' if args.explain else 'off'}), {args.workers} server workers, "
        f"{args.concurrency} clients on loopback, {os.cpu_count()} CPUs shared by server and client"
    )
    verdicts = []
    if "fixed_rate" in result:
        f = result["fixed_rate"]
        print(_line(f"fixed rate {args.rate:g}/s (open loop, latency from the time each request was due)", f))
        scheduled = int(args.rate * args.duration)
        sustained = f["requests_ok"] == scheduled and f["seconds"] <= args.duration * 1.02
        print(f"    {f['requests_ok']} of {scheduled} scheduled requests answered with 200")
        verdicts += [
            (f"{TARGETS['rps']}/s sustained", sustained and args.rate >= TARGETS["rps"]),
            ("p99 < 50 ms", f["latency_ms"]["p99"] < TARGETS["p99_ms"]),
            ("zero errors", not f["errors"]),
        ]
    if "capacity" in result:
        f = result["capacity"]
        print(_line("capacity (closed loop: each client sends again as soon as it is answered)", f))
        print(
            f"    (closed loop: mean latency = clients / throughput = {args.concurrency / max(f['throughput_rps'], 1e-9) * 1000:.0f} ms by Little's law)"
        )
        verdicts.append(("zero errors at capacity", not f["errors"]))
    print(
        f"  server memory MB ({mem['peak']['processes']} processes): PSS idle {mem['idle']['pss_sum']}, "
        f"peak {mem['peak']['pss_sum']}; RSS summed over processes: peak {mem['peak']['rss_sum']}; "
        f"startup {result['server_startup_s']} s"
    )
    verdicts.append(("memory (PSS) < 400 MB", mem["peak"]["pss_sum"] < TARGETS["memory_mb"]))
    print("  targets: " + "; ".join(f"{name}: {'met' if ok else 'NOT met'}" for name, ok in verdicts))
    flags = [] if args.explain else ["--no-explain"]
    flags += [f"--rate {args.rate:g}", f"--duration {args.duration:g}", f"--concurrency {args.concurrency}"]
    flags += [f"--workers {args.workers}"] + (["--skip-capacity"] if args.skip_capacity else [])
    print(
        f"reproduce: python -m training.bench_api {' '.join(flags)}   (figures also in bench-results/api.json)"
    )


if __name__ == "__main__":
    main()
