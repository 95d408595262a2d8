#!/usr/bin/env python3
"""Measurement helpers for bench/run (standard library only).

Subcommands (all results are appended as JSON lines to --raw):
  setup      make the fixtures in the benchmark daemon (image, stopped containers, big container,
             image tarball for uploads, logger container)
  matrix     wrk throughput/latency cases, interleaved over targets and rounds, with warm-up
  streams    large download and upload with curl, interleaved over targets and rounds
  followers  /events and logs -f with many concurrent followers per target
  startup    launch a proxy N times, time to the first answered /_ping
  mixed      mixed load on a freshly started proxy, peak memory sampled (optionally in a cgroup)
  load       issue 11's loads (list + inspect wrk, /events and logs -f followers) on a fresh proxy in a cgroup
  idle       memory held per idle keep-alive connection and per idle /events or logs -f stream
  report     turn the raw results into Markdown, TSV and JSON

Only loopback TCP and Unix sockets are ever used.
"""
import argparse
import asyncio
import calendar
import http.client
import io
import json
import os
import platform
import shlex
import signal
import socket
import statistics
import subprocess
import sys
import tarfile
import threading
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
WRK_LUA = os.path.join(HERE, "wrk-json.lua")
LOOPBACK = "127.0.0.1"


T0 = float(os.environ.get("CGB_T0", time.time()))


def log(msg):
    print("[bench %4.0fs] %s" % (time.time() - T0, msg), file=sys.stderr, flush=True)


def append_raw(path, rec):
    rec = dict(rec)
    rec.setdefault("ts", round(time.time(), 3))
    with open(path, "a") as f:
        f.write(json.dumps(rec, sort_keys=True) + "\n")


def loopback_url(url):
    """Refuse anything but http://127.0.0.1:PORT (the house rule: loopback only)."""
    u = urllib.parse.urlsplit(url)
    if u.scheme != "http" or u.hostname not in ("127.0.0.1", "localhost", "::1") or not u.port:
        raise SystemExit("refusing non-loopback URL: " + url)
    return u.hostname, u.port


# ------------------------------------------------------------------------------------------------
# Docker API over the Unix socket (fixtures, triggers)

class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path, timeout=120):
        super().__init__("docker", timeout=timeout)
        self.unix_path = path

    def connect(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(self.timeout)
        s.connect(self.unix_path)
        self.sock = s


def api(sock, method, path, body=None, headers=None, expect=(200, 201, 204, 304), timeout=300, raw=False):
    conn = UnixHTTPConnection(sock, timeout=timeout)
    hdrs = dict(headers or {})
    if isinstance(body, (dict, list)):
        body = json.dumps(body).encode()
        hdrs.setdefault("Content-Type", "application/json")
    conn.request(method, path, body=body, headers=hdrs)
    resp = conn.getresponse()
    data = resp.read()
    conn.close()
    if resp.status not in expect:
        raise RuntimeError("%s %s -> %d %s" % (method, path, resp.status, data[:300]))
    if raw:
        return data
    if data and resp.getheader("Content-Type", "").startswith("application/json"):
        return json.loads(data)
    return data


def busybox_static():
    for b in ("/bin/busybox", "/usr/bin/busybox"):
        if os.access(b, os.X_OK):
            out = subprocess.run(["ldd", b], capture_output=True, text=True, env=dict(os.environ, LC_ALL="C"))
            if "not a dynamic executable" in out.stdout + out.stderr or "statically linked" in out.stdout + out.stderr:
                return b
    raise SystemExit("no static busybox (install busybox-static)")


def busybox_rootfs_tar():
    """The test image of src/test/scripts/testbed.sh: static busybox, every applet linked, /tmp, /etc."""
    bb = busybox_static()
    buf = io.BytesIO()
    now = int(time.time())

    def add_dir(tf, name, mode=0o755):
        ti = tarfile.TarInfo(name)
        ti.type = tarfile.DIRTYPE
        ti.mode = mode
        ti.mtime = now
        tf.addfile(ti)

    with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT) as tf:
        dirs = ["bin", "sbin", "usr", "usr/bin", "usr/sbin", "etc", "root", "home", "var", "proc", "sys", "dev", "tmp"]
        for d in dirs:
            add_dir(tf, d, 0o1777 if d == "tmp" else (0o700 if d == "root" else 0o755))
        with open(bb, "rb") as f:
            data = f.read()
        ti = tarfile.TarInfo("bin/busybox")
        ti.size = len(data)
        ti.mode = 0o755
        ti.mtime = now
        tf.addfile(ti, io.BytesIO(data))
        applets = subprocess.run([bb, "--list-full"], capture_output=True, text=True).stdout.split()
        seen = set(["bin/busybox"])
        made_dirs = set(dirs)
        for a in applets:
            if "/" not in a or a in seen:
                continue
            seen.add(a)
            parent = os.path.dirname(a)
            if parent not in made_dirs:
                add_dir(tf, parent)
                made_dirs.add(parent)
            ti = tarfile.TarInfo(a)
            ti.type = tarfile.SYMTYPE
            ti.linkname = "/bin/busybox"
            ti.mtime = now
            tf.addfile(ti)
        for name, text in (("etc/passwd", "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n"),
                           ("etc/group", "root:x:0:\nnogroup:x:65534:\n"),
                           ("etc/nsswitch.conf", "hosts: files dns\n")):
            b = text.encode()
            ti = tarfile.TarInfo(name)
            ti.size = len(b)
            ti.mode = 0o644
            ti.mtime = now
            tf.addfile(ti, io.BytesIO(b))
    return buf.getvalue()


def container_run(sock, name, cmd, image, labels=None, wait=True, extra=None):
    spec = {"Image": image, "Cmd": cmd, "Labels": labels or {},
            "HostConfig": {"NetworkMode": "none"}}
    if extra:
        spec.update(extra)
    api(sock, "DELETE", "/containers/%s?force=1" % name, expect=(204, 404))
    c = api(sock, "POST", "/containers/create?name=" + name, body=spec)
    api(sock, "POST", "/containers/%s/start" % c["Id"])
    if wait:
        r = api(sock, "POST", "/containers/%s/wait" % c["Id"], timeout=600)
        if r.get("StatusCode") != 0:
            raise RuntimeError("container %s exited %s" % (name, r))
    return c["Id"]


def cmd_setup(a):
    sock = a.sock
    image = a.image
    t0 = time.time()
    try:
        api(sock, "GET", "/images/%s/json" % image)
        log("image %s present" % image)
    except RuntimeError:
        repo, tag = image.rsplit(":", 1)
        q = urllib.parse.urlencode([("fromSrc", "-"), ("repo", repo), ("tag", tag),
                                    ("changes", 'CMD ["/bin/sh"]'),
                                    ("changes", "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"),
                                    ("message", "cetusguard bench image: static busybox")])
        api(sock, "POST", "/images/create?" + q, body=busybox_rootfs_tar(),
            headers={"Content-Type": "application/x-tar"})
        api(sock, "GET", "/images/%s/json" % image)
        log("image %s imported" % image)
    labels_base = {"org.cetusguard.bench": "1", "com.example.stack": "bench", "com.example.service": "svc",
                   "traefik.enable": "false", "com.docker.compose.project": "bench"}
    from concurrent.futures import ThreadPoolExecutor

    def small(i):
        lb = dict(labels_base)
        lb["com.docker.compose.container-number"] = str(i)
        container_run(sock, "cgb-ctr-%02d" % i, ["true"], image, labels=lb)
    size = a.big_mib * 1024 * 1024
    with ThreadPoolExecutor(4) as ex:
        big = ex.submit(container_run, sock, "cgb-big", ["sh", "-c", "head -c %d /dev/urandom > /big.bin" % size],
                        image, {"org.cetusguard.bench": "1"})
        list(ex.map(small, range(a.containers)))
        big.result()
    log("%d stopped containers made" % a.containers)
    log("container cgb-big holds %d MiB of random data" % a.big_mib)
    api(sock, "POST", "/commit?container=cgb-big&repo=cg-bench/big&tag=latest", body={})
    with open(a.load_tar, "wb") as f:
        conn = UnixHTTPConnection(sock, timeout=600)
        conn.request("GET", "/images/cg-bench%2Fbig:latest/get")
        resp = conn.getresponse()
        if resp.status != 200:
            raise RuntimeError("image get -> %d" % resp.status)
        while True:
            chunk = resp.read(1 << 20)
            if not chunk:
                break
            f.write(chunk)
        conn.close()
    log("image tarball for uploads: %s (%d MiB)" % (a.load_tar, os.path.getsize(a.load_tar) >> 20))
    container_run(sock, "cgb-logger", ["cat"], image, labels={"org.cetusguard.bench": "1"}, wait=False,
                  extra={"OpenStdin": True, "StdinOnce": False, "AttachStdin": True, "Tty": False})
    log("logger container cgb-logger running (cat: attach stdin -> logs)")
    export_bytes = len_of(sock, "/containers/cgb-big/export")
    info = {"containers": len(api(sock, "GET", "/containers/json?all=1")),
            "list_bytes": len(api(sock, "GET", "/containers/json?all=1", raw=True)),
            "inspect_bytes": len(api(sock, "GET", "/containers/cgb-ctr-00/json", raw=True)),
            "export_bytes": export_bytes, "load_bytes": os.path.getsize(a.load_tar),
            "setup_s": round(time.time() - t0, 1)}
    with open(a.out, "w") as f:
        json.dump(info, f)
    log("fixtures ready in %.1fs: %s" % (time.time() - t0, info))


def len_of(sock, path):
    conn = UnixHTTPConnection(sock, timeout=600)
    conn.request("GET", path)
    resp = conn.getresponse()
    n = 0
    while True:
        chunk = resp.read(1 << 20)
        if not chunk:
            break
        n += len(chunk)
    conn.close()
    return n


# ------------------------------------------------------------------------------------------------
# process accounting

