// node-redis (the npm package redis) with its default options against one RaftKV node, in RESP2 or RESP3: commands,
// MULTI/EXEC, WATCH (WatchError), a script defined with defineScript as a lock's release, pub/sub with PUBLISH's
// count, sharded pub/sub, auto-pipelined commands, scanIterator, a blocking pop, streams, and client-side caching (RESP3 only:
// CLIENT TRACKING with invalidation pushes).
// Usage: node node-redis-client.js PORT PREFIX RESP(2|3). Prints OK and exits 0, or prints what failed and exits 1.
'use strict';
const assert = require('node:assert/strict');
const { createClient, defineScript, WatchError } = require('redis');

const port = Number(process.argv[2]);
const prefix = process.argv[3] || 'nr';
const resp = Number(process.argv[4] || 2);
const key = name => `${prefix}:${name}`;
const sleep = ms => new Promise(resolve => setTimeout(resolve, ms));

async function eventually(check, what) {
  const deadline = Date.now() + 10000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

const release = defineScript({
  NUMBER_OF_KEYS: 1,
  SCRIPT: "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end",
  parseCommand(parser, lock, owner) { parser.pushKey(lock); parser.push(owner); },
  transformReply(reply) { return reply; },
});

async function main() {
  const clients = [];
  const connect = async extra => {
    const client = createClient({ url: `redis://127.0.0.1:${port}`, RESP: resp, scripts: { release }, ...extra });
    client.on('error', () => {});
    clients.push(client);
    return client.connect();
  };
  try {
    const c = await connect();
    const other = await connect();

    assert.equal(await c.set(key('a'), '1'), 'OK');
    assert.equal(await c.get(key('a')), '1');
    assert.equal(await c.get(key('missing')), null);

    assert.deepEqual(await c.multi().set(key('m'), 'x').incr(key('n')).get(key('m')).exec(), ['OK', 1, 'x']);

    await c.watch(key('w'));
    await other.set(key('w'), 'other');
    await assert.rejects(c.multi().set(key('w'), 'mine').exec(), WatchError);
    assert.equal(await c.get(key('w')), 'other');

    await c.scriptFlush();
    assert.equal(await c.set(key('lock'), 'me', { NX: true, PX: 10000 }), 'OK');
    assert.equal(await c.set(key('lock'), 'you', { NX: true, PX: 10000 }), null);
    assert.equal(await c.release(key('lock'), 'you'), 0);
    assert.equal(await c.release(key('lock'), 'me'), 1);
    assert.equal(await c.exists(key('lock')), 0);

    // Pub/sub on the same node as the publisher: both subscriptions receive, and PUBLISH counts them.
    const sub = await connect();
    const got = [];
    const channel = key('news');
    await sub.subscribe(channel, (message, ch) => got.push(['message', ch, message]));
    await sub.pSubscribe(`${prefix}:n*`, (message, ch) => got.push(['pmessage', ch, message]));
    assert.equal(await c.publish(channel, 'hello'), 2);
    await eventually(() => got.length >= 2, 'two messages');
    assert.deepEqual(got.sort(), [['message', channel, 'hello'], ['pmessage', channel, 'hello']].sort());

    // Sharded pub/sub (Redis 7.0): SSUBSCRIBE and SPUBLISH, a namespace apart from the plain channels.
    const shardGot = [];
    await sub.sSubscribe(key('shard'), (message, ch) => shardGot.push([ch, message]));
    assert.equal(await c.sPublish(key('shard'), 'hi'), 1);
    await eventually(() => shardGot.length >= 1, 'a shard message');
    assert.deepEqual(shardGot, [[key('shard'), 'hi']]);

    // Commands sent together are pipelined by the client and answered in order.
    assert.deepEqual(await Promise.all([c.incr(key('p')), c.incr(key('p')), c.incr(key('p'))]), [1, 2, 3]);

    for (let i = 0; i < 30; i++) await c.set(key(`s:${i}`), String(i));
    const keys = new Set();
    for await (const batch of c.scanIterator({ MATCH: `${prefix}:s:*`, COUNT: 5 }))
      for (const k of Array.isArray(batch) ? batch : [batch]) keys.add(k);
    assert.equal(keys.size, 30);

    assert.equal(await c.hSet(key('h'), { a: '1', b: '2' }), 2);
    assert.deepEqual({ ...(await c.hGetAll(key('h'))) }, { a: '1', b: '2' });

    const pop = other.blPop(key('q'), 10);
    await sleep(100);
    await c.rPush(key('q'), 'job');
    assert.deepEqual({ ...(await pop) }, { key: key('q'), element: 'job' });

    const id = await c.xAdd(key('st'), '*', { f: 'v' });
    const entries = await c.xRange(key('st'), '-', '+');
    assert.equal(entries.length, 1);
    assert.equal(entries[0].id, id);
    assert.deepEqual({ ...entries[0].message }, { f: 'v' });

    if (resp === 3) {
      // Client-side caching: the second GET is served from the client's cache, and a write by another connection
      // invalidates it (CLIENT TRACKING's invalidation push).
      const cached = await connect({ clientSideCache: { ttl: 0, maxEntries: 0, evictPolicy: 'LRU' } });
      await other.set(key('cached'), 'v1');
      assert.equal(await cached.get(key('cached')), 'v1');
      assert.equal(await cached.get(key('cached')), 'v1');
      assert.equal(cached.clientSideCache.stats().hitCount, 1);
      await other.set(key('cached'), 'v2');
      await eventually(async () => (await cached.get(key('cached'))) === 'v2', 'the invalidated value');
    }

    console.log('OK');
  } finally {
    for (const client of clients) client.destroy();
  }
}

main().catch(error => {
  console.log(`FAILED: ${error && error.stack ? error.stack : error}`);
  process.exit(1);
});
