#!/usr/bin/env python3
"""Flood benchmark driver (stdlib only, loopback only, bounded in time).

Against a running `lora-space-bot serve` (pid PID, URL http://HOST:PORT/PATH) it runs, in order:
  base   normal signed webhooks at RATE req/s (open loop, one fresh connection each) for DUR s;
  flood  1,000 slow-header clients (request line, then one header byte every SLOW_EVERY s) and
         10,000 idle connections (connect, send nothing); each reopens when the receiver cuts it,
         from source addresses 127.0.0.2.. so the flood does not run out of ephemeral ports;
         once the flood is open (or after RAMP s) the same webhook load runs for DUR s;
  after  every flood socket closed, SETTLE s of quiet, then the webhook load again for DUR s.
The flood runs in a child process (`flood.py --flood`), so the webhooks' latency does not include
the flood's own event-loop work. It samples the receiver's RSS, CPU time and open descriptors
from /proc every 0.5 s and prints one JSON object (the phases, the flood's counters, the
samples) on stdout.

Env: PID, URL, SECRET, PAYLOAD, RATE (20), DUR (30), SLOW (1000), IDLE (10000), SLOW_EVERY (2),
RAMP (20), SETTLE (15), TIMEOUT (10, per webhook and per flood connect), WARMUP (20 webhooks
sent one by one before `base`, not counted).
"""
import asyncio
import json
import os
import statistics
import sys
import time
from urllib.parse import urlsplit

ENV = os.environ
RATE, DUR = float(ENV.get("RATE", 20)), float(ENV.get("DUR", 30))
SLOW, IDLE = int(ENV.get("SLOW", 1000)), int(ENV.get("IDLE", 10000))
SLOW_EVERY, RAMP = float(ENV.get("SLOW_EVERY", 2)), float(ENV.get("RAMP", 20))
SETTLE, TIMEOUT = float(ENV.get("SETTLE", 15)), float(ENV.get("TIMEOUT", 10))
WARMUP = int(ENV.get("WARMUP", 20))
PID = int(ENV["PID"])
URL = urlsplit(ENV["URL"])
HOST, PORT, PATH = URL.hostname, URL.port or 80, URL.path
with open(ENV["PAYLOAD"], "rb") as f:
    BODY = f.read()
REQUEST = (
    f"POST {PATH} HTTP/1.1\r\nHost: {HOST}:{PORT}\r\nContent-Type: application/json\r\n"
    f"User-Agent: huggingface-webhooks/flood-bench\r\nX-Webhook-Secret: {ENV['SECRET']}\r\n"
    f"Content-Length: {len(BODY)}\r\nConnection: close\r\n\r\n"
).encode() + BODY
SOURCES = [f"127.0.0.{i}" for i in range(2, 40)]
TICK = os.sysconf("SC_CLK_TCK")


def proc_stats():
    rss = hwm = 0
    try:
        with open(f"/proc/{PID}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    rss = int(line.split()[1])
                elif line.startswith("VmHWM:"):
                    hwm = int(line.split()[1])
        fds = len(os.listdir(f"/proc/{PID}/fd"))
        with open(f"/proc/{PID}/stat") as f:
            rest = f.read().rsplit(")", 1)[1].split()
        cpu = (int(rest[11]) + int(rest[12])) / TICK
    except OSError:
        fds, cpu = 0, 0.0
    with open("/proc/loadavg") as f:
        load1 = float(f.read().split()[0])
    return {"t": round(time.monotonic() - T0, 1), "rss_kb": rss, "hwm_kb": hwm, "fds": fds, "load1": load1,
            "cpu_s": round(cpu, 2)}


async def sampler(samples, stop):
    while not stop.is_set():
        samples.append(proc_stats())
        try:
            await asyncio.wait_for(stop.wait(), 0.5)
        except asyncio.TimeoutError:
            pass


async def one_webhook(results):
    start = time.monotonic()
    writer = None
    try:
        async def exchange():
            nonlocal writer
            reader, writer = await asyncio.open_connection(HOST, PORT)
            writer.write(REQUEST)
            await writer.drain()
            head = await reader.readuntil(b"\r\n")
            await reader.read()  # Connection: close; the whole answer
            return int(head.split()[1])
        status = await asyncio.wait_for(exchange(), TIMEOUT)
        results.append((time.monotonic() - start, str(status)))
    except asyncio.TimeoutError:
        results.append((time.monotonic() - start, "timeout"))
    except (OSError, asyncio.IncompleteReadError, ValueError, IndexError) as e:
        results.append((time.monotonic() - start, type(e).__name__))
    finally:
        if writer is not None:
            writer.close()


async def load(name):
    """Open loop: a webhook every 1/RATE s for DUR s, whatever the previous ones are doing."""
    results, tasks = [], []
    start = time.monotonic()
    for i in range(int(RATE * DUR)):
        delay = start + i / RATE - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one_webhook(results)))
    await asyncio.gather(*tasks)
    lat = sorted(r[0] for r in results if r[1].startswith("2"))
    codes = {}
    for _, c in results:
        codes[c] = codes.get(c, 0) + 1

    def pct(p):
        return round(lat[min(len(lat) - 1, int(p / 100 * len(lat)))] * 1000, 1) if lat else None
    return {"phase": name, "sent": len(results), "ok": len(lat), "codes": codes,
            "p50_ms": pct(50), "p99_ms": pct(99), "max_ms": round(lat[-1] * 1000, 1) if lat else None}