def proc_cpu_s(pid):
    """utime+stime of a process, in seconds (children excluded)."""
    if not pid:
        return None
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def machine_busy_s():
    """CPU seconds the whole machine has been busy (all cores), from /proc/stat."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    busy = v[0] + v[1] + v[2] + v[5] + v[6] + (v[7] if len(v) > 7 else 0)  # user nice system irq softirq steal
    return busy / os.sysconf("SC_CLK_TCK")


def descendants(pid):
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        try:
            for t in os.listdir("/proc/%d/task" % p):
                with open("/proc/%d/task/%s/children" % (p, t)) as f:
                    kids = [int(x) for x in f.read().split()]
                out += kids
                todo += kids
        except OSError:
            pass
    return out


class CpuWindow:
    """CPU used during a window by the machine, by our processes, and so by everything else."""

    def __init__(self, pids):
        self.pids = [p for p in pids if p]
        for p in list(self.pids):
            self.pids += descendants(p)   # dockerd's containerd and shims

    def __enter__(self):
        self.m0 = machine_busy_s()
        self.p0 = {p: proc_cpu_s(p) for p in self.pids}
        r = os.times()
        self.s0 = r.user + r.system + r.children_user + r.children_system
        self.t0 = time.monotonic()
        return self

    def __exit__(self, *exc):
        r = os.times()
        ours = r.user + r.system + r.children_user + r.children_system - self.s0  # this helper and wrk/curl
        for p, c0 in self.p0.items():
            c1 = proc_cpu_s(p)
            if c0 is not None and c1 is not None:
                ours += c1 - c0
        wall = time.monotonic() - self.t0
        self.others_cores = max(0.0, (machine_busy_s() - self.m0 - ours) / wall) if wall > 0 else None
        return False


def load1():
    try:
        with open("/proc/loadavg") as f:
            return float(f.read().split()[0])
    except (OSError, ValueError):
        return None


def proc_status(pid):
    out = {}
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                k, _, v = line.partition(":")
                v = v.strip()
                if v.endswith(" kB"):
                    out[k] = int(v[:-3])
                elif k == "Threads":
                    out[k] = int(v)
    except OSError:
        return None
    return out


# ------------------------------------------------------------------------------------------------
# wrk

def run_wrk(url, conns, threads, duration, timeout_s=None):
    duration = max(1, int(round(float(duration))))
    cmd = ["wrk", "-t%d" % threads, "-c%d" % conns, "-d%ds" % duration, "--latency",
           "--timeout", "%ds" % (timeout_s or 10), "-s", WRK_LUA, url]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=float(duration) + 60)
    for line in p.stdout.splitlines():
        if line.startswith("WRKJSON "):
            r = json.loads(line[8:])
            r["rps"] = r["requests"] / (r["duration_us"] / 1e6) if r["duration_us"] else 0.0
            r["errors"] = r["connect_errors"] + r["read_errors"] + r["write_errors"] + r["status_errors"] + r["timeouts"]
            return r
    raise RuntimeError("wrk printed no result (exit %d): %s %s" % (p.returncode, p.stdout[-500:], p.stderr[-500:]))


def parse_targets(specs):
    """name=url[,pid] entries."""
    out = []
    for s in specs:
        name, _, rest = s.partition("=")
        url, _, pid = rest.partition(",")
        loopback_url(url)
        out.append({"name": name, "url": url.rstrip("/"), "pid": int(pid) if pid else None})
    return out


def cmd_matrix(a):
    targets = parse_targets(a.target)
    cases = []
    for c in a.case:  # scenario:path:conns
        scen, path, conns = c.split("|")
        cases.append((scen, path, int(conns)))
    if a.warmup > 0:
        paths = []
        for _, path, _ in cases:
            if path not in paths:
                paths.append(path)
        for t in targets:
            for path in paths:
                r = run_wrk(t["url"] + path, 16, 2, a.warmup)
                log("warm-up %-13s %-40s %7.0f req/s" % (t["name"], path, r["rps"]))
    for rnd in range(a.rounds):
        for ci, (scen, path, conns) in enumerate(cases):
            k = (rnd + ci) % len(targets)
            order = targets[k:] + targets[:k]  # rotate: no target is always first
            for t in order:
                cpu0 = proc_cpu_s(t["pid"])
                with CpuWindow([t["pid"], a.daemon_pid]) as win:
                    r = run_wrk(t["url"] + path, conns, 1 if conns == 1 else 2, a.duration)
                cpu1 = proc_cpu_s(t["pid"])
                r["others_cores"] = win.others_cores
                if cpu0 is not None and cpu1 is not None and r["requests"]:
                    r["cpu_us_per_req"] = (cpu1 - cpu0) * 1e6 / r["requests"]
                r.update({"kind": "wrk", "scenario": scen, "path": path, "conns": conns, "target": t["name"], "round": rnd,
                          "load1": load1()})
                append_raw(a.raw, r)
                log("round %d %-13s %-24s c=%-2d %8.0f req/s p50 %6d us p99 %7d us errors %d" % (
                    rnd + 1, t["name"], scen, conns, r["rps"], r["p50_us"], r["p99_us"], r["errors"]))


# ------------------------------------------------------------------------------------------------
# streams: curl over TCP

def curl_transfer(url, upload=None, max_time=300):
    cmd = ["curl", "-s", "-S", "-o", "/dev/null", "--max-time", str(max_time), "-w",
           "%{http_code} %{size_download} %{size_upload} %{time_total} %{time_starttransfer}"]
    if upload:
        cmd += ["-X", "POST", "-H", "Expect:", "-H", "Content-Type: application/x-tar", "-T", upload]
    cmd.append(url)
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=max_time + 30)
    parts = p.stdout.split()
    if len(parts) != 5:
        return {"http_code": 0, "ok": False, "error": p.stderr.strip()[-300:]}
    code, down, up, total, ttfb = int(parts[0]), int(float(parts[1])), int(float(parts[2])), float(parts[3]), float(parts[4])
    nbytes = up if upload else down
    return {"http_code": code, "bytes": nbytes, "time_s": total, "ttfb_s": ttfb,
            "mib_s": nbytes / 1048576.0 / total if total > 0 else 0.0, "ok": p.returncode == 0 and code == 200}


def cmd_streams(a):
    targets = parse_targets(a.target)
    with open(a.fixtures) as f:
        fx = json.load(f)
    if a.warmup:
        for t in targets:
            r = curl_transfer(t["url"] + a.download_path)
            log("warm-up %-13s download %.0f MiB/s" % (t["name"], r.get("mib_s", 0)))
            r = curl_transfer(t["url"] + a.upload_path, upload=a.upload_file)
            log("warm-up %-13s upload   %.0f MiB/s" % (t["name"], r.get("mib_s", 0)))
    for rnd in range(a.rounds):
        for what in ("download", "upload"):
            k = rnd % len(targets)
            for t in targets[k:] + targets[:k]:
                cpu0 = proc_cpu_s(t["pid"])
                if what == "download":
                    r = curl_transfer(t["url"] + a.download_path)
                    r["complete"] = r.get("bytes") == fx["export_bytes"]
                else:
                    r = curl_transfer(t["url"] + a.upload_path, upload=a.upload_file)
                    r["complete"] = r.get("bytes") == fx["load_bytes"]
                cpu1 = proc_cpu_s(t["pid"])
                if cpu0 is not None and cpu1 is not None:
                    r["cpu_s"] = cpu1 - cpu0
                r.update({"kind": "stream", "scenario": what, "target": t["name"], "round": rnd})
                append_raw(a.raw, r)
                log("round %d %-13s %-8s %6.0f MiB/s (%s, %s bytes)" % (
                    rnd + 1, t["name"], what, r.get("mib_s", 0), r.get("http_code"), r.get("bytes")))


# ------------------------------------------------------------------------------------------------
# followers: /events and logs -f

class Stream:
    """A minimal HTTP/1.1 GET over an asyncio TCP connection that yields body chunks as they arrive."""

    def __init__(self, host, port, path):
        self.host, self.port, self.path = host, port, path
        self.reader = self.writer = None
        self.status = None
        self.chunked = False

    async def open(self):
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        self.writer.write(("GET %s HTTP/1.1\r\nHost: docker\r\nUser-Agent: cg-bench\r\n\r\n" % self.path).encode())
        await self.writer.drain()
        head = await self.reader.readuntil(b"\r\n\r\n")
        self.status = int(head.split(b" ", 2)[1])
        self.chunked = b"transfer-encoding: chunked" in head.lower()
        return self.status

    async def chunks(self):
        if self.chunked:
            while True:
                line = await self.reader.readuntil(b"\r\n")
                size = int(line.split(b";")[0], 16)
                if size == 0:
                    return
                # Hand the data on as soon as it is here: a server may send the CRLF that ends a
                # chunk only with the next chunk (Jetty does), and real clients (Go's) do not wait.
                data = await self.reader.readexactly(size)
                yield data
                await self.reader.readexactly(2)
        else:
            while True:
                data = await self.reader.read(65536)
                if not data:
                    return
                yield data

    def close(self):
        if self.writer:
            self.writer.close()


def rfc3339_ns(s):
    # 2026-11-22T17:37:53.066903837Z
    base, _, frac = s.rstrip("Z").partition(".")
    secs = calendar.timegm(time.strptime(base, "%Y-%m-%dT%H:%M:%S"))
    frac = (frac + "000000000")[:9]
    return secs * 1_000_000_000 + int(frac)


async def event_follower(host, port, path, tag_prefix, seen, ready):
    st = Stream(host, port, path)
    try:
        if await st.open() != 200:
            ready.set_result(False) if not ready.done() else None
            return st.status
        if not ready.done():
            ready.set_result(True)
        buf = b""
        async for chunk in st.chunks():
            now = time.time_ns()
            buf += chunk
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                if not line.strip():
                    continue
                ev = json.loads(line)
                name = ev.get("Actor", {}).get("Attributes", {}).get("name", "") or ev.get("id", "")
                if tag_prefix in name:
                    seen[name.rsplit(":", 1)[-1]] = (now - int(ev["timeNano"])) / 1e6
        return 200
    except (asyncio.CancelledError, ConnectionError, asyncio.IncompleteReadError):
        return 200
    finally:
        if not ready.done():
            ready.set_result(False)
        st.close()


async def logs_follower(host, port, path, sent, seen, ready):
    st = Stream(host, port, path)
    try:
        if await st.open() != 200:
            return st.status
        if not ready.done():
            ready.set_result(True)
        buf = b""
        async for chunk in st.chunks():
            now = time.time_ns()
            buf += chunk
            # multiplexed frames: [stream, 0, 0, 0, size32be] payload
            while len(buf) >= 8:
                size = int.from_bytes(buf[4:8], "big")
                if len(buf) < 8 + size:
                    break
                payload, buf = buf[8:8 + size], buf[8 + size:]
                for line in payload.split(b"\n"):
                    line = line.strip()
                    if b" L" in line:  # "<timestamp> L<k>"
                        k = line.rsplit(b" L", 1)[1].decode()
                        if k in sent:
                            seen[k] = (now - sent[k]) / 1e6
        return 200
    except (asyncio.CancelledError, ConnectionError, asyncio.IncompleteReadError):
        return 200
    finally:
        if not ready.done():
            ready.set_result(False)
        st.close()


async def attach_stdin(sock, container):
    r, w = await asyncio.open_unix_connection(sock)
    w.write(("POST /containers/%s/attach?stream=1&stdin=1 HTTP/1.1\r\nHost: docker\r\n"
             "Connection: Upgrade\r\nUpgrade: tcp\r\nContent-Length: 0\r\n\r\n" % container).encode())
    await w.drain()
    head = await r.readuntil(b"\r\n\r\n")
    if not head.startswith(b"HTTP/1.1 101"):
        raise RuntimeError("attach failed: %r" % head[:200])
    return r, w


async def tag_event(sock, image, repo, tag):
    r, w = await asyncio.open_unix_connection(sock)
    q = urllib.parse.urlencode({"repo": repo, "tag": tag})
    w.write(("POST /images/%s/tag?%s HTTP/1.1\r\nHost: docker\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
             % (urllib.parse.quote(image, safe=""), q)).encode())
    await w.drain()
    await r.read()
    w.close()


async def followers_run(url, n_events, n_logs, sock, image, logger, emissions, interval, settle=0.3,
                        background=None):
    """Connect n_events /events followers and n_logs logs -f followers to url; emit `emissions`
    image-tag events and log lines (directly on the daemon's socket); report who got what, and when."""
    host, port = loopback_url(url)
    run_id = "%x" % (time.time_ns() & 0xffffffff)
    repo = "cg-bench/evt-" + run_id
    ev_filter = urllib.parse.quote(json.dumps({"type": ["image"], "event": ["tag"]}))
    ev_path = "/v1.41/events?filters=" + ev_filter
    log_path = "/v1.41/containers/%s/logs?follow=1&stdout=1&stderr=1&tail=0&timestamps=1" % logger
    loop = asyncio.get_running_loop()
    ev_seen = [dict() for _ in range(n_events)]
    lg_seen = [dict() for _ in range(n_logs)]
    sent = {}
    ev_ready = [loop.create_future() for _ in range(n_events)]
    lg_ready = [loop.create_future() for _ in range(n_logs)]
    tasks = [asyncio.ensure_future(event_follower(host, port, ev_path, repo, ev_seen[i], ev_ready[i])) for i in range(n_events)]
    tasks += [asyncio.ensure_future(logs_follower(host, port, log_path, sent, lg_seen[i], lg_ready[i])) for i in range(n_logs)]
    t_conn = time.time()
    try:
        oks = await asyncio.wait_for(asyncio.gather(*ev_ready, *lg_ready), timeout=30)
    except asyncio.TimeoutError:
        oks = [f.done() and f.result() for f in ev_ready + lg_ready]
    connect_s = time.time() - t_conn
    await asyncio.sleep(settle)
    ar, aw = await attach_stdin(sock, logger)
    try:
        for k in range(emissions):
            key = "%s%04d" % (run_id, k)
            await tag_event(sock, image, repo, "t%d" % k)
            await asyncio.sleep(interval / 2)
            sent[key] = time.time_ns()
            aw.write(("L%s\n" % key).encode())
            await aw.drain()
            await asyncio.sleep(interval / 2)
        # wait for stragglers, at most 5 s
        deadline = time.time() + 5
        while time.time() < deadline:
            if all(len(s) >= emissions for s in ev_seen) and all(len(s) >= emissions for s in lg_seen):
                break
            await asyncio.sleep(0.05)
    finally:
        aw.close()
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        # One more event and log line after the followers hung up, as a live daemon would produce:
        # a proxy that learns of a client's departure only when it next writes to it can then
        # release those streams (and does not hold a graceful stop for them).
        try:
            await asyncio.sleep(0.05)
            await tag_event(sock, image, repo, "t%d" % emissions)
            aw2 = (await attach_stdin(sock, logger))[1]
            aw2.write(b"nudge\n")
            await aw2.drain()
            aw2.close()
        except Exception:
            pass
        # remove the tags we made (direct on the daemon)
        for k in range(emissions + 1):
            try:
                await loop.run_in_executor(None, lambda k=k: api(sock, "DELETE", "/images/%s:t%d?noprune=1" % (urllib.parse.quote(repo, safe=""), k), expect=(200, 404, 409)))
            except Exception:
                pass

    def summarize(seen_list, ready):
        lat = [v for s in seen_list for v in s.values()]
        complete = sum(1 for s in seen_list if len(s) >= emissions)
        return {"followers": len(seen_list), "connected": sum(1 for x in ready if x), "complete": complete,
                "expected": emissions * len(seen_list), "received": len(lat),
                "p50_ms": percentile(lat, 50), "p99_ms": percentile(lat, 99), "max_ms": max(lat) if lat else None}
    return {"events": summarize(ev_seen, oks[:n_events]), "logs": summarize(lg_seen, oks[n_events:]),
            "connect_s": connect_s}


def percentile(values, p):
    if not values:
        return None
    v = sorted(values)
    k = max(0, min(len(v) - 1, int(round(p / 100.0 * (len(v) - 1)))))
    return v[k]


def cmd_followers(a):
    targets = parse_targets(a.target)
    for rnd in range(a.rounds):
        k = rnd % len(targets)
        for t in targets[k:] + targets[:k]:
            res = asyncio.run(followers_run(t["url"], a.followers, a.followers, a.sock, a.image, a.logger,
                                            a.emissions, a.interval))
            for what in ("events", "logs"):
                r = dict(res[what])
                r.update({"kind": "follow", "scenario": what, "target": t["name"], "round": rnd})
                append_raw(a.raw, r)
                log("round %d %-13s %-6s %d/%d followers got all %d (%d/%d msgs), p50 %.2f ms p99 %.2f ms" % (
                    rnd + 1, t["name"], what, r["complete"], r["followers"], a.emissions, r["received"], r["expected"],
                    r["p50_ms"] or -1, r["p99_ms"] or -1))


# ------------------------------------------------------------------------------------------------
# start-up time

def ping_once(host, port, timeout=0.5):
    try:
        with socket.create_connection((host, port), timeout=timeout) as s:
            s.sendall(b"GET /_ping HTTP/1.1\r\nHost: docker\r\nConnection: close\r\n\r\n")
            data = b""
            while b"\r\n" not in data:
                d = s.recv(4096)
                if not d:
                    break
                data += d
            return data.startswith(b"HTTP/1.1 200") or data.startswith(b"HTTP/1.0 200")
    except OSError:
        return False


def launch(cmd, env=None, cgroup=None, logfile=None):
    out = open(logfile, "ab") if logfile else subprocess.DEVNULL

    def pre():
        os.setsid()
        if cgroup:
            with open(os.path.join(cgroup, "cgroup.procs"), "w") as f:
                f.write(str(os.getpid()))
    p = subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=out, preexec_fn=pre)
    piddir = os.environ.get("CGB_PIDDIR")
    if piddir:  # so that bench/run can stop it if we are interrupted
        open(os.path.join(piddir, str(p.pid)), "w").close()
    return p


