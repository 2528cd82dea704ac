#!/usr/bin/env python3
"""fdatasync after each append: a file that grows with every write vs one given its length up front (sparse), as
SegmentedLogOptions.Preallocate does for log segments. Prints latency and CPU per append+sync; never fails on a number.
    scripts/fsync-bench.py [directory=.] [appends=3000] [bytes=1500]"""
import os, resource, sys, tempfile, time

directory = sys.argv[1] if len(sys.argv) > 1 else "."
appends = int(sys.argv[2]) if len(sys.argv) > 2 else 3000
size = int(sys.argv[3]) if len(sys.argv) > 3 else 1500


def run(preallocate):
    fd, path = tempfile.mkstemp(dir=directory, prefix="fsync-bench-")
    try:
        if preallocate:
            os.ftruncate(fd, appends * size + (1 << 20))
            os.fsync(fd)
        record, waits, offset = b"x" * size, [], 0
        before, start = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
        for _ in range(appends):
            os.pwrite(fd, record, offset)
            offset += size
            t = time.perf_counter()
            os.fdatasync(fd)
            waits.append(time.perf_counter() - t)
        elapsed, after = time.perf_counter() - start, resource.getrusage(resource.RUSAGE_SELF)
        cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
        waits.sort()
        return waits[len(waits) // 2] * 1e3, waits[len(waits) * 9 // 10] * 1e3, elapsed / appends * 1e6, cpu / appends * 1e6
    finally:
        os.close(fd)
        os.remove(path)


print(f"{appends} appends of {size} bytes in {os.path.abspath(directory)}, each followed by fdatasync")
for round_ in range(2):
    for label, preallocate in (("growing", False), ("preallocated", True)):
        p50, p90, total, cpu = run(preallocate)
        print(f"round {round_ + 1} {label:13} fdatasync p50 {p50:.3f} ms p90 {p90:.3f} ms; per append {total:.1f} us, CPU {cpu:.1f} us")
