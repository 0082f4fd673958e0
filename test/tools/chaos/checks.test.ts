/** The chaos run's checks on their own: lost transactions, double signatures in logs, forks and stalls in observed heads. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DOUBLE_SIGN_LOG_MESSAGE, findLost, scanDoubleSigns } from '../../../tools/chaos/checks.js';
import { ChainObserver } from '../../../tools/chaos/observer.js';
import { temporaryDirectories } from '../../support/temp-dir.js';

const temporaryDirectory = temporaryDirectories('chaos-logs');
const servers: Server[] = [];
afterAll(async () => {
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
});

/** A validator's API that holds `committed` ids as committed and nothing else. */
async function fakeValidator(committed: readonly string[]): Promise<string> {
  const server = createServer((request, response) => {
    const id = request.url?.split('/').pop() ?? '';
    response.setHeader('content-type', 'application/json');
    if (committed.includes(id)) response.end(JSON.stringify({ id, status: 'committed' }));
    else if (id === 'pending') response.end(JSON.stringify({ id, status: 'pending' }));
    else {
      response.statusCode = 404;
      response.end(JSON.stringify({ code: 'not-found' }));
    }
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('findLost', () => {
  it('names each acknowledged id some validator lacks, with the validators that lack it', async () => {
    const urls = [await fakeValidator(['a', 'b', 'c']), await fakeValidator(['a', 'c']), await fakeValidator(['a', 'b', 'c', 'pending'])];
    expect(await findLost(urls, ['a', 'b', 'c'])).toEqual({ lost: 1, examples: [{ id: 'b', validators: [1] }] });
    expect((await findLost(urls, ['pending'])).examples).toEqual([{ id: 'pending', validators: [0, 1] }]);
    expect(await findLost(urls, ['a', 'c'])).toEqual({ lost: 0, examples: [] });
  });

  it('counts a validator that does not answer as lacking everything', async () => {
    const urls = [await fakeValidator(['a']), 'http://127.0.0.1:1'];
    expect(await findLost(urls, ['a'])).toEqual({ lost: 1, examples: [{ id: 'a', validators: [1] }] });
  });
});

describe('scanDoubleSigns', () => {
  it('reads the evidence lines of every log, once per signer, round and kind, with who saw it', async () => {
    const directory = await temporaryDirectory();
    const evidence = { validator: 'validator-2', round: 17, message: 'vote', first: 'aa'.repeat(32), second: 'bb'.repeat(32) };
    const line = (entry: object) => JSON.stringify({ level: 50, time: 1, ...entry });
    const logs = [join(directory, 'a.log'), join(directory, 'b.log'), join(directory, 'c.log')];
    await writeFile(logs[0]!, [line({ msg: 'validator started' }), line({ doubleSign: evidence, msg: DOUBLE_SIGN_LOG_MESSAGE }), 'not json ' + DOUBLE_SIGN_LOG_MESSAGE, ''].join('\n'));
    await writeFile(logs[1]!, [line({ doubleSign: evidence, msg: DOUBLE_SIGN_LOG_MESSAGE }), line({ doubleSign: { ...evidence, message: 'timeout' }, msg: DOUBLE_SIGN_LOG_MESSAGE })].join('\n'));
    await writeFile(logs[2]!, line({ msg: 'stopped' }));
    const found = await scanDoubleSigns(logs);
    expect(found).toEqual([
      { ...evidence, seenBy: [0, 1] },
      { ...evidence, message: 'timeout', seenBy: [1] },
    ]);
    expect(await scanDoubleSigns([logs[2]!])).toEqual([]);
  });
});

describe('ChainObserver', () => {
  it('finds two hashes at one height, whichever validators show them and whenever', () => {
    const observer = new ChainObserver([]);
    observer.observe([{ height: 5, blockHash: 'x5' }, { height: 4, blockHash: 'x4' }, undefined], 0);
    observer.observe([{ height: 6, blockHash: 'x6' }, { height: 5, blockHash: 'x5' }, { height: 4, blockHash: 'x4' }], 100);
    expect(observer.forks).toEqual([]);
    observer.observe([undefined, undefined, { height: 5, blockHash: 'y5' }], 200);
    expect(observer.forks).toEqual([{ height: 5, hashes: ['x5', 'y5'], validators: [0, 2] }]);
    expect(observer.networkHeight).toBe(6);
  });

  it('measures the longest standstill of the highest height, only while load is on', () => {
    const observer = new ChainObserver([]);
    const at = (nowMs: number, height: number) => observer.observe([{ height, blockHash: `h${height}` }], nowMs);
    at(0, 1);
    observer.setLoad(true, 500);
    at(1_000, 2);
    at(4_000, 2);
    expect(observer.maxStallMs).toBe(3_000);
    // The stall ends at the sample that sees the next block: 1 s to 6 s.
    at(6_000, 3);
    expect(observer.maxStallMs).toBe(5_000);
    observer.setLoad(false, 7_000);
    at(60_000, 3);
    expect(observer.maxStallMs).toBe(5_000);
  });
});