def wait_ready(p, host, port, poll_ms, limit_s=60):
    t0 = time.monotonic()
    while time.monotonic() - t0 < limit_s:
        if ping_once(host, port):
            return time.monotonic() - t0
        if p.poll() is not None:
            return None
        time.sleep(poll_ms / 1000.0)
    return None


def stop(p, grace=15):
    if p.poll() is None:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(grace)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
    piddir = os.environ.get("CGB_PIDDIR")
    if piddir:
        try:
            os.remove(os.path.join(piddir, str(p.pid)))
        except OSError:
            pass
    return p.returncode


def cmd_startup(a):
    host, port = loopback_url(a.url)
    cmd = shlex.split(a.cmd)
    times = []
    for i in range(a.runs):
        if ping_once(host, port):
            raise SystemExit("port %d already answers before launch" % port)
        t0 = time.monotonic()
        p = launch(cmd, logfile=a.log)
        wait = wait_ready(p, host, port, a.poll_ms)
        t = (time.monotonic() - t0) if wait is not None else None
        st = proc_status(p.pid) or {}
        stop(p)
        times.append(t)
        log("start-up %-18s run %d: %s" % (a.name, i + 1, "%.3f s" % t if t is not None else "FAILED"))
        time.sleep(0.2)
    ok = [t for t in times if t is not None]
    append_raw(a.raw, {"kind": "startup", "scenario": "startup", "target": a.name, "runs": times,
                       "median_s": statistics.median(ok) if ok else None, "failed": len(times) - len(ok),
                       "rss_after_start_kib": st.get("VmRSS")})


# ------------------------------------------------------------------------------------------------
# mixed load with memory sampling

def read_int(path):
    try:
        with open(path) as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def read_kv(path):
    out = {}
    try:
        with open(path) as f:
            for line in f:
                parts = line.split()
                if len(parts) == 2:
                    out[parts[0]] = int(parts[1])
    except (OSError, ValueError):
        pass
    return out


def cgroup_make(path, limit_mib):
    """A fresh cgroup-v1 memory group with a hard limit (and no swap, when swap is accounted)."""
    if os.path.isdir(path):
        os.rmdir(path)
    os.makedirs(path)
    with open(os.path.join(path, "memory.limit_in_bytes"), "w") as f:
        f.write(str(limit_mib * 1024 * 1024))
    if os.path.exists(os.path.join(path, "memory.memsw.limit_in_bytes")):
        try:
            with open(os.path.join(path, "memory.memsw.limit_in_bytes"), "w") as f:
                f.write(str(limit_mib * 1024 * 1024))
        except OSError:
            pass
    return path


def cgroup_figures(path):
    out = {"cg_max_usage_bytes": read_int(os.path.join(path, "memory.max_usage_in_bytes")),
           "cg_failcnt": read_int(os.path.join(path, "memory.failcnt")),
           "cg_oom_kill": read_kv(os.path.join(path, "memory.oom_control")).get("oom_kill")}
    stat = read_kv(os.path.join(path, "memory.stat"))
    out["cg_stat_peakish"] = {k: stat.get(k) for k in ("rss", "cache", "mapped_file", "total_rss", "total_cache")}
    return out


def cgroup_remove(path):
    for _ in range(50):
        try:
            os.rmdir(path)
            return
        except FileNotFoundError:
            return
        except OSError:
            time.sleep(0.1)


class MemSampler:
    """Samples /proc/PID/status (and the cgroup's memory.usage_in_bytes) every interval_s, in a thread.
    Peaks come from these samples (the kernel keeps a high-water mark for the whole RSS only, VmHWM)."""
    SERIES = ("RssAnon", "RssFile", "VmRSS", "Threads", "cg_usage")

    def __init__(self, pid, cgroup=None, interval_s=0.02):
        self.pid, self.cgroup, self.interval_s = pid, cgroup, interval_s
        self.samples = []
        self.t0 = time.monotonic()
        self._stop = threading.Event()
        self._th = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            st = proc_status(self.pid)
            if st:
                st["t"] = round(time.monotonic() - self.t0, 3)
                if self.cgroup:
                    st["cg_usage"] = read_int(os.path.join(self.cgroup, "memory.usage_in_bytes"))
                self.samples.append(st)
            self._stop.wait(self.interval_s)

    def start(self):
        self._th.start()
        return self

    def stop(self):
        self._stop.set()
        self._th.join()

    def peak(self, key):
        return max([s.get(key) or 0 for s in self.samples] or [0])

    def series(self):
        """Every sample, compactly: field names once, then one row per sample (KiB; cg_usage in bytes)."""
        fields = ("t",) + self.SERIES
        return {"interval_ms": round(self.interval_s * 1000), "fields": list(fields),
                "rows": [[s.get(k) for k in fields] for s in self.samples]}


