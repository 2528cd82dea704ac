"""redis-py (Debian's python3-redis, RESP2) client-side caching on a follower, in Redis's two-connection mode: a
connection subscribed to __redis__:invalidate receives the invalidations of another connection that enabled
CLIENT TRACKING ON REDIRECT <id> and read keys there; the writes are made on the leader. Checks each read key is
invalidated once, that an unread key is not, and that FLUSHALL sends a null invalidation. Prints OK, or fails.
Arguments: leader port, follower port, key prefix."""
import sys

import redis

leader_port, follower_port, prefix = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
leader = redis.Redis(port=leader_port, socket_timeout=30)
# One connection each: tracking state belongs to a connection, and the pool could hand out another.
cache = redis.Redis(port=follower_port, socket_timeout=30, single_connection_client=True)
subscriber = redis.Redis(port=follower_port, socket_timeout=30, single_connection_client=True)
redirect_id = subscriber.client_id()
invalidations = subscriber.connection
invalidations.send_command("SUBSCRIBE", "__redis__:invalidate")
assert invalidations.read_response()[0] == b"subscribe"
assert cache.client_tracking_on(clientid=redirect_id)
assert cache.client_getredir() == redirect_id

a, b, unread = prefix + "a", prefix + "b", prefix + "unread"
leader.mset({a: "1", b: "1", unread: "1"})
assert cache.get(a) == b"1"
assert cache.get(b) == b"1"


def next_invalidation():
    kind, channel, keys = invalidations.read_response()  # raises on the 30 s socket timeout
    assert (kind, channel) == (b"message", b"__redis__:invalidate"), (kind, channel)
    return keys


leader.set(unread, "2")
leader.set(a, "2")
assert next_invalidation() == [a.encode()], "expected only %s first" % a
leader.set(a, "3")  # a is forgotten until read again: no second invalidation
leader.incr(b)
assert next_invalidation() == [b.encode()]
assert cache.get(a) == b"3"
leader.flushall()
# The read of a was served by the leader (followers relay reads); the follower may apply SET a 3 only after it noted
# that read, and then invalidates a once more: a spurious invalidation, which a client must accept (Redis sends them
# too, when its tracking table is full). Never a missing one.
keys = next_invalidation()
if keys == [a.encode()]:
    keys = next_invalidation()
assert keys is None, "FLUSHALL must invalidate every key (a null), got %r" % (keys,)
print("OK")
