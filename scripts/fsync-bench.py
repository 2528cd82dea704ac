#!/usr/bin/env python3
"""fdatasync after each append, by several writers at once (three nodes of a cluster on one disk), into: a file that
grows with every write; one given its length up front (sparse), as SegmentedLogOptions.Preallocate does for log
segments; and one whose blocks were written with zeros first, as SegmentedLogOptions.ZeroAheadBytes keeps ahead of the
log's tail. Prints each kind's fdatasync latency over all writers and CPU per append+sync; never fails on a number.
    scripts/fsync-bench.py [directory=.] [appends=3000] [bytes=1500] [writers=3]"""
import os, resource, sys, tempfile, threading, time

directory = sys.argv[1] if len(sys.argv) > 1 else "."
appends = int(sys.argv[2]) if len(sys.argv) > 2 else 3000
size = int(sys.argv[3]) if len(sys.argv) > 3 else 1500
writers = int(sys.argv[4]) if len(sys.argv) > 4 else 3
length = appends * size + (1 << 20)


def prepare(kind):
    fd, path = tempfile.mkstemp(dir=directory, prefix="fsync-bench-")
    if kind == "preallocated":
        os.ftruncate(fd, length)
    elif kind == "zero-filled":
        zeros = bytes(1 << 20)
        for offset in range(0, length, len(zeros)):
            os.pwrite(fd, zeros[: min(len(zeros), length - offset)], offset)
    os.fsync(fd)
    return fd, path


def write(fd, waits):
    record, offset = b"x" * size, 0
    for _ in range(appends):
        os.pwrite(fd, record, offset)
        offset += size
        t = time.perf_counter()
        os.fdatasync(fd)
        waits.append(time.perf_counter() - t)


def run(kind):
    files = [prepare(kind) for _ in range(writers)]
    try:
        waits = [[] for _ in files]
        threads = [threading.Thread(target=write, args=(fd, w)) for (fd, _), w in zip(files, waits)]
        before, start = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed, after = time.perf_counter() - start, resource.getrusage(resource.RUSAGE_SELF)
        cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
        every = sorted(w for ws in waits for w in ws)
        pick = lambda q: every[min(len(every) - 1, int(len(every) * q))] * 1e3
        return pick(0.5), pick(0.9), pick(0.99), elapsed / appends * 1e6, cpu / (appends * writers) * 1e6
    finally:
        for fd, path in files:
            os.close(fd)
            os.remove(path)


print(f"{writers} writers, each {appends} appends of {size} bytes to a file of its own in {os.path.abspath(directory)}, each followed by fdatasync")
for round_ in range(2):
    for kind in ("growing", "preallocated", "zero-filled"):
        p50, p90, p99, total, cpu = run(kind)
        print(f"round {round_ + 1} {kind:13} fdatasync p50 {p50:.3f} ms p90 {p90:.3f} ms p99 {p99:.3f} ms; per round of appends {total:.1f} us, CPU per append {cpu:.1f} us")
