/**
 * The `custodia` command's compiled copy of the sources (tools/bin/compiled-sources.mjs): built
 * once per source content, never stale, safe to build from several processes at once, bounded on
 * disk, and with the files modules find by their own URL still in reach.
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
// @ts-expect-error: a plain ES module of the command's launcher, with no type declarations.
import { compiledUrl } from '../../tools/bin/compiled-sources.mjs';

const compile = compiledUrl as (relativePath: string, repositoryDirectory?: string) => Promise<string>;
const launcher = fileURLToPath(new URL('../../tools/bin/compiled-sources.mjs', import.meta.url));
const directories: string[] = [];

afterEach(async () => {
  await Promise.all(directories.splice(0).map((directory) => rm(directory, { recursive: true, force: true })));
});

/** A checkout of a few modules: TypeScript-only syntax, a relative import, a worker script beside them, a build folder. */
async function checkout(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'custodia-compiled-'));
  directories.push(root);
  await mkdir(join(root, 'ledger', 'dist'), { recursive: true });
  await mkdir(join(root, 'tools'), { recursive: true });
  await mkdir(join(root, 'node_modules'), { recursive: true });
  await mkdir(join(root, 'docs'), { recursive: true });
  await writeFile(join(root, 'tsconfig.json'), JSON.stringify({ compilerOptions: { target: 'ES2022', verbatimModuleSyntax: true } }));
  await writeFile(join(root, 'docs', 'note.md'), 'beside the sources\n');
  await writeFile(join(root, 'ledger', 'worker.mjs'), 'export const worker = "plain";\n');
  await writeFile(join(root, 'ledger', 'dist', 'built.txt'), 'built\n');
  await writeFile(join(root, 'ledger', 'value.ts'), 'export const value: number = 1;\n');
  await writeFile(
    join(root, 'tools', 'main.ts'),
    [
      "import { readFile } from 'node:fs/promises';",
      "import type { Buffer } from 'node:buffer';",
      "import { value } from '../ledger/value.js';",
      'class Counter {',
      '  constructor(private readonly start: number) {}',
      '  next(): number { return this.start + 1; }',
      '}',
      'export async function main(): Promise<Record<string, unknown>> {',
      "  const worker = (await import(new URL('../ledger/worker.mjs', import.meta.url).href)) as { worker: string };",
      "  const built = await readFile(new URL('../ledger/dist/built.txt', import.meta.url), 'utf8');",
      "  const note = await readFile(new URL('../docs/note.md', import.meta.url), 'utf8');",
      '  return { value, next: new Counter(value).next(), worker: worker.worker, built: built.trim(), note: note.trim() };',
      '}',
      '',
    ].join('\n'),
  );
  return root;
}

async function run(url: string): Promise<Record<string, unknown>> {
  const module = (await import(url)) as { main(): Promise<Record<string, unknown>> };
  return module.main();
}

async function trees(root: string): Promise<string[]> {
  return (await readdir(join(root, 'node_modules', '.cache', 'custodia-compiled'))).sort();
}

describe('the compiled copy of the sources', () => {
  it('runs the TypeScript as plain ES modules, with the files beside the sources in reach', async () => {
    const root = await checkout();
    const url = await compile('tools/main.ts', root);
    expect(url).toMatch(/\/node_modules\/\.cache\/custodia-compiled\/[0-9a-f]{32}\/tools\/main\.js$/);
    expect(await run(url)).toEqual({ value: 1, next: 2, worker: 'plain', built: 'built', note: 'beside the sources' });
    // Type-only syntax is gone, and the map beside the module names the TypeScript.
    const compiled = await readFile(fileURLToPath(url), 'utf8');
    expect(compiled).not.toContain('private readonly');
    expect(compiled).toContain('//# sourceMappingURL=main.js.map');
    expect(JSON.parse(await readFile(`${fileURLToPath(url)}.map`, 'utf8')).sources[0]).toContain('main.ts');
  });

  it('reuses the tree while the sources stand, and builds another the moment one changes', async () => {
    const root = await checkout();
    const first = await compile('tools/main.ts', root);
    expect(await compile('tools/main.ts', root)).toBe(first);
    await writeFile(join(root, 'ledger', 'value.ts'), 'export const value: number = 41;\n');
    const second = await compile('tools/main.ts', root);
    expect(second).not.toBe(first);
    expect(await run(second)).toMatchObject({ value: 41, next: 42 });
  });

  it('builds one tree when several processes start on new sources at once', async () => {
    const root = await checkout();
    const outputs = await Promise.all(Array.from({ length: 6 }, () => compileInChild(root)));
    const parsed = outputs.map((output) => JSON.parse(output) as { url: string; result: { value: number } });
    expect(new Set(parsed.map((entry) => entry.url)).size).toBe(1);
    expect(parsed.every((entry) => entry.result.value === 1)).toBe(true);
    // No builder's temporary folder is left behind.
    expect(await trees(root)).toHaveLength(1);
  });

  it('keeps the four most recent trees, and any tree a running process uses however many come after it', async () => {
    const root = await checkout();
    const version = (value: number) => writeFile(join(root, 'ledger', 'value.ts'), `export const value: number = ${value};\n`);
    // A long-running process (a validator) on the first version.
    const holder = spawn(process.execPath, ['--input-type=module', '-e', `${compileScript(root)} process.stdout.write('ready\\n'); process.stdin.resume();`], { stdio: ['pipe', 'pipe', 'inherit'] });
    const held = await new Promise<string>((resolve, reject) => {
      let output = '';
      holder.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (output.endsWith('ready\n')) resolve(output);
      });
      holder.on('exit', (code) => reject(new Error(`the holder exited (${code})`)));
    });
    const heldTree = (JSON.parse(held.slice(0, -'ready\n'.length)) as { url: string }).url.split('/').at(-3)!;
    for (let value = 1; value <= 6; value++) {
      await version(value);
      await compileInChild(root);
    }
    expect(await trees(root)).toHaveLength(5);
    expect(await trees(root)).toContain(heldTree);
    const exited = new Promise((resolve) => holder.on('exit', resolve));
    holder.stdin.end();
    await exited;
    await version(7);
    await compileInChild(root);
    expect(await trees(root)).toHaveLength(4);
    expect(await trees(root)).not.toContain(heldTree);
  });
});

describe('the marks of the processes using a tree', () => {
  it('are dropped for processes that ended without removing their own (killed)', async () => {
    const root = await checkout();
    const first = JSON.parse(await compileInChild(root)) as { url: string };
    const users = join(fileURLToPath(first.url), '..', '..', '.users');
    // A process that has ended: its pid is free (and not reused this soon on Linux's counter).
    const ended = spawn(process.execPath, ['-e', '']);
    const pid = ended.pid!;
    await new Promise((resolve) => ended.on('exit', resolve));
    await writeFile(join(users, String(pid)), '');
    await compileInChild(root);
    expect(await readdir(users)).toEqual([]);
  });
});

/** A script that compiles the checkout, runs its main and prints both: as a command's process would. */
function compileScript(root: string): string {
  return `import { compiledUrl } from ${JSON.stringify(pathToFileURL(launcher).href)}; const url = await compiledUrl('tools/main.ts', ${JSON.stringify(root)}); const { main } = await import(url); process.stdout.write(JSON.stringify({ url, result: await main() }));`;
}

/** Compiles in a process of its own, which ends (its mark on the tree goes with it). */
function compileInChild(root: string): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', compileScript(root)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(output) : reject(new Error(`exit ${code}`))));
  });
}