def cmd_mixed(a):
    host, port = loopback_url(a.url)
    cmd = shlex.split(a.cmd)
    cg = cgroup_make(a.cgroup, a.cgroup_limit_mib) if a.cgroup_limit_mib else None
    with open(a.fixtures) as f:
        fx = json.load(f)
    t0 = time.monotonic()
    p = launch(cmd, cgroup=cg, logfile=a.log)
    startup = wait_ready(p, host, port, 5)
    rec = {"kind": "mixed", "scenario": "mixed", "target": a.name, "cgroup_limit_mib": a.cgroup_limit_mib,
           "startup_s": startup}
    if startup is None:
        rec.update({"ok": False, "error": "did not answer /_ping", "exit": p.poll()})
        stop(p)
        append_raw(a.raw, rec)
        if cg:
            cgroup_remove(cg)
        log("mixed %-13s FAILED to start" % a.name)
        return
    sampler = MemSampler(p.pid, cg, a.sample_ms / 1000.0).start()
    cpu0 = proc_cpu_s(p.pid)
    idle = proc_status(p.pid) or {}
    results = {}

    def wrk_list():
        results["wrk_list"] = run_wrk(a.url + a.list_path, 16, 2, a.duration)

    def wrk_ping():
        results["wrk_ping"] = run_wrk(a.url + "/_ping", 4, 1, a.duration)

    def transfers():
        time.sleep(min(1.0, a.duration / 4))
        d = curl_transfer(a.url + a.download_path)
        d["complete"] = d.get("bytes") == fx["export_bytes"]
        results["download"] = d
        u = curl_transfer(a.url + a.upload_path, upload=a.upload_file)
        u["complete"] = u.get("bytes") == fx["load_bytes"]
        results["upload"] = u
    def nmt():
        # profiling aid: the JVM's own account of its memory at the height of the load
        # (needs -XX:NativeMemoryTracking=summary in the variant's JAVA_OPTS, and jcmd)
        time.sleep(a.nmt_at)
        q = subprocess.run(["jcmd", str(p.pid), "VM.native_memory", "summary"], capture_output=True, text=True, timeout=30)
        results["nmt"] = q.stdout + q.stderr
        for what in (["GC.heap_info"], ["GC.class_histogram"]):
            q = subprocess.run(["jcmd", str(p.pid)] + what, capture_output=True, text=True, timeout=30)
            results["nmt"] += "\n" + "\n".join((q.stdout + q.stderr).splitlines()[:45])
        st = proc_status(p.pid) or {}
        results["nmt_status"] = st
    fns = [wrk_list, wrk_ping, transfers] + ([nmt] if a.nmt_at else [])
    threads = [threading.Thread(target=f) for f in fns]
    for th2 in threads:
        th2.start()
    emissions = max(5, int(a.duration / 0.2))
    fol = asyncio.run(followers_run(a.url, a.followers, a.followers, a.sock, a.image, a.logger,
                                    emissions, min(0.2, a.duration / emissions)))
    for th2 in threads:
        th2.join()
    cpu1 = proc_cpu_s(p.pid)
    time.sleep(0.2)
    sampler.stop()
    final = proc_status(p.pid) or {}
    alive = p.poll() is None
    rec.update({
        "alive": alive, "exit": p.poll(),
        "vmhwm_kib": final.get("VmHWM") or sampler.peak("VmHWM"),
        "rss_anon_peak_kib": sampler.peak("RssAnon"),
        "rss_file_peak_kib": sampler.peak("RssFile"),
        "vmrss_peak_kib": sampler.peak("VmRSS"),
        "rss_anon_idle_kib": idle.get("RssAnon"), "vmrss_idle_kib": idle.get("VmRSS"),
        "threads_peak": sampler.peak("Threads"),
        "cpu_s": (cpu1 - cpu0) if cpu0 is not None and cpu1 is not None else None,
        "wrk_list": results.get("wrk_list"), "wrk_ping": results.get("wrk_ping"),
        "download": results.get("download"), "upload": results.get("upload"),
        "events": fol["events"], "logs": fol["logs"], "samples": len(sampler.samples),
        "series": sampler.series()})
    if a.nmt_at:
        rec["nmt"] = results.get("nmt")
        rec["nmt_status"] = results.get("nmt_status")
    if cg:
        rec.update(cgroup_figures(cg))
    failed = 0
    for k in ("wrk_list", "wrk_ping"):
        r = results.get(k)
        failed += (r["errors"] if r else 1)
    rec["wrk_errors"] = sum((results.get(k) or {}).get("errors", 0) for k in ("wrk_list", "wrk_ping"))
    for k in ("download", "upload"):
        r = results.get(k)
        failed += 0 if (r and r.get("ok") and r.get("complete")) else 1
    for k in ("events", "logs"):
        failed += fol[k]["expected"] - fol[k]["received"]
    rec["failed_requests"] = failed
    rec["ok"] = alive and failed == 0 and not rec.get("cg_oom_kill")
    t_stop = time.monotonic()
    stop(p, grace=a.stop_grace)
    rec["stop_s"] = round(time.monotonic() - t_stop, 3) if alive else None
    rec["stop_killed"] = alive and p.returncode == -signal.SIGKILL
    if cg:
        rec["cg_oom_kill_after"] = read_kv(os.path.join(cg, "memory.oom_control")).get("oom_kill")
        cgroup_remove(cg)
    append_raw(a.raw, rec)
    log("mixed %-13s%s: VmHWM %.1f MiB, RssAnon peak %.1f MiB, RssFile peak %.1f MiB%s, failed %d, alive %s" % (
        a.name, " (cgroup %d MiB)" % a.cgroup_limit_mib if cg else "", rec["vmhwm_kib"] / 1024.0,
        rec["rss_anon_peak_kib"] / 1024.0, rec["rss_file_peak_kib"] / 1024.0,
        (", cgroup max_usage %.1f MiB failcnt %s oom_kill %s" % (rec["cg_max_usage_bytes"] / 1048576.0, rec["cg_failcnt"], rec["cg_oom_kill"])) if cg else "",
        failed, alive))


# ------------------------------------------------------------------------------------------------
# issue 11 loads: wrk on the container list and on one inspect, /events and logs -f followers, on a
# freshly started process in a memory cgroup

def wrk_threads(conns):
    return 1 if conns <= 8 else 2


def cmd_load(a):
    host, port = loopback_url(a.url)
    cmd = shlex.split(a.cmd)
    cg = cgroup_make(a.cgroup, a.cgroup_limit_mib) if a.cgroup_limit_mib else None
    p = launch(cmd, cgroup=cg, logfile=a.log)
    startup = wait_ready(p, host, port, 5)
    rec = {"kind": "load", "scenario": a.scenario, "target": a.name, "cgroup_limit_mib": a.cgroup_limit_mib,
           "startup_s": startup, "duration_s": a.duration, "list_conns": a.list_conns,
           "inspect_conns": a.inspect_conns, "event_followers": a.event_followers, "log_followers": a.log_followers,
           "sample_ms": a.sample_ms}
    if startup is None:
        rec.update({"ok": False, "alive": False, "error": "did not answer /_ping", "exit": p.poll()})
        stop(p)
        if cg:
            rec.update(cgroup_figures(cg))
            cgroup_remove(cg)
        append_raw(a.raw, rec)
        log("load %-8s %-14s FAILED to start" % (a.scenario, a.name))
        return
    sampler = MemSampler(p.pid, cg, a.sample_ms / 1000.0).start()
    idle = proc_status(p.pid) or {}
    cpu0 = proc_cpu_s(p.pid)
    results = {}

    def wrk(key, path, conns):
        try:
            results[key] = run_wrk(a.url + path, conns, wrk_threads(conns), a.duration)
        except Exception as e:  # a wrk that printed nothing: every request it would have made is lost
            results[key] = {"failed": str(e)[:300]}
    threads = [threading.Thread(target=wrk, args=("wrk_list", a.list_path, a.list_conns)),
               threading.Thread(target=wrk, args=("wrk_inspect", a.inspect_path, a.inspect_conns))]
    for th in threads:
        th.start()
    # emissions end about a second before wrk does, so every message is sent under the full load
    emissions = max(5, int((a.duration - 1.5) / a.interval))
    fol = asyncio.run(followers_run(a.url, a.event_followers, a.log_followers, a.sock, a.image, a.logger,
                                    emissions, a.interval))
    for th in threads:
        th.join()
    cpu1 = proc_cpu_s(p.pid)
    time.sleep(0.2)
    sampler.stop()
    final = proc_status(p.pid) or {}
    alive = p.poll() is None
    rec.update({
        "alive": alive, "exit": p.poll(),
        "vmhwm_kib": final.get("VmHWM") or sampler.peak("VmHWM"),
        "rss_anon_peak_kib": sampler.peak("RssAnon"), "rss_file_peak_kib": sampler.peak("RssFile"),
        "vmrss_peak_kib": sampler.peak("VmRSS"), "threads_peak": sampler.peak("Threads"),
        "rss_anon_idle_kib": idle.get("RssAnon"), "vmrss_idle_kib": idle.get("VmRSS"),
        "rss_anon_end_kib": final.get("RssAnon"),
        "cpu_s": (cpu1 - cpu0) if cpu0 is not None and cpu1 is not None else None,
        "wrk_list": results.get("wrk_list"), "wrk_inspect": results.get("wrk_inspect"),
        "events": fol["events"], "logs": fol["logs"], "follower_connect_s": fol["connect_s"],
        "samples": len(sampler.samples), "series": sampler.series()})
    if cg:
        rec.update(cgroup_figures(cg))
    # failed requests: wrk's socket errors (connect, read, write, timeout) and non-2xx/3xx answers, and
    # every follower message that did not arrive (a follower that could not connect misses them all)
    wrk_err = 0
    for k in ("wrk_list", "wrk_inspect"):
        r = results.get(k) or {}
        rec[k + "_rps"] = r.get("rps")
        if "failed" in r or not r:
            wrk_err += 1
        else:
            wrk_err += r["errors"]
    missed = sum(fol[k]["expected"] - fol[k]["received"] for k in ("events", "logs"))
    rec.update({"wrk_errors": wrk_err, "follower_missed": missed, "failed_requests": wrk_err + missed})
    rec["ok"] = alive and rec["failed_requests"] == 0 and not rec.get("cg_oom_kill")
    t_stop = time.monotonic()
    stop(p, grace=a.stop_grace)
    rec["stop_s"] = round(time.monotonic() - t_stop, 3) if alive else None
    rec["stop_killed"] = alive and p.returncode == -signal.SIGKILL
    if cg:
        rec["cg_oom_kill_after"] = read_kv(os.path.join(cg, "memory.oom_control")).get("oom_kill")
        cgroup_remove(cg)
    append_raw(a.raw, rec)
    log("load %-8s %-14s%s: RssAnon peak %.1f MiB, VmHWM %.1f MiB%s, list %s req/s, inspect %s req/s, "
        "wrk errors %d, follower msgs missed %d, alive %s" % (
            a.scenario, a.name, " (cgroup %d MiB)" % a.cgroup_limit_mib if cg else "",
            rec["rss_anon_peak_kib"] / 1024.0, rec["vmhwm_kib"] / 1024.0,
            (", cgroup max_usage %.1f MiB oom_kill %s" % ((rec.get("cg_max_usage_bytes") or 0) / 1048576.0,
                                                           rec.get("cg_oom_kill"))) if cg else "",
            fmt(rec["wrk_list_rps"], 0), fmt(rec["wrk_inspect_rps"], 0), wrk_err, missed, alive))


# ------------------------------------------------------------------------------------------------
# idle footprint: memory held per idle keep-alive connection and per idle stream

