/**
 * api/ui/build.mjs and api/ui/serve.ts without a browser: the build writes content-hashed
 * bundles free of Node's standard library with the browser twins of the crypto modules in
 * them; the UI routes serve the page with a strict Content-Security-Policy and revalidation,
 * the bundles as immutable, a JSON 404 for unknown assets, and a 503 that says what to run when
 * the UI was never built.
 */
import { readFile, readdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uiRoutes } from '../../api/ui/serve.js';
import { buildUi } from './support/ui-node.js';

let directory: string;
let built: string;
let servers: Server[] = [];

async function serve(uiDirectory: string): Promise<string> {
  const app = express();
  app.use(uiRoutes({ directory: uiDirectory }));
  const server = createServer(app);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'custodia-ui-build-'));
  built = join(directory, 'built');
  await buildUi(built);
});

afterAll(async () => {
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  servers = [];
  await rm(directory, { recursive: true, force: true });
});

describe('the build', () => {
  it('writes index.html naming content-hashed bundles that exist', async () => {
    const index = await readFile(join(built, 'index.html'), 'utf8');
    const assets = await readdir(join(built, 'assets'));
    const script = /src="(assets\/app-[A-Z0-9]+\.js)"/.exec(index)?.[1];
    const stylesheet = /href="(assets\/styles-[A-Z0-9]+\.css)"/.exec(index)?.[1];
    expect(script).toBeDefined();
    expect(stylesheet).toBeDefined();
    expect(assets).toContain(script!.slice('assets/'.length));
    expect(assets).toContain(stylesheet!.slice('assets/'.length));
    expect(index).not.toMatch(/<script>|\son[a-z]+=|style="/);
  });

  it('bundles the browser twins and nothing of Node', async () => {
    const index = await readFile(join(built, 'index.html'), 'utf8');
    const script = /src="(assets\/app-[A-Z0-9]+\.js)"/.exec(index)![1]!;
    const bundle = await readFile(join(built, script), 'utf8');
    const sourceMap = JSON.parse(await readFile(join(built, `${script}.map`), 'utf8')) as { sources: string[] };
    expect(bundle).not.toMatch(/["']node:/);
    expect(sourceMap.sources.some((source) => source.endsWith('ledger/crypto/sha256.browser.ts'))).toBe(true);
    expect(sourceMap.sources.some((source) => source.endsWith('ledger/crypto/ed25519.browser.ts'))).toBe(true);
    expect(sourceMap.sources.some((source) => source.endsWith('ledger/verify/proof.ts'))).toBe(true);
    expect(sourceMap.sources.filter((source) => /ledger\/crypto\/(sha256|ed25519)\.ts$/.test(source))).toEqual([]);
  });
});

describe('uiRoutes', () => {
  it('serves the page with a strict Content-Security-Policy, revalidated on every visit', async () => {
    const url = await serve(built);
    const response = await fetch(`${url}/`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(response.headers.get('cache-control')).toBe('no-cache');
    const policy = response.headers.get('content-security-policy') ?? '';
    expect(policy).toContain("script-src 'self'");
    expect(policy).toContain("default-src 'none'");
    expect(policy).not.toContain('unsafe-inline');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await response.text()).toContain('Custodia');
  });

  it('serves the hashed bundles as immutable and answers unknown assets with a JSON 404', async () => {
    const url = await serve(built);
    const index = await (await fetch(`${url}/`)).text();
    const script = /src="(assets\/app-[A-Z0-9]+\.js)"/.exec(index)![1]!;
    const asset = await fetch(`${url}/${script}`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('content-type')).toMatch(/javascript/);
    expect(asset.headers.get('cache-control')).toContain('immutable');
    const missing = await fetch(`${url}/assets/app-NOSUCHHASH.js`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ code: 'not-found' });
  });

  it('answers 503 with what to run when the UI was never built', async () => {
    const url = await serve(join(directory, 'never-built'));
    const response = await fetch(`${url}/`);
    expect(response.status).toBe(503);
    const body = (await response.json()) as { code: string; message: string };
    expect(body.code).toBe('ui-not-built');
    expect(body.message).toContain('run npm install (it builds the UI)');
  });
});
