// ioredis with its default options against one RaftKV node (the leader or a follower): commands, pipelines,
// MULTI/EXEC with WATCH, EXECABORT and a runtime error, defineCommand scripts (EVALSHA falling back to EVAL after
// SCRIPT FLUSH) as a lock's release, pub/sub, sharded pub/sub, a blocking pop, scanStream, keyspace notifications and MONITOR.
// Usage: node ioredis-client.js PORT PREFIX. Prints OK and exits 0, or prints what failed and exits 1.
'use strict';
const assert = require('node:assert/strict');
const Redis = require('ioredis');

const port = Number(process.argv[2]);
const prefix = process.argv[3] || 'io';
const key = name => `${prefix}:${name}`;
const sleep = ms => new Promise(resolve => setTimeout(resolve, ms));

// Waits up to 10 s for check() to hold (messages arrive after the entry is applied on the subscriber's node).
async function eventually(check, what) {
  const deadline = Date.now() + 10000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

async function main() {
  const clients = [];
  const connect = () => { const c = new Redis({ host: '127.0.0.1', port }); clients.push(c); return c; };
  try {
    const r = connect();
    const other = connect();

    assert.equal(await r.set(key('a'), '1'), 'OK');
    assert.equal(await r.get(key('a')), '1');
    assert.equal(await r.get(key('missing')), null);

    // Pipeline: replies in order, each with its own error slot.
    assert.deepEqual(await r.pipeline().set(key('b'), 2).incr(key('b')).get(key('b')).exec(), [[null, 'OK'], [null, 3], [null, '3']]);

    // MULTI/EXEC.
    assert.deepEqual(await r.multi().set(key('c'), 'x').append(key('c'), 'y').get(key('c')).exec(), [[null, 'OK'], [null, 2], [null, 'xy']]);

    // WATCH: a change by another connection makes EXEC answer null and apply nothing.
    await r.watch(key('w'));
    await other.set(key('w'), 'other');
    assert.equal(await r.multi().set(key('w'), 'mine').exec(), null);
    assert.equal(await r.get(key('w')), 'other');
    await r.watch(key('w2'));
    assert.deepEqual(await r.multi().set(key('w2'), 'v').exec(), [[null, 'OK']]);

    // A command refused while queuing discards the transaction: EXECABORT, with the queuing error kept.
    await assert.rejects(r.multi().set(key('d'), 1).call('NOSUCHCMD').exec(), error => {
      assert.match(error.message, /^EXECABORT/);
      assert.match(error.previousErrors[0].message, /^ERR unknown command/);
      return true;
    });
    assert.equal(await r.exists(key('d')), 0);

    // A runtime error inside EXEC fails that command only.
    const runtime = await r.multi().set(key('e'), 'str').lpush(key('e'), 'x').get(key('e')).exec();
    assert.equal(runtime[0][1], 'OK');
    assert.match(runtime[1][0].message, /^WRONGTYPE/);
    assert.equal(runtime[2][1], 'str');

    // A lock: SET NX PX to take it, a script to release it only by its owner (ioredis sends EVALSHA, and EVAL after NOSCRIPT).
    r.defineCommand('release', {
      numberOfKeys: 1,
      lua: "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end",
    });
    await r.script('FLUSH');
    assert.equal(await r.set(key('lock'), 'me', 'PX', 10000, 'NX'), 'OK');
    assert.equal(await r.set(key('lock'), 'you', 'PX', 10000, 'NX'), null);
    assert.equal(await r.release(key('lock'), 'you'), 0);
    assert.equal(await r.get(key('lock')), 'me');
    assert.equal(await r.release(key('lock'), 'me'), 1);
    assert.equal(await r.exists(key('lock')), 0);
    assert.deepEqual(await r.multi().set(key('lock2'), 'z').release(key('lock2'), 'z').exec(), [[null, 'OK'], [null, 1]]);
    await r.script('FLUSH');
    assert.deepEqual(await r.pipeline().set(key('lock3'), 'z').release(key('lock3'), 'z').exec(), [[null, 'OK'], [null, 1]]);

    // Pub/sub on the same node as the publisher: both subscriptions receive, and PUBLISH counts them.
    const sub = connect();
    const got = [];
    sub.on('message', (channel, message) => got.push(['message', channel, message]));
    sub.on('pmessage', (pattern, channel, message) => got.push(['pmessage', pattern, channel, message]));
    const channel = key('news');
    await sub.subscribe(channel);
    await sub.psubscribe(`${prefix}:n*`);
    assert.equal(await r.publish(channel, 'hello'), 2);
    await eventually(() => got.length >= 2, 'two messages');
    assert.deepEqual(got.sort(), [['message', channel, 'hello'], ['pmessage', `${prefix}:n*`, channel, 'hello']].sort());
    assert.deepEqual(await r.pubsub('NUMSUB', channel), [channel, 1]);
    await sub.unsubscribe(channel);
    await sub.punsubscribe();

    // Sharded pub/sub (Redis 7.0): ssubscribe and spublish, delivered as smessage.
    const shardSub = connect();
    const shardGot = [];
    shardSub.on('smessage', (ch, message) => shardGot.push([ch, message]));
    await shardSub.ssubscribe(key('shard'));
    assert.equal(await r.spublish(key('shard'), 'hi'), 1);
    await eventually(() => shardGot.length >= 1, 'a shard message');
    assert.deepEqual(shardGot, [[key('shard'), 'hi']]);

    // Keyspace notifications, as ioredis subscribes to them.
    await r.config('SET', 'notify-keyspace-events', 'KEA');
    const events = [];
    const watcher = connect();
    watcher.on('pmessage', (_, ch, message) => events.push([ch, message]));
    await watcher.psubscribe(`__keyspace@0__:${prefix}:*`);
    await r.set(key('watched'), '1');
    await r.del(key('watched'));
    await eventually(() => events.length >= 2, 'keyspace events');
    assert.deepEqual(events, [[`__keyspace@0__:${key('watched')}`, 'set'], [`__keyspace@0__:${key('watched')}`, 'del']]);
    await r.config('SET', 'notify-keyspace-events', '');

    // A blocking pop served by a push from another connection.
    const blocked = connect();
    const pop = blocked.blpop(key('queue'), 10);
    await sleep(100);
    await r.rpush(key('queue'), 'job');
    assert.deepEqual(await pop, [key('queue'), 'job']);

    // scanStream walks every key once.
    for (let i = 0; i < 40; i++) await r.set(key(`scan:${i}`), i);
    const keys = new Set();
    await new Promise((resolve, reject) => {
      const stream = r.scanStream({ match: `${prefix}:scan:*`, count: 7 });
      stream.on('data', batch => batch.forEach(k => keys.add(k)));
      stream.on('end', resolve);
      stream.on('error', reject);
    });
    assert.equal(keys.size, 40);

    // Hashes as objects, CLIENT SETNAME/GETNAME, INFO.
    await r.hset(key('h'), { f1: 'a', f2: 'b' });
    assert.deepEqual(await r.hgetall(key('h')), { f1: 'a', f2: 'b' });
    await r.client('SETNAME', `${prefix}-client`);
    assert.equal(await r.client('GETNAME'), `${prefix}-client`);
    assert.match(await r.info('server'), /redis_version:7\./);

    // MONITOR: ioredis's monitor mode sees a command another connection sends.
    const monitor = await connect().monitor();
    const seen = [];
    monitor.on('monitor', (_, args) => seen.push(args));
    await r.set(key('monitored'), '1');
    await eventually(() => seen.some(args => args[1] === key('monitored')), 'MONITOR line');
    monitor.disconnect();

    console.log('OK');
  } finally {
    for (const c of clients) c.disconnect();
  }
}

main().catch(error => {
  console.log(`FAILED: ${error && error.stack ? error.stack : error}`);
  process.exit(1);
});
