/**
 * The project's TypeScript, compiled to JavaScript once per source content, for the `custodia`
 * command to run in plain Node.
 *
 * Why not tsx at run time: tsx compiles in Node's module-hooks thread (module.register), a second
 * V8 isolate with esbuild and its caches that stays for the life of the process. Measured on this
 * project: loading the CLI and the validator through tsx left the process at 179-187 MB resident,
 * the same modules compiled beforehand at 99-100 MB (docs/performance.md, "A validator's memory").
 * Every validator paid that.
 *
 * How: every `.ts` file under the source folders is transpiled on its own by esbuild (the
 * project's tsconfig sets isolatedModules and verbatimModuleSyntax, so a per-file transpile is
 * exact) into a mirror tree named by the SHA-256 of all the sources' paths and contents, so an
 * edited checkout never runs stale code. Everything else in the source folders (worker scripts,
 * the built UI) and at the repository's top level is linked into the mirror, so paths a module
 * derives from its own URL still lead to the same files. A tree is built in a temporary folder
 * and renamed into place, so processes starting together (a devnet's validators) never see half
 * of one; the 4 most recent trees are kept, and any a running process uses.
 *
 * No TypeScript is type-checked here (npm test runs tsc). Each module's source map lies beside it,
 * read only when source maps are enabled (`NODE_OPTIONS=--enable-source-maps` for stack traces
 * that name .ts lines): enabled always, the maps cost a validator about 14 MB.
 */