def read_http_head(s, deadline_s):
    """Read a response's status line and headers from a blocking socket; returns (status, headers, rest)."""
    s.settimeout(deadline_s)
    buf = b""
    while b"\r\n\r\n" not in buf:
        d = s.recv(4096)
        if not d:
            raise ConnectionError("closed before the response head")
        buf += d
    head, _, rest = buf.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    hdrs = {}
    for ln in lines[1:]:
        k, _, v = ln.partition(b":")
        hdrs[k.strip().lower().decode()] = v.strip().decode()
    return status, hdrs, rest


def http_ping_keepalive(s, deadline_s=10):
    """One GET /_ping on an open connection, reading the whole answer and leaving the connection open."""
    s.sendall(b"GET /_ping HTTP/1.1\r\nHost: docker\r\nUser-Agent: cg-bench\r\n\r\n")
    status, hdrs, rest = read_http_head(s, deadline_s)
    if "content-length" in hdrs:
        n = int(hdrs["content-length"])
        while len(rest) < n:
            d = s.recv(4096)
            if not d:
                raise ConnectionError("closed in the body")
            rest += d
    elif "chunked" in hdrs.get("transfer-encoding", "").lower():
        while not rest.endswith(b"0\r\n\r\n"):
            d = s.recv(4096)
            if not d:
                raise ConnectionError("closed in the body")
            rest += d
    if status != 200:
        raise ConnectionError("status %d" % status)
    if hdrs.get("connection", "").lower() == "close":
        raise ConnectionError("the server closes the connection after /_ping")


def open_idle_item(host, port, kind, path):
    s = socket.create_connection((host, port), timeout=10)
    try:
        if kind == "conns":
            http_ping_keepalive(s)
        else:
            s.sendall(("GET %s HTTP/1.1\r\nHost: docker\r\nUser-Agent: cg-bench\r\n\r\n" % path).encode())
            status, _, _ = read_http_head(s, 10)
            if status != 200:
                raise ConnectionError("status %d" % status)
        s.setblocking(False)
        return s
    except Exception:
        s.close()
        raise


def still_open(s):
    """True if the server has not closed this idle connection (nothing to read, or only data)."""
    try:
        d = s.recv(65536)
        return bool(d)
    except BlockingIOError:
        return True
    except OSError:
        return False


def settled_status(pid, min_s, max_s=None, window_s=1.0, tol_kib=64):
    """/proc/PID/status once RssAnon has stopped moving: after at least min_s, when the last window_s of
    samples (every 100 ms) lie within tol_kib, or at max_s."""
    max_s = max_s or min_s + 4
    t0 = time.monotonic()
    hist = []
    while True:
        st = proc_status(pid)
        if not st:
            return None
        now = time.monotonic()
        hist.append((now, st.get("RssAnon", 0)))
        if now - t0 >= min_s:
            recent = [v for t, v in hist if t >= now - window_s]
            if max(recent) - min(recent) <= tol_kib or now - t0 >= max_s:
                st["settle_s"] = round(now - t0, 2)
                return st
        time.sleep(0.1)


def cmd_idle(a):
    host, port = loopback_url(a.url)
    cmd = shlex.split(a.cmd)
    ev_filter = urllib.parse.quote(json.dumps({"label": ["org.cetusguard.bench.idle=nothing-matches"]}))
    paths = {"conns": "/_ping",
             "events": "/v1.41/events?filters=" + ev_filter,
             "logs": "/v1.41/containers/%s/logs?follow=1&stdout=1&stderr=1&tail=0" % a.logger}
    counts = {"conns": a.conns, "events": a.streams, "logs": a.streams}
    for kind in a.kinds.split(","):
        n = counts[kind]
        p = launch(cmd, logfile=a.log)
        startup = wait_ready(p, host, port, 5)
        rec = {"kind": "idle", "scenario": kind, "target": a.name, "n": n, "warmup_items": a.warmup_items,
               "startup_s": startup}
        if startup is None:
            rec.update({"ok": False, "error": "did not answer /_ping", "exit": p.poll()})
            stop(p)
            append_raw(a.raw, rec)
            log("idle %-6s %-14s FAILED to start" % (kind, a.name))
            continue
        socks = []
        try:
            rec["cold"] = proc_status(p.pid)
            # Warm-up, so that one-time costs (classes loaded, code compiled, pools and buffers made
            # for the first request or stream) are not counted per item: pings on throwaway
            # connections, then a few items of the kind measured, which stay open to the end.
            for _ in range(a.warmup_pings):
                if not ping_once(host, port, timeout=5):
                    raise RuntimeError("warm-up /_ping failed")
            for _ in range(a.warmup_items):
                socks.append(open_idle_item(host, port, kind, paths[kind]))
            before = settled_status(p.pid, a.settle)
            errors = []
            t_open = time.monotonic()
            opened = 0
            for _ in range(n):
                try:
                    socks.append(open_idle_item(host, port, kind, paths[kind]))
                    opened += 1
                except Exception as e:
                    errors.append(str(e)[:120])
            open_s = time.monotonic() - t_open
            after = settled_status(p.pid, a.settle)
            alive_items = sum(1 for s in socks[a.warmup_items:] if still_open(s))
            for s in socks:
                s.close()
            socks = []
            closed = settled_status(p.pid, a.settle)
            alive = p.poll() is None
            d_anon = (after["RssAnon"] - before["RssAnon"]) if before and after else None
            d_rss = (after["VmRSS"] - before["VmRSS"]) if before and after else None
            rec.update({
                "before": before, "after": after, "after_close": closed, "opened": opened,
                "open_errors": len(errors), "open_error_samples": errors[:5], "open_s": round(open_s, 3),
                "still_open_at_measure": alive_items, "alive": alive,
                "rss_anon_delta_kib": d_anon, "vmrss_delta_kib": d_rss,
                "threads_delta": (after.get("Threads", 0) - before.get("Threads", 0)) if before and after else None,
                "per_item_rss_anon_kib": d_anon / n if d_anon is not None and n else None,
                "per_item_vmrss_kib": d_rss / n if d_rss is not None and n else None,
                "ok": alive and opened == n and alive_items == n})
        except Exception as e:
            rec.update({"ok": False, "error": str(e)[:300], "alive": p.poll() is None})
        finally:
            for s in socks:
                s.close()
            stop(p, grace=a.stop_grace)
        append_raw(a.raw, rec)
        if rec.get("per_item_rss_anon_kib") is not None:
            log("idle %-6s %-14s %d items: RssAnon %d -> %d KiB (%+.1f KiB per item), VmRSS %+.1f KiB per item, "
                "threads %+d, open errors %d, still open %d, after close %d KiB" % (
                    kind, a.name, n, rec["before"]["RssAnon"], rec["after"]["RssAnon"], rec["per_item_rss_anon_kib"],
                    rec["per_item_vmrss_kib"], rec["threads_delta"], rec["open_errors"], rec["still_open_at_measure"],
                    (rec.get("after_close") or {}).get("RssAnon", -1)))
        else:
            log("idle %-6s %-14s FAILED: %s" % (kind, a.name, rec.get("error")))


# ------------------------------------------------------------------------------------------------
# report

def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def fmt(v, nd=0):
    if v is None:
        return "–"
    if isinstance(v, float):
        return ("%%.%df" % nd) % v
    return str(v)


def ratio(a, b):
    if not isinstance(a, (int, float)) or not isinstance(b, (int, float)) or b == 0:
        return None
    return a / b


def fmt_mib(kib, nd=1):
    return fmt(kib / 1024.0, nd) if isinstance(kib, (int, float)) else "–"


def fmt_x(r, nd=2):
    return (fmt(r, nd) + "×") if r is not None else "–"


WRK_ERR_KINDS = (("connect_errors", "connect"), ("read_errors", "read"), ("write_errors", "write"),
                 ("timeouts", "timeout"), ("status_errors", "non-2xx/3xx"))


def wrk_err_breakdown(results):
    """'read 37, write 2' over one or more wrk results (empty when none failed)."""
    tot = {k: 0 for k, _ in WRK_ERR_KINDS}
    for r in results:
        for k, _ in WRK_ERR_KINDS:
            tot[k] += (r or {}).get(k) or 0
    return ", ".join("%s %d" % (label, tot[k]) for k, label in WRK_ERR_KINDS if tot[k])


