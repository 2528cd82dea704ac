#!/usr/bin/env python3
"""Time from --since (Unix ns, e.g. the moment a leader was killed) to the first SET acknowledged with +OK by any of
the given RESP ports. One thread per port retries over its own connection (reconnecting after errors or a reply slower
than --attempt-ms), so no node's slow answer delays trying the others. Prints the milliseconds and the port; exits 1
after --limit-s without an OK. No dependencies.
   scripts/first-write.py --since NS --ports 6380,6381 [--attempt-ms 300] [--limit-s 30]
"""
import argparse, socket, sys, threading, time


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--since", type=int, required=True)
    parser.add_argument("--ports", required=True)
    parser.add_argument("--attempt-ms", type=int, default=300)
    parser.add_argument("--limit-s", type=float, default=30)
    args = parser.parse_args()
    done = threading.Event()
    winner = []
    request = b"*3\r\n$3\r\nSET\r\n$14\r\nfailover-probe\r\n$1\r\n1\r\n"

    def attempt(port):
        while not done.is_set():
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=args.attempt_ms / 1000) as sock:
                    sock.settimeout(args.attempt_ms / 1000)
                    while not done.is_set():
                        sock.sendall(request)
                        reply = b""
                        while not reply.endswith(b"\r\n"):
                            chunk = sock.recv(4096)
                            if not chunk:
                                raise ConnectionError("closed")
                            reply += chunk
                        if reply.startswith(b"+OK"):
                            if not done.is_set():
                                winner.append((time.time_ns(), port))
                                done.set()
                            return
                        time.sleep(0.01)
            except (OSError, ConnectionError):
                time.sleep(0.01)

    threads = [threading.Thread(target=attempt, args=(int(p),), daemon=True) for p in args.ports.split(",")]
    for t in threads:
        t.start()
    done.wait(args.limit_s)
    if not winner:
        print(f"no write acknowledged within {args.limit_s:.0f} s")
        sys.exit(1)
    at, port = winner[0]
    print(f"{(at - args.since) // 1_000_000} {port}")


main()