class Flood:
    def __init__(self):
        self.stop = asyncio.Event()
        self.open = {"slow": 0, "idle": 0}
        self.opened = {"slow": 0, "idle": 0}
        self.connect_failed = {"slow": 0, "idle": 0}
        self.lifetimes = {"slow": [], "idle": []}
        self.writers = set()
        self.gate = asyncio.Semaphore(256)  # connects in flight at once

    async def connect(self, kind, n):
        async with self.gate:
            try:
                return await asyncio.wait_for(
                    asyncio.open_connection(HOST, PORT, local_addr=(SOURCES[n % len(SOURCES)], 0)), TIMEOUT)
            except (OSError, asyncio.TimeoutError):
                self.connect_failed[kind] += 1
                return None

    async def client(self, kind, n):
        while not self.stop.is_set():
            conn = await self.connect(kind, n)
            if conn is None:
                await asyncio.sleep(1)
                continue
            reader, writer = conn
            self.writers.add(writer)
            self.opened[kind] += 1
            self.open[kind] += 1
            born = time.monotonic()
            cut = False
            try:
                if kind == "slow":
                    writer.write(f"POST {PATH} HTTP/1.1\r\n".encode())
                drip = iter(b"X-Slow: " + b"a" * 100_000)
                while not self.stop.is_set():
                    every = SLOW_EVERY if kind == "slow" else 3600
                    try:
                        data = await asyncio.wait_for(reader.read(4096), every)
                    except asyncio.TimeoutError:
                        writer.write(bytes([next(drip)]))
                        continue
                    cut = True  # the receiver answered (408) or closed (b"")
                    break
            except (OSError, asyncio.IncompleteReadError):
                cut = True
            finally:
                self.open[kind] -= 1
                self.writers.discard(writer)
                writer.close()
            if cut and not self.stop.is_set():
                self.lifetimes[kind].append(time.monotonic() - born)
                await asyncio.sleep(0.05)

    def start(self):
        self.tasks = [asyncio.create_task(self.client("slow", i)) for i in range(SLOW)]
        self.tasks += [asyncio.create_task(self.client("idle", i)) for i in range(IDLE)]

    async def end(self):
        self.stop.set()
        for w in list(self.writers):
            w.close()
        for t in self.tasks:
            t.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)

    def report(self):
        out = {}
        for k in ("slow", "idle"):
            life = self.lifetimes[k]
            out[k] = {"opened": self.opened[k], "cut": len(life), "connect_failed": self.connect_failed[k],
                      "lifetime_s_median": round(statistics.median(life), 1) if life else None,
                      "lifetime_s_max": round(max(life), 1) if life else None}
        return out


async def flood_process():
    """`flood.py --flood`: holds the flood until SIGTERM. Prints `open {...}` once every client
    connected (or after RAMP s), and its report as the last line when it ends."""
    import signal
    global T0
    T0 = time.monotonic()
    flood = Flood()
    ended = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, ended.set)
    flood.start()
    deadline = time.monotonic() + RAMP
    while time.monotonic() < deadline and sum(flood.open.values()) < SLOW + IDLE:
        await asyncio.sleep(0.5)
    print("open " + json.dumps(flood.open), flush=True)
    await ended.wait()
    at_end = dict(flood.open)
    await flood.end()
    print(json.dumps({**flood.report(), "open_at_end": at_end}), flush=True)


def cpu_of(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            rest = f.read().rsplit(")", 1)[1].split()
        return (int(rest[11]) + int(rest[12])) / TICK
    except OSError:
        return 0.0


async def main():
    """The webhook load and the sampling run here; the flood runs in its own process, so the
    latency figures do not include the flood's event-loop work."""
    global T0
    T0 = time.monotonic()
    samples, stop = [], asyncio.Event()
    sampling = asyncio.create_task(sampler(samples, stop))
    marks = {}
    phases = []
    for _ in range(WARMUP):  # first connections to the broker, allocator warm-up; not counted
        await one_webhook([])
    marks["before"] = proc_stats()
    phases.append(await load("base"))
    marks["before_flood"] = proc_stats()
    child = await asyncio.create_subprocess_exec(sys.executable, os.path.abspath(__file__), "--flood", stdout=asyncio.subprocess.PIPE)
    line = (await child.stdout.readline()).decode()
    marks["flood_open"] = {**proc_stats(), "client_open": json.loads(line.split(" ", 1)[1]), "flood_cpu_s": cpu_of(child.pid)}
    during = await load("flood")
    marks["flood_end"] = {**proc_stats(), "flood_cpu_s": cpu_of(child.pid)}
    phases.append(during)
    marks["during"] = proc_stats()
    child.terminate()
    report = json.loads((await child.stdout.read()).decode().strip().splitlines()[-1])
    await child.wait()
    await asyncio.sleep(SETTLE)
    marks["after_settle"] = proc_stats()
    phases.append(await load("after"))
    marks["after"] = proc_stats()
    stop.set()
    await sampling
    flood_rss = [s["rss_kb"] for s in samples if marks["before_flood"]["t"] <= s["t"] <= marks["during"]["t"]]
    print(json.dumps({"phases": phases, "flood": report, "marks": marks,
                      "rss_peak_during_kb": max(flood_rss) if flood_rss else None,
                      "fds_peak_during": max((s["fds"] for s in samples), default=None),
                      "samples": samples}))


if __name__ == "__main__":
    asyncio.run(flood_process() if sys.argv[1:] == ["--flood"] else main())
