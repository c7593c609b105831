// The tests' own requests survive a server that closes idle connections while a test is
// busy elsewhere (its event loop held by synchronous work): each goes on a connection of
// its own (e2e/lib/server.mjs), never on a kept-alive one that the server has closed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import '../lib/server.mjs';

// A server in a process of its own (its timers run while this one is held) that closes
// a connection idle for 100 ms, and says what it received, on how many connections,
// and whether each request asked for its connection to be closed after the answer.
const SERVER = `
const http = require('node:http');
const received = []; const asked = []; const connections = new Set();
const server = http.createServer((request, response) => {
  if (request.url === '/stats') return response.end(JSON.stringify({ received, asked, connections: connections.size }));
  connections.add(request.socket);
  asked.push(request.headers.connection);
  let body = '';
  request.on('data', (chunk) => { body += chunk; });
  request.on('end', () => { received.push(body); response.end('stored'); });
});
server.keepAliveTimeout = 100;
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
`;

test('a write after the event loop was held past the server\'s keep-alive timeout is sent once, on a fresh connection', async () => {
  const child = spawn(process.execPath, ['-e', SERVER], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const [port] = await once(child.stdout, 'data');
    const url = `http://127.0.0.1:${String(port).trim()}`;
    assert.equal(await (await fetch(`${url}/`, { method: 'POST', body: 'first' })).text(), 'stored');
    // Held as a synchronous child process or a busy SQLite wait would hold it.
    const until = Date.now() + 300;
    while (Date.now() < until) { /* held */ }
    assert.equal(await (await fetch(`${url}/`, { method: 'POST', body: 'second' })).text(), 'stored');
    assert.equal(await (await fetch(`${url}/`, { method: 'POST', body: 'third' })).text(), 'stored');
    const stats = await (await fetch(`${url}/stats`)).json();
    assert.deepEqual(stats.received, ['first', 'second', 'third'], 'each write received once');
    assert.deepEqual(stats.asked, ['close', 'close', 'close'], 'no connection kept alive');
    assert.equal(stats.connections, 3, 'each request on a connection of its own');
  } finally {
    child.kill();
  }
});
