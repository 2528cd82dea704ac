#!/usr/bin/env python3
"""fdatasync after each append, by several writers at once (three nodes of a cluster on one disk), into: a file that
grows with every write; one given its length up front (sparse), as SegmentedLogOptions.Preallocate does for log
segments; one whose blocks were written with zeros first, as SegmentedLogOptions.ZeroAheadBytes keeps ahead of the
log's tail; and that zero-filled one written with O_DIRECT (each append rewrites the 4 KiB blocks it touches from an
aligned buffer, the tail block's earlier bytes included, then fdatasync: no page cache, so the sync has only the
disk's cache to flush). Prints each kind's latency of an append with its fdatasync over all writers, and CPU per
append; never fails on a number.
    scripts/fsync-bench.py [directory=.] [appends=3000] [bytes=1500] [writers=3]"""
import mmap, os, resource, sys, tempfile, threading, time

directory = sys.argv[1] if len(sys.argv) > 1 else "."
appends = int(sys.argv[2]) if len(sys.argv) > 2 else 3000
size = int(sys.argv[3]) if len(sys.argv) > 3 else 1500
writers = int(sys.argv[4]) if len(sys.argv) > 4 else 3
length = appends * size + (1 << 20)


def prepare(kind):
    fd, path = tempfile.mkstemp(dir=directory, prefix="fsync-bench-")
    if kind == "preallocated":
        os.ftruncate(fd, length)
    elif kind.startswith("zero-filled"):
        zeros = bytes(1 << 20)
        for offset in range(0, length, len(zeros)):
            os.pwrite(fd, zeros[: min(len(zeros), length - offset)], offset)
    os.fsync(fd)
    if kind == "zero-filled-direct":
        os.close(fd)
        fd = os.open(path, os.O_WRONLY | os.O_DIRECT)
    return fd, path


BLOCK = 4096


def block_start(offset):
    return offset & ~(BLOCK - 1)


def write_direct(fd, waits):
    # The aligned buffer mirrors the file from the tail block on: each append copies its record in and writes the
    # whole blocks from the tail block's start, then syncs (the time measured is the write and the sync together).
    buffer, offset = mmap.mmap(-1, ((size + 2 * BLOCK) // BLOCK + 1) * BLOCK), 0
    record = b"x" * size
    for _ in range(appends):
        start = block_start(offset)
        buffer[offset - start : offset - start + size] = record
        end = block_start(offset + size + BLOCK - 1)
        t = time.perf_counter()
        os.pwritev(fd, [memoryview(buffer)[: end - start]], start)
        os.fdatasync(fd)
        waits.append(time.perf_counter() - t)
        offset += size
        keep = offset & (BLOCK - 1)
        if block_start(offset) != start:
            buffer[:keep] = buffer[offset - start - keep : offset - start]
            buffer[keep:] = bytes(len(buffer) - keep)  # past the records the file holds zeros


def write(fd, waits):
    record, offset = b"x" * size, 0
    for _ in range(appends):
        t = time.perf_counter()
        os.pwrite(fd, record, offset)
        offset += size
        os.fdatasync(fd)
        waits.append(time.perf_counter() - t)


def run(kind):
    files = [prepare(kind) for _ in range(writers)]
    try:
        waits = [[] for _ in files]
        target = write_direct if kind.endswith("direct") else write
        threads = [threading.Thread(target=target, args=(fd, w)) for (fd, _), w in zip(files, waits)]
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
    for kind in ("growing", "preallocated", "zero-filled", "zero-filled-direct"):
        p50, p90, p99, total, cpu = run(kind)
        print(f"round {round_ + 1} {kind:18} write+fdatasync p50 {p50:.3f} ms p90 {p90:.3f} ms p99 {p99:.3f} ms; per round of appends {total:.1f} us, CPU per append {cpu:.1f} us")
