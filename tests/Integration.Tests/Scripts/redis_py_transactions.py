"""redis-py (Debian's python3-redis) transactions against one RaftKV node: pipeline(), WATCH and WatchError,
the transaction() retry helper, EXECABORT. Usage: redis_py_transactions.py PORT PREFIX. Prints OK and exits 0 on
success; any failure (redis-py missing included) exits non-zero."""
import sys

import redis

port, prefix = int(sys.argv[1]), sys.argv[2]
r = redis.Redis(host="127.0.0.1", port=port, socket_timeout=30)
other = redis.Redis(host="127.0.0.1", port=port, socket_timeout=30)
k = lambda name: prefix + ":" + name

# A pipeline is MULTI ... EXEC: the replies of every queued command, in order.
p = r.pipeline()
p.set(k("a"), "1")
p.incr(k("b"))
p.get(k("a"))
p.lpush(k("a"), "wrongtype")
result = p.execute(raise_on_error=False)
assert result[:3] == [True, 1, b"1"], result
assert isinstance(result[3], redis.ResponseError) and "WRONGTYPE" in str(result[3]), result

# WATCH, a change by another client, EXEC: WatchError, and nothing applied.
r.set(k("w"), "0")
with r.pipeline() as p:
    p.watch(k("w"))
    value = int(p.get(k("w")))
    other.set(k("w"), "changed")
    p.multi()
    p.set(k("w"), value + 1)
    try:
        p.execute()
        raise SystemExit("expected WatchError")
    except redis.WatchError:
        pass
assert r.get(k("w")) == b"changed", r.get(k("w"))

# The same without a conflict applies.
with r.pipeline() as p:
    p.watch(k("w"))
    p.multi()
    p.set(k("w"), "mine")
    assert p.execute() == [True]
assert r.get(k("w")) == b"mine"


def increment(pipe):
    current = int(pipe.get(k("c")) or 0)
    pipe.multi()
    pipe.set(k("c"), current + 1)


r.transaction(increment, k("c"))
r.transaction(increment, k("c"))
assert r.get(k("c")) == b"2", r.get(k("c"))

# A queue-time error: EXECABORT, nothing applied.
p = r.pipeline()
p.set(k("x"), "1")
p.execute_command("NOSUCHCOMMAND")
try:
    p.execute()
    raise SystemExit("expected EXECABORT")
except redis.ResponseError as e:
    assert "EXECABORT" in str(e) or "unknown command" in str(e), str(e)
assert r.exists(k("x")) == 0

print("OK")
