/**
 * A validator's client API holds each address to `api.connections.perAddressMax` open
 * connections (docs/security.md, "Unauthenticated clients"): idle connections up to the limit
 * leave a new one answered 503 too-many-connections, a WebSocket upgrade on it as well, and
 * closing them serves the address again. Against a real validator and raw sockets.
 */
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiNode, type ApiNode } from './support/api-node.js';

// Room for the connections the demo's client may still hold open when the test starts.
const PER_ADDRESS_MAX = 64;
let node: ApiNode;
const idle: Socket[] = [];

beforeAll(async () => {
  node = await startApiNode({ configure: (config) => void (config.api.connections = { max: 1000, perAddressMax: PER_ADDRESS_MAX }) });
}, 60_000);

afterAll(async () => {
  for (const socket of idle) socket.destroy();
  await node?.close();
});

function endpoint(): { host: string; port: number } {
  const url = new URL(node.url);
  return { host: url.hostname, port: Number(url.port) };
}

async function openSocket(): Promise<Socket> {
  const { host, port } = endpoint();
  const socket = connect(port, host);
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  return socket;
}

/** Sends `request` on a new connection; the status line once the answer's headers are in. */
async function statusOnNewConnection(request: string): Promise<{ status: string; text: string }> {
  const socket = await openSocket();
  let text = '';
  try {
    return await new Promise((resolve, reject) => {
      socket.on('data', (chunk: Buffer) => {
        text += chunk.toString('utf8');
        const end = text.indexOf('\r\n\r\n');
        const length = /content-length: (\d+)/i.exec(text);
        if (end >= 0 && length !== null && text.length >= end + 4 + Number(length[1])) resolve({ status: text.slice(0, text.indexOf('\r\n')), text });
      });
      socket.once('close', () => resolve({ status: text.slice(0, text.indexOf('\r\n')), text }));
      socket.once('error', reject);
      socket.write(request);
    });
  } finally {
    socket.destroy();
  }
}

const HEAD = 'GET /v1/ledger/head HTTP/1.1\r\nHost: localhost\r\n\r\n';

describe('open connections from one address', () => {
  it('are held to the limit: 503 too-many-connections beyond it, for requests and upgrades, and served again once closed', async () => {
    expect((await statusOnNewConnection(HEAD)).status).toBe('HTTP/1.1 200 OK');
    // Idle connections up to the limit (with any the test's own client still holds, beyond it).
    for (let index = 0; index < PER_ADDRESS_MAX; index++) idle.push(await openSocket());
    const refused = await statusOnNewConnection(HEAD);
    expect(refused.status).toBe('HTTP/1.1 503 Service Unavailable');
    expect(refused.text).toContain('"code":"too-many-connections"');
    expect(refused.text.toLowerCase()).toContain('retry-after: 1');
    const upgrade = await statusOnNewConnection('GET /v1/stream HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n');
    expect(upgrade.status).toBe('HTTP/1.1 503 Service Unavailable');
    expect(upgrade.text).toContain('"code":"too-many-connections"');

    for (const socket of idle.splice(0)) socket.destroy();
    // The validator counts the closes on its own turns: ask until it serves, not for a fixed time.
    let status = '';
    for (let attempt = 0; attempt < 500 && status !== 'HTTP/1.1 200 OK'; attempt++) status = (await statusOnNewConnection(HEAD)).status;
    expect(status).toBe('HTTP/1.1 200 OK');
  });
});
