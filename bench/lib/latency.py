#!/usr/bin/env python3
"""Per-request latency of one GET on several Unix-socket targets, measured side by side.

Usage: latency.py --path PATH --rounds R --per-round N [--warmup W] [--json OUT] NAME=SOCKET...

One keep-alive HTTP/1.1 connection per target. Each round sends N requests to every target in
turn, the order rotated from round to round, so that whatever else the machine does falls on all
targets alike. Every answer must be 200 and its body is read whole (Content-Length or chunked).
Prints, per target: requests, p50, mean, p90, p99 (microseconds), and the body size.
"""
import argparse
import json
import socket
import statistics
import sys
import time


class Conn:
    def __init__(self, path):
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(path)
        self.buf = b""

    def _fill(self):
        data = self.sock.recv(262144)
        if not data:
            raise IOError("connection closed by " + self.path)
        self.buf += data

    def _line(self):
        while b"\r\n" not in self.buf:
            self._fill()
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _take(self, n):
        while len(self.buf) < n:
            self._fill()
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def get(self, target):
        self.sock.sendall(("GET %s HTTP/1.1\r\nHost: docker\r\nUser-Agent: cg-latency\r\n\r\n" % target).encode())
        status = int(self._line().split(b" ", 2)[1])
        headers = {}
        while True:
            line = self._line()
            if not line:
                break
            k, v = line.split(b":", 1)
            headers[k.strip().lower()] = v.strip()
        if b"content-length" in headers:
            body = self._take(int(headers[b"content-length"]))
        elif headers.get(b"transfer-encoding", b"").lower() == b"chunked":
            parts = []
            while True:
                size = int(self._line().split(b";")[0], 16)
                if size == 0:
                    while self._line():
                        pass
                    break
                parts.append(self._take(size))
                self._take(2)
            body = b"".join(parts)
        else:
            raise IOError("an answer without length from " + self.path)
        return status, body


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--path", required=True)
    ap.add_argument("--rounds", type=int, default=10)
    ap.add_argument("--per-round", type=int, default=250)
    ap.add_argument("--warmup", type=int, default=2000)
    ap.add_argument("--json")
    ap.add_argument("targets", nargs="+")
    args = ap.parse_args()

    targets = []
    for t in args.targets:
        name, path = t.split("=", 1)
        targets.append((name, Conn(path)))
    sizes = {}
    for name, conn in targets:
        for _ in range(args.warmup):
            status, body = conn.get(args.path)
            if status != 200:
                sys.exit("%s answered %d: %r" % (name, status, body[:200]))
        sizes[name] = len(body)
    samples = {name: [] for name, _ in targets}
    clock = time.perf_counter_ns
    for r in range(args.rounds):
        order = targets[r % len(targets):] + targets[:r % len(targets)]
        for name, conn in order:
            out = samples[name]
            for _ in range(args.per_round):
                t0 = clock()
                status, _ = conn.get(args.path)
                out.append(clock() - t0)
                if status != 200:
                    sys.exit("%s answered %d" % (name, status))
    result = {}
    print("%-14s %8s %9s %9s %9s %9s %8s" % ("target", "requests", "p50 us", "mean us", "p90 us", "p99 us", "bytes"))
    for name, _ in targets:
        s = sorted(samples[name])
        n = len(s)
        row = {
            "requests": n,
            "p50_us": s[n // 2] / 1000,
            "mean_us": statistics.fmean(s) / 1000,
            "p90_us": s[int(n * 0.9)] / 1000,
            "p99_us": s[int(n * 0.99)] / 1000,
            "body_bytes": sizes[name],
        }
        result[name] = row
        print("%-14s %8d %9.0f %9.0f %9.0f %9.0f %8d" % (name, n, row["p50_us"], row["mean_us"], row["p90_us"], row["p99_us"],
                                                    sizes[name]))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"path": args.path, "rounds": args.rounds, "per_round": args.per_round, "targets": result}, f, indent=2)


if __name__ == "__main__":
    main()
