"""Load test of the HTTP API: ``make bench-api`` (or ``python -m training.bench_api``).

Starts ``canhgiac serve`` (uvicorn, 2 workers by default) on a free loopback port with the
model in ``model/``, sends Vietnamese messages to ``POST /v1/classify`` from 50 concurrent
clients until a fixed number of requests is done or the time bound passes, then stops the
server and prints throughput, latency percentiles, errors and the server's peak memory.
Traffic goes to 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import platform
import signal
import socket
import subprocess
import sys
import tempfile
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


class MemoryWatch:
    """Samples the summed RSS of the server's processes; also keeps each process's own peak."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak_sum_kb = 0
        self.hwm_kb: dict[int, int] = {}

    def sample(self) -> None:
        pids = _tree(self.pid)
        self.peak_sum_kb = max(self.peak_sum_kb, sum(_status_kb(p, "VmRSS") for p in pids))
        for p in pids:
            self.hwm_kb[p] = max(self.hwm_kb.get(p, 0), _status_kb(p, "VmHWM"))

    async def run(self, stop: asyncio.Event, every: float = 0.25) -> None:
        while not stop.is_set():
            self.sample()
            try:
                await asyncio.wait_for(stop.wait(), every)
            except TimeoutError:
                pass


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
async def load(
    base: str, bodies: list[dict], *, requests: int, concurrency: int, duration: float, explain: bool
):
    latencies: list[float] = []
    errors: dict[str, int] = {}
    counter = itertools.count()
    deadline = 0.0
    url = "/v1/classify" + ("" if explain else "?explain=false")
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)

    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as client:

        async def one_client() -> None:
            while time.perf_counter() < deadline:
                i = next(counter)
                if i >= requests:
                    return
                t0 = time.perf_counter()
                try:
                    r = await client.post(url, json=bodies[i % len(bodies)])
                    if r.status_code == 200:
                        latencies.append(time.perf_counter() - t0)
                    else:
                        errors[str(r.status_code)] = errors.get(str(r.status_code), 0) + 1
                except httpx.HTTPError as exc:
                    errors[type(exc).__name__] = errors.get(type(exc).__name__, 0) + 1

        for body in bodies[:concurrency]:  # warm up both workers, not timed
            await client.post(url, json=body)
        t0 = time.perf_counter()
        deadline = t0 + duration
        await asyncio.gather(*(one_client() for _ in range(concurrency)))
        elapsed = time.perf_counter() - t0
    return latencies, errors, elapsed


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    k = min(len(s) - 1, max(0, round(q / 100 * (len(s) - 1))))
    return s[k]


async def main_async(args: argparse.Namespace) -> dict:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    tmp = Path(tempfile.mkdtemp(prefix="canhgiac-bench-api-"))
    proc = start_server(port, args.workers, tmp / "server.log")
    try:
        startup = await wait_ready(base, proc)
        watch = MemoryWatch(proc.pid)
        watch.sample()
        idle_kb = watch.peak_sum_kb
        stop = asyncio.Event()
        watcher = asyncio.create_task(watch.run(stop))
        latencies, errors, elapsed = await load(
            base,
            _messages(),
            requests=args.requests,
            concurrency=args.concurrency,
            duration=args.duration,
            explain=args.explain,
        )
        stop.set()
        await watcher
        watch.sample()
    finally:
        stop_server(proc)
    done = len(latencies) + sum(errors.values())
    ms = [x * 1000 for x in latencies]
    return {
        "workers": args.workers,
        "concurrency": args.concurrency,
        "explain": args.explain,
        "requests_sent": done,
        "requests_ok": len(latencies),
        "errors": errors,
        "seconds": round(elapsed, 2),
        "throughput_rps": round(len(latencies) / elapsed, 1) if elapsed else 0.0,
        "latency_ms": {
            "p50": round(_percentile(ms, 50), 1),
            "p95": round(_percentile(ms, 95), 1),
            "p99": round(_percentile(ms, 99), 1),
            "max": round(max(ms), 1) if ms else None,
        },
        "server_startup_s": round(startup, 1),
        "server_rss_mb": {
            "idle_sum": round(idle_kb / 1024, 1),
            "peak_sum": round(watch.peak_sum_kb / 1024, 1),
            "sum_of_process_peaks": round(sum(watch.hwm_kb.values()) / 1024, 1),
            "processes": len(watch.hwm_kb),
        },
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000, help="stop after this many requests")
    parser.add_argument("--duration", type=float, default=20.0, help="... or after this many seconds")
    parser.add_argument("--concurrency", type=int, default=50, help="concurrent clients")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    parser.add_argument("--no-explain", dest="explain", action="store_false", help="ask without explanations")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON only")
    args = parser.parse_args(argv)
    result = asyncio.run(main_async(args))
    out = ROOT / "bench-results"
    out.mkdir(exist_ok=True)
    (out / "api.json").write_text(json.dumps(result, indent=2), encoding="utf-8")
    if args.json:
        print(json.dumps(result, indent=2))
        return
    lat, mem = result["latency_ms"], result["server_rss_mb"]
    print(
        f"POST /v1/classify (explain={'on' if args.explain else 'off'}), {args.workers} workers, "
        f"{args.concurrency} clients, {os.cpu_count()} CPUs"
    )
    print(
        f"  {result['requests_ok']} ok / {result['requests_sent']} sent in {result['seconds']} s: "
        f"{result['throughput_rps']} requests/s; errors: {result['errors'] or 'none'}"
    )
    print(f"  latency ms: p50 {lat['p50']}  p95 {lat['p95']}  p99 {lat['p99']}  max {lat['max']}")
    print(
        f"  server RSS MB ({mem['processes']} processes): idle {mem['idle_sum']}, peak {mem['peak_sum']} "
        f"(sum of per-process peaks {mem['sum_of_process_peaks']}); startup {result['server_startup_s']} s"
    )
    flags = [] if args.explain else ["--no-explain"]
    flags += [
        f"--requests {args.requests}",
        f"--duration {args.duration:g}",
        f"--concurrency {args.concurrency}",
    ]
    flags += [f"--workers {args.workers}"]
    print(
        f"reproduce: python -m training.bench_api {' '.join(flags)}   (figures also in bench-results/api.json)"
    )


if __name__ == "__main__":
    main()