import { createHash } from 'node:crypto';
import { rmSync } from 'node:fs';
import { lstat, mkdir, readdir, readFile, rename, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const checkoutDirectory = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The folders whose TypeScript the command runs (test/ is vitest's, never the command's). */
export const SOURCE_FOLDERS = ['ledger', 'consensus', 'contracts', 'node', 'api', 'tools'];
/** Folders linked whole rather than walked (sourceFiles lists them as entries): build output and installed packages. */
const LINKED_WHOLE = new Set(['node_modules', 'dist']);
const TREES_KEPT = 4;
/** Raised whenever build() changes what it writes, so trees built the old way are not reused. */
const BUILD_FORMAT = 'custodia-compiled/1';
const BUILD_CONCURRENCY = 16;
/** A finished tree's folder name: the first 32 hex digits of the sources' hash (a builder's temporary folder has a suffix). */
const TREE_NAME = /^[0-9a-f]{32}$/;
const TEMPORARY_AGE_MAX_MS = 10 * 60 * 1000;
/** Inside a tree: one empty file per process using it, named by its pid. */
const USERS_FOLDER = '.users';

async function sourceFiles(directory) {
  const files = [];
  const entries = await readdir(directory, { withFileTypes: true }).catch((error) => {
    if (error.code === 'ENOENT') return [];
    throw error;
  });
  for (const entry of entries) {
    const path = join(directory, entry.name);
    if (entry.isDirectory() && !LINKED_WHOLE.has(entry.name)) files.push(...(await sourceFiles(path)));
    else files.push(path);
  }
  return files;
}

async function tsconfigRaw(repositoryDirectory) {
  const { compilerOptions } = JSON.parse(await readFile(join(repositoryDirectory, 'tsconfig.json'), 'utf8'));
  return { compilerOptions: { target: compilerOptions.target, verbatimModuleSyntax: compilerOptions.verbatimModuleSyntax, useDefineForClassFields: true } };
}

async function exists(path) {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

async function build(repositoryDirectory, files, treeDirectory) {
  const { transform } = await import('esbuild');
  const options = { loader: 'ts', format: 'esm', target: 'node20', sourcemap: 'external', tsconfigRaw: await tsconfigRaw(repositoryDirectory) };
  const temporary = `${treeDirectory}.${process.pid}.${Date.now()}`;
  await mkdir(temporary, { recursive: true });
  try {
    const compileOne = async (file) => {
      const target = join(temporary, relative(repositoryDirectory, file));
      await mkdir(dirname(target), { recursive: true });
      if (!file.endsWith('.ts') || file.endsWith('.d.ts')) return symlink(file, target);
      const output = target.replace(/\.ts$/, '.js');
      const { code, map } = await transform(await readFile(file, 'utf8'), { ...options, sourcefile: file });
      // The map beside the module, named by a comment: read only when source maps are enabled.
      await writeFile(`${output}.map`, map);
      await writeFile(output, `${code}//# sourceMappingURL=${basename(output)}.map\n`);
    };
    // A few at a time: esbuild's service transforms them in parallel.
    for (let start = 0; start < files.length; start += BUILD_CONCURRENCY) await Promise.all(files.slice(start, start + BUILD_CONCURRENCY).map(compileOne));
    // The top level's other entries (docs, examples), for paths derived from the repository's root.
    for (const entry of await readdir(repositoryDirectory)) {
      // node_modules is found by walking up from the mirror (it sits inside it); a link would make a loop.
      if (SOURCE_FOLDERS.includes(entry) || entry === 'package.json' || entry === 'node_modules') continue;
      await symlink(join(repositoryDirectory, entry), join(temporary, entry));
    }
    // The mirror sits under node_modules, where Node looks for no package scope: say the .js files are ES modules.
    await writeFile(join(temporary, 'package.json'), `${JSON.stringify({ type: 'module', private: true })}\n`);
    try {
      await rename(temporary, treeDirectory);
    } catch (error) {
      // Another process built the same tree first: theirs is identical.
      if (!(await exists(join(treeDirectory, 'package.json')))) throw error;
    }
  } finally {
    await rm(temporary, { recursive: true, force: true });
  }
}

/** Whether a process that marked a tree as in use (markInUse) still runs. */
function running(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
}

async function inUse(treeDirectory) {
  const users = await readdir(join(treeDirectory, USERS_FOLDER)).catch(() => []);
  return users.some((name) => /^\d+$/.test(name) && running(Number(name)));
}

/**
 * Marks the tree as used by this process until it exits: a running validator loads modules
 * lazily (a command's own, a route's), so its tree must outlive any number of edits and builds.
 */
async function markInUse(treeDirectory) {
  const users = join(treeDirectory, USERS_FOLDER);
  const mark = join(users, String(process.pid));
  await mkdir(users, { recursive: true });
  await writeFile(mark, '');
  process.on('exit', () => rmSync(mark, { force: true }));
  // Marks of processes that ended without their exit listeners (killed): dropped here, so they do not pile up.
  for (const name of await readdir(users)) if (/^\d+$/.test(name) && !running(Number(name))) await rm(join(users, name), { force: true });
}

/**
 * Keeps the most recently used trees beyond those a running process uses, and removes builders'
 * temporary folders older than TEMPORARY_AGE_MAX_MS (a builder that crashed).
 */
async function pruneTrees(cacheDirectory, current) {
  const trees = [];
  for (const name of await readdir(cacheDirectory)) {
    const path = join(cacheDirectory, name);
    if (path === current) continue;
    const info = await lstat(path).catch(() => undefined);
    if (info === undefined || !info.isDirectory()) continue;
    if (TREE_NAME.test(name)) trees.push({ path, usedMs: info.mtimeMs });
    else if (Date.now() - info.mtimeMs > TEMPORARY_AGE_MAX_MS) await rm(path, { recursive: true, force: true });
  }
  trees.sort((a, b) => b.usedMs - a.usedMs);
  for (const tree of trees.slice(TREES_KEPT - 1)) if (!(await inUse(tree.path))) await rm(tree.path, { recursive: true, force: true });
}

/**
 * The file URL of `relativePath` (a .ts source, such as 'tools/cli.ts') compiled with every
 * other source as they stand now; builds the tree if this content has none yet. The checkout is
 * this file's own unless a test names another.
 */
export async function compiledUrl(relativePath, repositoryDirectory = checkoutDirectory) {
  const cacheDirectory = join(repositoryDirectory, 'node_modules', '.cache', 'custodia-compiled');
  const files = (await Promise.all(SOURCE_FOLDERS.map((folder) => sourceFiles(join(repositoryDirectory, folder))))).flat().sort();
  const hash = createHash('sha256');
  // What else decides the output: this builder's way of building, Node's version, the compiler options.
  hash.update(`${BUILD_FORMAT}\0${process.version}\0`);
  hash.update(await readFile(join(repositoryDirectory, 'tsconfig.json')));
  for (const file of files) {
    hash.update(relative(repositoryDirectory, file));
    hash.update('\0');
    if (file.endsWith('.ts')) hash.update(await readFile(file));
    hash.update('\0');
  }
  const treeDirectory = join(cacheDirectory, hash.digest('hex').slice(0, 32));
  if (!(await exists(join(treeDirectory, 'package.json')))) await build(repositoryDirectory, files, treeDirectory);
  else {
    const now = new Date();
    await utimes(treeDirectory, now, now).catch(() => undefined);
  }
  await markInUse(treeDirectory);
  await pruneTrees(cacheDirectory, treeDirectory).catch(() => undefined);
  return pathToFileURL(join(treeDirectory, relativePath.replace(/\.ts$/, '.js'))).href;
}
