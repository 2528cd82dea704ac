// A client that finds the primary through Sentinels, given every RaftKV node as a Sentinel (master name raftkv):
// ioredis's `sentinels` option or node-redis's createSentinel. Writes and reads back, prints the port it wrote
// through, then writes again after the leader's death, retrying as an application would for up to LIMIT seconds, and
// prints "after PORT MS": the port and the milliseconds from the kill (or from the kill file) to the acknowledged write.
// KILL is a file to wait for (the test kills the leader, then creates it), or pid:N to SIGKILL process N itself
// (scripts/client-failover.sh).
// Usage: node sentinel-failover.js ioredis|node-redis PORTS(comma-separated) LIMIT_SECONDS [KILL]
'use strict';
const assert = require('node:assert/strict');
const fs = require('node:fs');

const [kind, portList, limitText, killFile] = process.argv.slice(2);
const ports = portList.split(',').map(Number);
const limitMs = Number(limitText) * 1000;
const sleep = ms => new Promise(resolve => setTimeout(resolve, ms));

async function open() {
  if (kind === 'ioredis') {
    const Redis = require('ioredis');
    const client = new Redis({ sentinels: ports.map(port => ({ host: '127.0.0.1', port })), name: 'raftkv' });
    client.on('error', () => {});
    return {
      set: (k, v) => client.set(k, v),
      get: k => client.get(k),
      port: () => client.stream && client.stream.remotePort,
      close: () => client.disconnect(),
    };
  }
  const { createSentinel } = require('redis');
  const sentinel = createSentinel({ name: 'raftkv', sentinelRootNodes: ports.map(port => ({ host: '127.0.0.1', port })) });
  sentinel.on('error', () => {});
  await sentinel.connect();
  return {
    set: (k, v) => sentinel.set(k, v),
    get: k => sentinel.get(k),
    port: async () => Number(/tcp_port:(\d+)/.exec(await sentinel.info('server'))[1]),
    close: () => sentinel.destroy(),
  };
}

async function writeAndRead(client, value) {
  const started = Date.now();
  for (;;) {
    try {
      await client.set('sentinel-client', value);
      assert.equal(await client.get('sentinel-client'), value);
      return Date.now() - started;
    } catch (error) {
      if (Date.now() - started > limitMs) throw error;
      await sleep(50);
    }
  }
}

async function main() {
  const client = await open();
  try {
    await writeAndRead(client, 'before');
    console.log(`before ${await client.port()}`);
    if (!killFile) return;
    if (killFile.startsWith('pid:')) process.kill(Number(killFile.slice(4)), 'SIGKILL');
    else while (!fs.existsSync(killFile)) await sleep(10);
    const took = await writeAndRead(client, 'after');
    console.log(`after ${await client.port()} ${took}`);
  } finally {
    await client.close();
  }
}

main().catch(error => {
  console.log(`FAILED: ${error && error.stack ? error.stack : error}`);
  process.exit(1);
});