def cmd_report(a):
    recs = []
    with open(a.raw) as f:
        for line in f:
            if line.strip():
                recs.append(json.loads(line))
    with open(a.meta) as f:
        meta = json.load(f)
    targets = meta["targets"]  # ordered names
    main_hap = meta.get("haproxy_ref", "haproxy")
    cg = meta.get("cetusguard_ref", "cetusguard")
    go = meta.get("go_ref") or "go-cetusguard"
    go_measured = bool(meta.get("go_ref"))
    rows = []   # dicts: metric, unit, better, per-target values, ratios

    def add(metric, unit, better, values, note=""):
        row = {"metric": metric, "unit": unit, "better": better, "values": values, "note": note}
        row["cg_vs_go"] = ratio(values.get(cg), values.get(go))
        row["cg_vs_haproxy"] = ratio(values.get(cg), values.get(main_hap))
        row["cg_vs_direct"] = ratio(values.get(cg), values.get("direct"))
        rows.append(row)
        return row

    wrk = [r for r in recs if r["kind"] == "wrk"]
    cases = []
    for r in wrk:
        key = (r["scenario"], r["conns"])
        if key not in cases:
            cases.append(key)
    summary_wrk = {}
    for scen, conns in cases:
        sel = {t: [r for r in wrk if r["scenario"] == scen and r["conns"] == conns and r["target"] == t] for t in targets}
        cs = "%s, %d conn%s" % (scen, conns, "s" if conns > 1 else "")
        vals = {t: med([r["rps"] for r in rs]) for t, rs in sel.items()}
        add("%s: throughput" % cs, "req/s", "higher", vals)
        p50 = {t: med([r["p50_us"] for r in rs]) for t, rs in sel.items()}
        p99 = {t: med([r["p99_us"] for r in rs]) for t, rs in sel.items()}
        add("%s: p50 latency" % cs, "µs", "lower", p50)
        add("%s: p99 latency" % cs, "µs", "lower", p99)
        cpu = {t: med([r.get("cpu_us_per_req") for r in rs]) for t, rs in sel.items()}
        add("%s: CPU of the serving process per request" % cs, "µs", "lower", cpu, "direct = dockerd itself")
        errs = {t: sum(r["errors"] for r in rs) if rs else None for t, rs in sel.items()}
        add("%s: wrk errors (socket errors + non-2xx/3xx answers, all rounds)" % cs, "", "lower", errs)
        summary_wrk[(scen, conns)] = {"rps": vals, "p50": p50, "p99": p99, "errors": errs}
    streams = [r for r in recs if r["kind"] == "stream"]
    for what in ("download", "upload"):
        sel = {t: [r for r in streams if r["scenario"] == what and r["target"] == t] for t in targets}
        if not any(sel.values()):
            continue
        label = {"download": "download GET /containers/{id}/export", "upload": "upload POST /images/load"}[what]
        add("%s (%d MiB)" % (label, (meta.get("fixtures", {}).get("export_bytes" if what == "download" else "load_bytes", 0)) >> 20),
            "MiB/s", "higher", {t: med([r.get("mib_s") for r in rs if r.get("ok")]) for t, rs in sel.items()})
        add("%s: CPU of the serving process" % what, "s", "lower",
            {t: med([r.get("cpu_s") for r in rs]) for t, rs in sel.items()}, "direct = dockerd itself")
    fol = [r for r in recs if r["kind"] == "follow"]
    for what in ("events", "logs"):
        sel = {t: [r for r in fol if r["scenario"] == what and r["target"] == t] for t in targets}
        if not any(sel.values()):
            continue
        n = max(r["followers"] for rs in sel.values() for r in rs)
        name = {"events": "/events", "logs": "logs -f"}[what]
        add("%s, %d followers: emission→receipt p50" % (name, n), "ms", "lower",
            {t: med([r["p50_ms"] for r in rs]) for t, rs in sel.items()})
        add("%s, %d followers: emission→receipt p99" % (name, n), "ms", "lower",
            {t: med([r["p99_ms"] for r in rs]) for t, rs in sel.items()})
        add("%s, %d followers: messages received / expected" % (name, n), "", "",
            {t: "%d/%d" % (sum(r["received"] for r in rs), sum(r["expected"] for r in rs)) if rs else None for t, rs in sel.items()})
    st = [r for r in recs if r["kind"] == "startup"]
    st_by = {r["target"]: r for r in st}
    start_row = tar_row = None
    if st:
        nruns = max(len(r["runs"]) for r in st)
        start_row = add("start-up: launch → first answered /_ping (median of %d)" % nruns, "s", "lower",
                        {r["target"]: r["median_s"] for r in st if r["target"] != "cetusguard-tarball"})
        if "cetusguard-tarball" in st_by:
            vals = {t: v for t, v in start_row["values"].items() if t != cg}
            vals[cg] = st_by["cetusguard-tarball"]["median_s"]
            tar_row = add("start-up from the unpacked tarball (its bin/cetusguard; others as above)", "s", "lower", vals)
    mem_rows = [r for r in recs if r["kind"] == "mixed"]
    loads = [r for r in recs if r["kind"] == "load"]
    idles = [r for r in recs if r["kind"] == "idle"]

    # --- issue 11's memory loads and idle footprint: metric rows with a column per measured process
    mem_targets = []
    for r in loads + idles:
        if r["target"] not in mem_targets:
            mem_targets.append(r["target"])
    mem_targets.sort(key=lambda t: (t != cg, t != go, t))
    load_rows = []

    def load_get(scen, t):
        rs = [r for r in loads if r["scenario"] == scen and r["target"] == t]
        return rs[0] if rs else None

    def madd(table, metric, unit, values):
        row = {"metric": metric, "unit": unit, "values": values,
               "cg_vs_go": ratio(values.get(cg), values.get(go))}
        table.append(row)
        return row
    load_scens = []
    for r in loads:
        if r["scenario"] not in load_scens:
            load_scens.append(r["scenario"])
    for scen in load_scens:
        g = {t: load_get(scen, t) for t in mem_targets}
        g = {t: r for t, r in g.items() if r}

        def v(fn):
            return {t: fn(r) for t, r in g.items()}
        madd(load_rows, "%s: RssAnon peak" % scen, "MiB", v(lambda r: (r.get("rss_anon_peak_kib") or 0) / 1024.0 if "rss_anon_peak_kib" in r else None))
        madd(load_rows, "%s: VmHWM" % scen, "MiB", v(lambda r: (r.get("vmhwm_kib") or 0) / 1024.0 if "vmhwm_kib" in r else None))
        madd(load_rows, "%s: RssFile peak" % scen, "MiB", v(lambda r: (r.get("rss_file_peak_kib") or 0) / 1024.0 if "rss_file_peak_kib" in r else None))
        madd(load_rows, "%s: cgroup memory.max_usage_in_bytes" % scen, "MiB",
             v(lambda r: r["cg_max_usage_bytes"] / 1048576.0 if r.get("cg_max_usage_bytes") is not None else None))
        madd(load_rows, "%s: RssAnon after start" % scen, "MiB", v(lambda r: r["rss_anon_idle_kib"] / 1024.0 if r.get("rss_anon_idle_kib") else None))
        madd(load_rows, "%s: threads (peak)" % scen, "", v(lambda r: r.get("threads_peak")))
        madd(load_rows, "%s: container list req/s (%s conns)" % (scen, "/".join(sorted({str(r["list_conns"]) for r in g.values()}))), "req/s",
             v(lambda r: r.get("wrk_list_rps")))
        madd(load_rows, "%s: inspect req/s (%s conns)" % (scen, "/".join(sorted({str(r["inspect_conns"]) for r in g.values()}))), "req/s",
             v(lambda r: r.get("wrk_inspect_rps")))
        madd(load_rows, "%s: CPU of the process" % scen, "s", v(lambda r: r.get("cpu_s")))
        madd(load_rows, "%s: OOM kills (memory.oom_control oom_kill)" % scen, "", v(lambda r: r.get("cg_oom_kill")))
        madd(load_rows, "%s: memory.failcnt" % scen, "", v(lambda r: r.get("cg_failcnt")))
        madd(load_rows, "%s: wrk errors (socket + non-2xx/3xx)" % scen, "", v(lambda r: r.get("wrk_errors")))
        madd(load_rows, "%s: wrk errors by kind" % scen, "",
             v(lambda r: wrk_err_breakdown([r.get("wrk_list"), r.get("wrk_inspect")]) or "none"))
        madd(load_rows, "%s: /events emission→receipt p99" % scen, "ms", v(lambda r: (r.get("events") or {}).get("p99_ms")))
        madd(load_rows, "%s: logs -f emission→receipt p99" % scen, "ms", v(lambda r: (r.get("logs") or {}).get("p99_ms")))
        madd(load_rows, "%s: follower messages missed" % scen, "", v(lambda r: r.get("follower_missed")))
        madd(load_rows, "%s: failed requests (sum of the two above)" % scen, "", v(lambda r: r.get("failed_requests")))
        madd(load_rows, "%s: alive at the end" % scen, "", v(lambda r: "yes" if r.get("alive") else "NO"))
    idle_rows = []
    idle_label = {"conns": "per idle keep-alive connection (after one /_ping)", "events": "per idle /events stream",
                  "logs": "per idle logs -f stream (quiet container)"}
    for kind in ("conns", "events", "logs"):
        g = {t: [r for r in idles if r["scenario"] == kind and r["target"] == t] for t in mem_targets}
        g = {t: rs[0] for t, rs in g.items() if rs}
        if not g:
            continue
        n = max(r["n"] for r in g.values())
        madd(idle_rows, "RssAnon %s, N=%d" % (idle_label[kind], n), "KiB",
             {t: r.get("per_item_rss_anon_kib") for t, r in g.items()})
        madd(idle_rows, "VmRSS %s, N=%d" % (idle_label[kind], n), "KiB",
             {t: r.get("per_item_vmrss_kib") for t, r in g.items()})
        madd(idle_rows, "%s: RssAnon before → after N" % kind, "MiB",
             {t: ("%s → %s" % (fmt_mib((r.get("before") or {}).get("RssAnon")), fmt_mib((r.get("after") or {}).get("RssAnon"))))
              if r.get("before") else None for t, r in g.items()})
        madd(idle_rows, "%s: RssAnon after closing them" % kind, "MiB",
             {t: (r.get("after_close") or {}).get("RssAnon", 0) / 1024.0 if r.get("after_close") else None for t, r in g.items()})
        madd(idle_rows, "%s: threads added" % kind, "", {t: r.get("threads_delta") for t, r in g.items()})
        madd(idle_rows, "%s: opened / still open at the measure" % kind, "",
             {t: "%s/%s" % (r.get("opened"), r.get("still_open_at_measure")) if "opened" in r else ("FAILED: %s" % r.get("error"))
              for t, r in g.items()})

    # --- targets of issue 11
    checks11 = []

    def check11(label, value, goal, ok, why_na=""):
        checks11.append({"target": label, "measured": value if ok is not None or not why_na else why_na, "goal": goal,
                         "status": "n/a" if ok is None else ("met" if ok else "MISSED")})
    no_go = "not measured: Go CetusGuard not given (--go-cetusguard)"
    for scen, label in (("_ping", "`/_ping`"), ("container list", "container list"), ("container inspect", "inspect")):
        s = summary_wrk.get((scen, 16))
        if not s:
            check11("%s throughput at 16 conns ≥ 1.0× Go" % label, "", "≥ 1.0×", None, "not measured")
            continue
        r = ratio(s["rps"].get(cg), s["rps"].get(go))
        check11("%s throughput at 16 conns ≥ 1.0× Go" % label,
                "%s (%s vs %s req/s)" % (fmt_x(r, 3), fmt(s["rps"].get(cg), 0), fmt(s["rps"].get(go), 0)),
                "≥ 1.0×", None if r is None else r >= 1.0, "" if go_measured else no_go)
    for scen, label in (("_ping", "`/_ping`"), ("container list", "container list"), ("container inspect", "inspect")):
        s = summary_wrk.get((scen, 1))
        if not s:
            check11("p50 at 1 conn ≤ Go's (%s)" % label, "", "≤ Go", None, "not measured")
            continue
        c, gv = s["p50"].get(cg), s["p50"].get(go)
        ok = None if c is None or gv is None else c <= gv
        check11("p50 at 1 conn ≤ Go's (%s)" % label, "%s vs %s µs (%s)" % (fmt(c, 0), fmt(gv, 0), fmt_x(ratio(c, gv), 3)),
                "≤ Go", ok, "" if go_measured else no_go)
    for scen, peak_goal in (("moderate", 32), ("double", None)):
        r = load_get(scen, cg)
        gr = load_get(scen, go)
        lim = (r or {}).get("cgroup_limit_mib") or 64
        label = "`%s` load in a %d MiB cgroup: no OOM kill, no failed request%s" % (
            scen, lim, (", peak RssAnon ≤ %d MiB" % peak_goal) if peak_goal else "")
        if not r:
            check11(label, "", "", None, "not measured: " + (meta.get("cgroup_note") or "no run"))
            continue
        ok = bool(r.get("alive")) and not r.get("cg_oom_kill") and r.get("failed_requests") == 0
        if peak_goal:
            ok = ok and (r.get("rss_anon_peak_kib") or 1 << 30) <= peak_goal * 1024
        check11(label, "RssAnon peak %s MiB, oom_kill %s, failed %s (wrk %s, followers %s), alive %s%s" % (
            fmt_mib(r.get("rss_anon_peak_kib")), r.get("cg_oom_kill"), r.get("failed_requests"), r.get("wrk_errors"),
            r.get("follower_missed"), "yes" if r.get("alive") else "NO",
            ("; Go: %s MiB, oom_kill %s, failed %s" % (fmt_mib(gr.get("rss_anon_peak_kib")), gr.get("cg_oom_kill"),
                                                       gr.get("failed_requests"))) if gr else ""),
            "0 OOM, 0 failed" + (", ≤ %d MiB" % peak_goal if peak_goal else ""), ok)
    for key, label in ((cg, "checkout's bin/cetusguard"), ("cetusguard-tarball", "unpacked tarball's bin/cetusguard")):
        r = st_by.get(key)
        gsr = st_by.get(go)
        if not r:
            check11("first answered request ≤ 300 ms after launch (%s)" % label, "", "≤ 0.300 s", None,
                    "not measured: " + (meta.get("tarball_note") or "no run"))
            continue
        m = r["median_s"]
        check11("first answered request ≤ 300 ms after launch (%s)" % label,
                "%s s%s" % (fmt(m, 3) if m is not None else "failed", (" (Go: %s s)" % fmt(gsr["median_s"], 3)) if gsr else ""),
                "≤ 0.300 s", None if m is None else m <= 0.300)
    ic = {k: [r for r in idles if r["target"] == cg and r["scenario"] == k] for k in ("conns", "events", "logs")}
    if any(ic.values()):
        def per(k):
            rs = ic[k]
            return fmt(rs[0].get("per_item_rss_anon_kib"), 1) if rs else "–"
        check11("memory held per idle connection / stream (stated in the README; no bound)",
                "%s KiB per keep-alive connection, %s KiB per /events stream, %s KiB per logs -f stream (RssAnon)"
                % (per("conns"), per("events"), per("logs")), "stated", None)
        checks11[-1]["status"] = "info"

    # --- targets of issue 5
    checks = []

    def check(label, value, goal, ok):
        checks.append({"target": label, "measured": value, "goal": goal,
                       "status": "n/a" if ok is None else ("met" if ok else "MISSED")})
    for scen, label in (("_ping", "_ping"), ("container list", "container list")):
        s = summary_wrk.get((scen, 16))
        if s:
            r = ratio(s["rps"].get(cg), s["rps"].get(main_hap))
            check("%s throughput at 16 conns ≥ 1.0× HAProxy" % label, fmt(r, 2) + "×" if r else "–", "≥ 1.0×",
                  None if r is None else r >= 1.0)
    s = summary_wrk.get(("container list", 16))
    if s:
        r = ratio(s["rps"].get(cg), s["rps"].get("direct"))
        check("container list throughput at 16 conns ≥ 0.6× direct", fmt(r, 2) + "×" if r else "–", "≥ 0.6×",
              None if r is None else r >= 0.6)
    for scen in ("_ping", "container list"):
        s = summary_wrk.get((scen, 1))
        if s and s["p50"].get(cg) is not None and s["p50"].get("direct") is not None:
            ov = s["p50"][cg] - s["p50"]["direct"]
            check("p50 overhead at 1 conn (%s) ≤ 150 µs" % scen, "%+.0f µs" % ov, "≤ 150 µs", ov <= 150)
    for what in ("download", "upload"):
        row = [x for x in rows if x["metric"].startswith(what) and x["unit"] == "MiB/s"]
        if row:
            r = row[0]["cg_vs_direct"]
            check("%s MiB/s ≥ 0.8× direct" % what, fmt(r, 2) + "×" if r else "–", "≥ 0.8×", None if r is None else r >= 0.8)
    cgm = [r for r in mem_rows if r.get("cgroup_limit_mib") and r["target"] == cg]
    if cgm:
        r = cgm[0]
        ok = r.get("ok") and r.get("rss_anon_peak_kib", 1 << 30) <= 48 * 1024
        check("RssAnon ≤ 48 MiB under mixed load in a %d MiB cgroup, no OOM, no failed request" % r["cgroup_limit_mib"],
              "%s MiB, oom_kill %s, failed %s, alive %s" % (fmt(r.get("rss_anon_peak_kib", 0) / 1024.0, 1), r.get("cg_oom_kill"),
                                                           r.get("failed_requests"), r.get("alive")),
              "≤ 48 MiB, 0, 0, yes", bool(ok))
    else:
        check("RssAnon ≤ 48 MiB in a 64 MiB cgroup", "not measured: " + meta.get("cgroup_note", "cgroups unavailable"), "", None)
    srow = st_by.get(cg)
    if srow:
        m = srow["median_s"]
        check("first request < 1 s after launch", fmt(m, 3) + " s" if m else "failed", "< 1 s", None if m is None else m < 1.0)

    # --- Markdown
    L = []
    L.append("# CetusGuard benchmark — %s on %s" % (meta["date"], meta["host"]))
    L.append("")
    L.append("Mode `%s`, %s. Command: `%s`." % (meta["mode"], meta["duration_note"], meta["command"]))
    L.append("")
    L.append("Machine: %s. Software: %s." % (meta["machine"], meta["software"]))
    L.append("")
    L.append("Targets, all on loopback TCP, all talking to the same private dockerd:")
    for t in targets:
        L.append("- **%s**: %s" % (t, meta["target_notes"].get(t, "")))
    if not go_measured:
        L.append("- **go-cetusguard**: NOT MEASURED (no `--go-cetusguard PATH` / `CGB_GO_CETUSGUARD`): the ratios "
                 "and targets against the Go original are empty")
    L.append("")
    L.append("Figures are medians over %s interleaved rounds (target order rotated each round) after a warm-up. "
             "Ratios: CetusGuard / Go CetusGuard, CetusGuard / HAProxy (%s) and CetusGuard / direct; for latencies, "
             "memory and CPU a ratio < 1 is better." % (meta["rounds"], main_hap))
    L.append("")
    L.append("## Issue 11 targets")
    L.append("")
    if meta.get("load_note"):
        L.append(meta["load_note"])
        L.append("")
    L.append("| target | measured | goal | status |")
    L.append("|---|---|---|---|")
    for c in checks11:
        L.append("| %s | %s | %s | %s |" % (c["target"], c["measured"], c["goal"], c["status"]))
    L.append("")
    L.append("## Issue 5 targets")
    L.append("")
    L.append("| target | measured | goal | status |")
    L.append("|---|---|---|---|")
    for c in checks:
        L.append("| %s | %s | %s | %s |" % (c["target"], c["measured"], c["goal"], c["status"]))
    L.append("")
    L.append("## Figures")
    L.append("")
    hdr = "| scenario | unit | " + " | ".join(targets) + " | CG/Go | CG/HAProxy | CG/direct |"
    L.append(hdr)
    L.append("|" + "---|" * (len(targets) + 5))
    for r in rows:
        nd = 0
        if r["unit"] in ("ms", "s"):
            nd = 3 if r["unit"] == "s" else 2
        if r["unit"] == "µs" and "CPU" in r["metric"]:
            nd = 1
        vals = " | ".join(fmt(r["values"].get(t), nd) if not isinstance(r["values"].get(t), str) else r["values"][t] for t in targets)
        L.append("| %s | %s | %s | %s | %s | %s |" % (r["metric"], r["unit"], vals, fmt_x(r["cg_vs_go"]),
                                                      fmt_x(r["cg_vs_haproxy"]), fmt_x(r["cg_vs_direct"])))
    L.append("")
    if load_rows:
        lr = [r for r in loads if r["target"] == cg] or loads
        L.append("## Issue 11 loads in a %s MiB memory cgroup" % (lr[0].get("cgroup_limit_mib") or "–"))
        L.append("")
        desc = []
        for scen in load_scens:
            r0 = [r for r in loads if r["scenario"] == scen][0]
            desc.append("`%s`: %d connections on the container list + %d on one container's inspect (wrk), %d `/events` "
                        "and %d `logs -f` followers (an event and a log line every 0.2 s), %s s"
                        % (scen, r0["list_conns"], r0["inspect_conns"], r0["event_followers"], r0["log_followers"],
                           fmt(r0["duration_s"], 0)))
        L.append("Each on a freshly started process, alone in a cgroup-v1 memory group with that hard limit "
                 "(CetusGuard with the start script's defaults and no JAVA_OPTS). " + "; ".join(desc) + ". "
                 "`/proc/PID/status` sampled every %s ms. Failed requests = wrk socket errors and non-2xx/3xx answers + "
                 "follower messages that never arrived." % fmt(lr[0].get("sample_ms"), 0))
        if meta.get("load_note"):
            L.append("")
            L.append(meta["load_note"])
        L.append("")
        L.append("| metric | unit | " + " | ".join(mem_targets) + " | CG/Go |")
        L.append("|" + "---|" * (len(mem_targets) + 3))
        for r in load_rows:
            nd = {"MiB": 1, "s": 1, "ms": 2}.get(r["unit"], 0)
            vals = " | ".join(r["values"][t] if isinstance(r["values"].get(t), str) else fmt(r["values"].get(t), nd)
                              for t in mem_targets)
            L.append("| %s | %s | %s | %s |" % (r["metric"], r["unit"], vals,
                                                fmt_x(r["cg_vs_go"]) if r["unit"] in ("MiB", "req/s", "s", "ms") else "–"))
        L.append("")
    if idle_rows:
        i0 = [r for r in idles if r.get("before")] or idles
        L.append("## Idle footprint")
        L.append("")
        L.append("Each kind on a freshly started process (default flags, no cgroup). Warm-up first (%s `/_ping` on "
                 "throwaway connections, then %s items of the kind measured, left open), RssAnon read once it has "
                 "settled (at least %s s, until it moves less than 64 KiB in 1 s); then N items opened "
                 "(a keep-alive connection that sent one `/_ping`; an `/events` stream with a filter nothing matches; "
                 "a `logs -f` of the quiet `cat` container; headers received, nothing flowing), RssAnon read again "
                 "once settled. Per item = (after − before) / N." % (
                     meta.get("idle_warmup_pings", "100"), i0[0].get("warmup_items"), meta.get("idle_settle_s", 2)))
        L.append("")
        L.append("| metric | unit | " + " | ".join(mem_targets) + " | CG/Go |")
        L.append("|" + "---|" * (len(mem_targets) + 3))
        for r in idle_rows:
            nd = 1
            vals = " | ".join(r["values"][t] if isinstance(r["values"].get(t), str) else fmt(r["values"].get(t), nd)
                              for t in mem_targets)
            L.append("| %s | %s | %s | %s |" % (r["metric"], r["unit"], vals,
                                                fmt_x(r["cg_vs_go"]) if r["unit"] == "KiB" else "–"))
        L.append("")
    if mem_rows:
        L.append("## Memory under the mixed load")
        L.append("")
        L.append("Mixed load on a freshly started process for %s s: wrk 16 conns on the container list + wrk 4 conns "
                 "on `/_ping` + %s `/events` and %s `logs -f` followers (an event and a log line every 0.2 s) + one "
                 "export download and one image upload. Sampled every %s ms from `/proc/PID/status`."
                 % (meta.get("mixed_duration"), meta.get("followers"), meta.get("followers"),
                    fmt((mem_rows[0].get("series") or {}).get("interval_ms", 50))))
        L.append("")
        L.append("| process | VmHWM MiB | RssAnon peak MiB | RssAnon peak CG/Go | RssFile peak MiB | RssAnon after start MiB | "
                 "threads | CPU s | cgroup max_usage MiB | failcnt | oom_kill | failed requests | alive | list req/s | SIGTERM→exit s |")
        L.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
        for r in mem_rows:
            gr = [x for x in mem_rows if x["target"] == go and bool(x.get("cgroup_limit_mib")) == bool(r.get("cgroup_limit_mib"))]
            rr = ratio(r.get("rss_anon_peak_kib"), gr[0].get("rss_anon_peak_kib")) if gr and r["target"] != go else None
            L.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
                r["target"] + (" in %d MiB cgroup" % r["cgroup_limit_mib"] if r.get("cgroup_limit_mib") else ""),
                fmt((r.get("vmhwm_kib") or 0) / 1024.0, 1), fmt((r.get("rss_anon_peak_kib") or 0) / 1024.0, 1), fmt_x(rr),
                fmt((r.get("rss_file_peak_kib") or 0) / 1024.0, 1),
                fmt((r.get("rss_anon_idle_kib") or 0) / 1024.0, 1), fmt(r.get("threads_peak")), fmt(r.get("cpu_s"), 1),
                fmt(r["cg_max_usage_bytes"] / 1048576.0, 1) if r.get("cg_max_usage_bytes") else "–",
                fmt(r.get("cg_failcnt")), fmt(r.get("cg_oom_kill")), fmt(r.get("failed_requests")),
                "yes" if r.get("alive") else "NO", fmt((r.get("wrk_list") or {}).get("rps"), 0),
                (">%s (killed)" % fmt(r.get("stop_s"), 1)) if r.get("stop_killed") else fmt(r.get("stop_s"), 2)))
        L.append("")
    err_notes = []
    for scen, conns in cases:
        for t in targets:
            rs = [r for r in wrk if r["scenario"] == scen and r["conns"] == conns and r["target"] == t]
            b = wrk_err_breakdown(rs)
            if b:
                err_notes.append("%s on %s, %d conn%s (%s of %d requests)" % (
                    t, scen, conns, "s" if conns > 1 else "", b, sum(r["requests"] for r in rs)))
    if err_notes:
        meta.setdefault("notes", []).append(
            "wrk errors by kind (a read error is a keep-alive connection the server closed or reset while wrk "
            "waited for an answer): " + "; ".join(err_notes) + ".")
    others = sorted(r["others_cores"] for r in wrk if r.get("others_cores") is not None)
    if others:
        med_o = statistics.median(others)
        meta.setdefault("notes", []).append(
            "CPU used by processes other than this benchmark's (wrk, the target, the private dockerd and its containerd) "
            "during the wrk runs: median %.2f cores, max %.2f cores of %d.%s" % (
                med_o, others[-1], os.cpu_count() or 0,
                " **Other work was running on the machine: the figures are disturbed; compare ratios from the same run, "
                "and rerun on a quiet machine.**" if med_o > 0.25 else ""))
    if meta.get("notes"):
        L.append("## Notes")
        L.append("")
        for n in meta["notes"]:
            L.append("- " + n)
        L.append("")
    md = "\n".join(L)
    with open(a.out + ".md", "w") as f:
        f.write(md)

    def tsv_val(v):
        if v is None:
            return ""
        if isinstance(v, float):
            return "%.4g" % v if abs(v) < 1e4 else "%.0f" % v
        return str(v)
    with open(a.out + ".tsv", "w") as f:
        f.write("metric\tunit\t" + "\t".join(targets) + "\tcg_vs_go\tcg_vs_haproxy\tcg_vs_direct\n")
        for r in rows:
            f.write("%s\t%s\t%s\t%s\t%s\t%s\n" % (r["metric"], r["unit"],
                                                   "\t".join(tsv_val(r["values"].get(t)) for t in targets),
                                                   "" if r["cg_vs_go"] is None else "%.4f" % r["cg_vs_go"],
                                                   "" if r["cg_vs_haproxy"] is None else "%.4f" % r["cg_vs_haproxy"],
                                                   "" if r["cg_vs_direct"] is None else "%.4f" % r["cg_vs_direct"]))
        # issue 11 loads and idle footprint: one metric per line too, in the same columns
        for prefix, table in (("issue 11 load", load_rows), ("idle footprint", idle_rows)):
            for r in table:
                f.write("%s: %s\t%s\t%s\t%s\t\t\n" % (prefix, r["metric"], r["unit"],
                                                     "\t".join(tsv_val(r["values"].get(t)) for t in targets),
                                                     "" if r["cg_vs_go"] is None else "%.4f" % r["cg_vs_go"]))
        for r in mem_rows:
            label = "mixed load memory: " + r["target"] + (" in %d MiB cgroup" % r["cgroup_limit_mib"] if r.get("cgroup_limit_mib") else "")
            for k in ("vmhwm_kib", "rss_anon_peak_kib", "rss_file_peak_kib", "cg_max_usage_bytes", "cg_failcnt", "cg_oom_kill", "failed_requests"):
                if k in r:
                    f.write("%s: %s\t\t%s\n" % (label, k, r[k]))
        for c in checks11:
            f.write("issue 11 target: %s\t\t%s\n" % (c["target"], c["status"]))
    with open(a.out + ".json", "w") as f:
        json.dump({"meta": meta, "rows": rows, "checks_issue11": checks11, "checks": checks,
                   "load_rows": load_rows, "idle_rows": idle_rows, "memory": mem_rows, "loads": loads, "idle": idles,
                   "raw": [r for r in recs if r["kind"] not in ("mixed", "load", "idle")]},
                  f, indent=1, sort_keys=True, default=str)
    print(md)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("setup")
    s.add_argument("--sock", required=True)
    s.add_argument("--image", required=True)
    s.add_argument("--containers", type=int, default=20)
    s.add_argument("--big-mib", type=int, default=200)
    s.add_argument("--load-tar", required=True)
    s.add_argument("--out", required=True)
    s.set_defaults(func=cmd_setup)

    s = sub.add_parser("matrix")
    s.add_argument("--raw", required=True)
    s.add_argument("--target", action="append", required=True)
    s.add_argument("--case", action="append", required=True, help="scenario|path|conns")
    s.add_argument("--rounds", type=int, default=3)
    s.add_argument("--duration", type=float, default=5)
    s.add_argument("--warmup", type=float, default=2)
    s.add_argument("--daemon-pid", type=int, default=0)
    s.set_defaults(func=cmd_matrix)

    s = sub.add_parser("streams")
    s.add_argument("--raw", required=True)
    s.add_argument("--target", action="append", required=True)
    s.add_argument("--fixtures", required=True)
    s.add_argument("--download-path", required=True)
    s.add_argument("--upload-path", required=True)
    s.add_argument("--upload-file", required=True)
    s.add_argument("--rounds", type=int, default=3)
    s.add_argument("--warmup", type=int, default=1)
    s.set_defaults(func=cmd_streams)

    s = sub.add_parser("followers")
    s.add_argument("--raw", required=True)
    s.add_argument("--target", action="append", required=True)
    s.add_argument("--sock", required=True)
    s.add_argument("--image", required=True)
    s.add_argument("--logger", required=True)
    s.add_argument("--followers", type=int, default=50)
    s.add_argument("--emissions", type=int, default=20)
    s.add_argument("--interval", type=float, default=0.1)
    s.add_argument("--rounds", type=int, default=1)
    s.set_defaults(func=cmd_followers)

    s = sub.add_parser("startup")
    s.add_argument("--raw", required=True)
    s.add_argument("--name", required=True)
    s.add_argument("--url", required=True)
    s.add_argument("--cmd", required=True)
    s.add_argument("--runs", type=int, default=5)
    s.add_argument("--poll-ms", type=float, default=5)
    s.add_argument("--log")
    s.set_defaults(func=cmd_startup)

    s = sub.add_parser("mixed")
    s.add_argument("--raw", required=True)
    s.add_argument("--name", required=True)
    s.add_argument("--url", required=True)
    s.add_argument("--cmd", required=True)
    s.add_argument("--fixtures", required=True)
    s.add_argument("--sock", required=True)
    s.add_argument("--image", required=True)
    s.add_argument("--logger", required=True)
    s.add_argument("--list-path", required=True)
    s.add_argument("--download-path", required=True)
    s.add_argument("--upload-path", required=True)
    s.add_argument("--upload-file", required=True)
    s.add_argument("--followers", type=int, default=50)
    s.add_argument("--duration", type=float, default=10)
    s.add_argument("--cgroup")
    s.add_argument("--cgroup-limit-mib", type=int, default=0)
    s.add_argument("--stop-grace", type=float, default=15, help="seconds between SIGTERM and SIGKILL")
    s.add_argument("--nmt-at", type=float, default=0, help="run jcmd VM.native_memory summary this many seconds in")
    s.add_argument("--sample-ms", type=float, default=20, help="/proc/PID/status sampling interval")
    s.add_argument("--log")
    s.set_defaults(func=cmd_mixed)

    s = sub.add_parser("load")
    s.add_argument("--raw", required=True)
    s.add_argument("--scenario", required=True, help="a label: moderate, double")
    s.add_argument("--name", required=True)
    s.add_argument("--url", required=True)
    s.add_argument("--cmd", required=True)
    s.add_argument("--sock", required=True)
    s.add_argument("--image", required=True)
    s.add_argument("--logger", required=True)
    s.add_argument("--list-path", required=True)
    s.add_argument("--inspect-path", required=True)
    s.add_argument("--list-conns", type=int, default=8)
    s.add_argument("--inspect-conns", type=int, default=8)
    s.add_argument("--event-followers", type=int, default=4)
    s.add_argument("--log-followers", type=int, default=4)
    s.add_argument("--interval", type=float, default=0.2, help="seconds between emissions (one event and one log line)")
    s.add_argument("--duration", type=float, default=28)
    s.add_argument("--cgroup")
    s.add_argument("--cgroup-limit-mib", type=int, default=0)
    s.add_argument("--sample-ms", type=float, default=20, help="/proc/PID/status sampling interval")
    s.add_argument("--stop-grace", type=float, default=15)
    s.add_argument("--log")
    s.set_defaults(func=cmd_load)

    s = sub.add_parser("idle")
    s.add_argument("--raw", required=True)
    s.add_argument("--name", required=True)
    s.add_argument("--url", required=True)
    s.add_argument("--cmd", required=True)
    s.add_argument("--logger", required=True)
    s.add_argument("--kinds", default="conns,events,logs")
    s.add_argument("--conns", type=int, default=200, help="idle keep-alive connections")
    s.add_argument("--streams", type=int, default=100, help="idle /events streams, and idle logs -f streams")
    s.add_argument("--warmup-pings", type=int, default=100)
    s.add_argument("--warmup-items", type=int, default=5)
    s.add_argument("--settle", type=float, default=2.0, help="seconds to wait (at least) before reading RssAnon")
    s.add_argument("--stop-grace", type=float, default=15)
    s.add_argument("--log")
    s.set_defaults(func=cmd_idle)

    s = sub.add_parser("report")
    s.add_argument("--raw", required=True)
    s.add_argument("--meta", required=True)
    s.add_argument("--out", required=True, help="path without extension")
    s.set_defaults(func=cmd_report)

    a = ap.parse_args()
    a.func(a)


if __name__ == "__main__":
    main()
