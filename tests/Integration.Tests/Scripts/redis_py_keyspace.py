"""redis-py (Debian's python3-redis) keyspace notifications from a follower: CONFIG SET notify-keyspace-events sent to
the follower reaches every node; a PSUBSCRIBE on the follower then receives the events of writes made on the leader
(SET, HSET, DEL, and a key's expiry) in the order of the log. Prints OK, or fails with what it saw.
Arguments: leader port, follower port, other node's port, key prefix."""
import sys
import time

import redis

leader_port, follower_port, other_port, prefix = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
leader = redis.Redis(port=leader_port, socket_timeout=30)
follower = redis.Redis(port=follower_port, socket_timeout=30)
other = redis.Redis(port=other_port, socket_timeout=30)

assert follower.config_set("notify-keyspace-events", "KEA")
for node in (leader, follower, other):
    deadline = time.time() + 60
    while node.config_get("notify-keyspace-events")["notify-keyspace-events"] != "AKE":
        assert time.time() < deadline, "CONFIG SET on the follower not seen on port %d" % node.connection_pool.connection_kwargs["port"]
        time.sleep(0.1)

pubsub = follower.pubsub()
pubsub.psubscribe("__keyspace@0__:%s*" % prefix)
assert pubsub.get_message(timeout=30)["type"] == "psubscribe"

k, h, e = prefix + "k", prefix + "h", prefix + "e"
leader.set(k, "v1")
leader.hset(h, "f", "v")
leader.delete(k)
leader.set(e, "v", px=300)

expected = [(k, "set"), (h, "hset"), (k, "del"), (e, "set"), (e, "expire"), (e, "expired")]
seen = []
deadline = time.time() + 90
while len(seen) < len(expected) and time.time() < deadline:
    message = pubsub.get_message(timeout=1)
    if message is None or message["type"] != "pmessage":
        continue
    channel = message["channel"].decode()
    seen.append((channel[len("__keyspace@0__:"):], message["data"].decode()))

assert seen == expected, "expected %r, saw %r" % (expected, seen)
pubsub.close()
print("OK")
