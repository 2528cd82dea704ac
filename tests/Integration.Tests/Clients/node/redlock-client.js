// The redlock package (Lua-based locks, as Node applications take them) over ioredis against one RaftKV node:
// acquire, a second acquire refused, extend, release, and using() around a critical section.
// Usage: node redlock-client.js PORT PREFIX. Prints OK and exits 0, or prints what failed and exits 1.
'use strict';
const assert = require('node:assert/strict');
const Redis = require('ioredis');
const { default: Redlock, ExecutionError } = require('redlock');

const port = Number(process.argv[2]);
const prefix = process.argv[3] || 'rl';
const key = name => `${prefix}:${name}`;

async function main() {
  const client = new Redis({ host: '127.0.0.1', port });
  try {
    const redlock = new Redlock([client], { retryCount: 3, retryDelay: 100 });
    const lock = await redlock.acquire([key('resource')], 5000);
    assert.equal(await client.get(key('resource')), lock.value);
    const ttl = await client.pttl(key('resource'));
    assert.ok(ttl > 0 && ttl <= 5000, `pttl ${ttl}`);

    await assert.rejects(redlock.acquire([key('resource')], 5000), ExecutionError);

    const extended = await lock.extend(20000);
    assert.ok((await client.pttl(key('resource'))) > 6000);
    await extended.release();
    assert.equal(await client.exists(key('resource')), 0);

    let ran = false;
    await redlock.using([key('section')], 2000, async signal => {
      assert.equal(await client.exists(key('section')), 1);
      ran = !signal.aborted;
    });
    assert.ok(ran);
    assert.equal(await client.exists(key('section')), 0);
    console.log('OK');
  } finally {
    client.disconnect();
  }
}

main().catch(error => {
  console.log(`FAILED: ${error && error.stack ? error.stack : error}`);
  process.exit(1);
});
