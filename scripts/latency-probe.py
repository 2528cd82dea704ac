#!/usr/bin/env python3
"""Single-client write latency probe: SET probe:<n> over one RESP connection, one request at a time, until SIGTERM
or --seconds. Writes one line per request to --out: <send time, Unix ns> <latency, us>. No dependencies.
   scripts/latency-probe.py --port 6379 --out probe.txt [--seconds 60]
   scripts/latency-probe.py --summarize probe.txt --from NS --to NS     (p50/p99/max of requests sent in [from, to])
"""
import argparse, signal, socket, sys, time


def probe(port, out, seconds):
    stop = False

    def on_term(*_):
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, on_term)
    sock = socket.create_connection(("127.0.0.1", port))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    deadline = time.time() + seconds
    n = 0
    with open(out, "w") as f:
        while not stop and time.time() < deadline:
            key = b"probe:%d" % (n % 1000)
            request = b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$1\r\nx\r\n" % (len(key), key)
            sent = time.time_ns()
            start = time.perf_counter_ns()
            sock.sendall(request)
            reply = b""
            while not reply.endswith(b"\r\n"):
                chunk = sock.recv(256)
                if not chunk:
                    raise SystemExit("connection closed")
                reply += chunk
            f.write("%d %d\n" % (sent, (time.perf_counter_ns() - start) // 1000))
            if not reply.startswith(b"+OK"):
                print("probe: unexpected reply %r" % reply, file=sys.stderr)
            n += 1


def summarize(path, t_from, t_to):
    inside, before = [], []
    for line in open(path):
        sent, us = map(int, line.split())
        if t_from <= sent <= t_to:
            inside.append(us)
        elif sent < t_from:
            before.append(us)

    def stats(values):
        if not values:
            return "no requests"
        values.sort()
        pick = lambda q: values[min(len(values) - 1, int(q * len(values)))] / 1000
        return "n=%d p50=%.2f p99=%.2f max=%.2f ms" % (len(values), pick(0.5), pick(0.99), values[-1] / 1000)

    print("before snapshot: " + stats(before))
    print("during snapshot: " + stats(inside))


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int)
    p.add_argument("--out")
    p.add_argument("--seconds", type=float, default=600)
    p.add_argument("--summarize")
    p.add_argument("--from", dest="t_from", type=int)
    p.add_argument("--to", dest="t_to", type=int)
    a = p.parse_args()
    if a.summarize:
        summarize(a.summarize, a.t_from, a.t_to)
    else:
        probe(a.port, a.out, a.seconds)
