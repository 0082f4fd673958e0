/**
 * Builds the auditor web UI into api/ui/dist/ with esbuild: one JavaScript and one CSS bundle
 * under content-hashed names (so browsers may cache them forever) and an index.html that names
 * them. Runs at install time (`npm install` / `npm ci` call it as the `prepare` script, or
 * `npm run build:ui`); validators only serve the result, so nothing is compiled at run time and
 * nothing comes from a CDN.
 *
 * The bundle runs `ledger/verify/proof.ts` unchanged. Two ledger modules use node:crypto for
 * speed; the plugin below swaps each for its @noble twin (`sha256.browser.ts`,
 * `ed25519.browser.ts`) that applies the same pinned rules, and the build fails if anything
 * from Node's standard library is still reachable, so a future import cannot quietly break the
 * browser's verifier.
 */
import { build } from 'esbuild';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const uiDirectory = dirname(fileURLToPath(import.meta.url));
const repositoryDirectory = resolve(uiDirectory, '..', '..');
/** `--out DIR` builds elsewhere (the tests build a fresh copy); api/ui/dist is what nodes serve. */
const outIndex = process.argv.indexOf('--out');
const outputDirectory = outIndex > 0 && process.argv[outIndex + 1] !== undefined ? resolve(process.argv[outIndex + 1]) : join(uiDirectory, 'dist');
const cryptoDirectory = join(repositoryDirectory, 'ledger', 'crypto');

/** Node-backed ledger module -> its browser twin (paths relative to ledger/crypto/). */
const BROWSER_TWINS = new Map([
  ['sha256', 'sha256.browser.ts'],
  ['ed25519', 'ed25519.browser.ts'],
]);

const nodeBuiltins = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));

/** Swaps the node:crypto-backed ledger modules for their browser twins. */
const browserTwins = {
  name: 'custodia-browser-twins',
  setup(builder) {
    builder.onResolve({ filter: /(?:^|\/)(?:sha256|ed25519)(?:\.js|\.ts)?$/ }, (arguments_) => {
      if (arguments_.resolveDir === '') return undefined;
      const target = resolve(arguments_.resolveDir, arguments_.path).replace(/\.(?:js|ts)$/, '');
      if (dirname(target) !== cryptoDirectory) return undefined;
      const twin = BROWSER_TWINS.get(basename(target));
      return twin === undefined ? undefined : { path: join(cryptoDirectory, twin) };
    });
  },
};

/** Refuses any import of Node's standard library: the verifier must run on @noble alone. */
const noNodeBuiltins = {
  name: 'custodia-no-node-builtins',
  setup(builder) {
    builder.onResolve({ filter: /^[a-z_:]+(?:\/[a-z_]+)*$/ }, (arguments_) => {
      if (!nodeBuiltins.has(arguments_.path)) return undefined;
      const importer = relative(repositoryDirectory, arguments_.importer) || '(entry)';
      return { errors: [{ text: `${importer} imports ${arguments_.path}: Node's standard library cannot be in the browser bundle (add a .browser.ts twin and map it in api/ui/build.mjs)` }] };
    });
  },
};

function fail(message) {
  console.error(`api/ui/build.mjs: ${message}`);
  process.exit(1);
}

const started = Date.now();
// Only a previous build is ever deleted: a mistyped --out must not empty someone's folder.
const previous = await readdir(outputDirectory).catch(() => []);
if (previous.length > 0 && !previous.includes('build.json')) fail(`${outputDirectory} is not empty and holds no previous UI build; choose another --out`);
await rm(outputDirectory, { recursive: true, force: true });
await mkdir(outputDirectory, { recursive: true });

let result;
try {
  result = await build({
    absWorkingDir: repositoryDirectory,
    entryPoints: { app: join(uiDirectory, 'src', 'main.ts'), styles: join(uiDirectory, 'styles.css') },
    outdir: join(outputDirectory, 'assets'),
    entryNames: '[name]-[hash]',
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['es2022', 'chrome109', 'firefox115', 'safari16'],
    minify: true,
    sourcemap: 'linked',
    metafile: true,
    legalComments: 'linked',
    logLevel: 'silent',
    plugins: [browserTwins, noNodeBuiltins],
  });
} catch (error) {
  const messages = (error.errors ?? []).map((entry) => `${entry.location?.file ?? ''}${entry.location ? `:${entry.location.line}` : ''} ${entry.text}`.trim());
  fail(messages.length > 0 ? messages.join('\n') : String(error));
}

// Belt and braces: even if a resolver path were missed above, no Node module and no
// node:crypto-backed ledger file may appear among the bundle's inputs.
const inputs = Object.keys(result.metafile.inputs);
const forbidden = inputs.filter((input) => nodeBuiltins.has(input) || input.startsWith('node:') || /ledger\/crypto\/(?:sha256|ed25519)\.ts$/.test(input));
if (forbidden.length > 0) fail(`the bundle would include ${forbidden.join(', ')}; the browser must use the .browser.ts twins`);
const twins = inputs.filter((input) => /ledger\/crypto\/(?:sha256|ed25519)\.browser\.ts$/.test(input));
if (twins.length !== BROWSER_TWINS.size) fail(`expected both browser twins in the bundle, found ${twins.join(', ') || 'none'}`);

const outputs = Object.entries(result.metafile.outputs);
const assetFor = (entry, extension) => {
  const found = outputs.find(([path, output]) => path.endsWith(extension) && output.entryPoint !== undefined && output.entryPoint.endsWith(entry));
  if (found === undefined) fail(`no ${extension} output for ${entry}`);
  const text = found[0];
  if (/node:crypto/.test(text)) fail('node:crypto appears in the bundle');
  return `assets/${basename(text)}`;
};
const script = assetFor('src/main.ts', '.js');
const stylesheet = assetFor('styles.css', '.css');
for (const [path] of outputs) {
  if (path.endsWith('.js') && /["']node:/.test(await readFile(join(repositoryDirectory, path), 'utf8'))) fail(`${path} refers to a node: module`);
}

const template = await readFile(join(uiDirectory, 'index.html'), 'utf8');
if (!template.includes('%SCRIPT%') || !template.includes('%STYLESHEET%')) fail('index.html lacks the %SCRIPT% or %STYLESHEET% placeholder');
await writeFile(join(outputDirectory, 'index.html'), template.replaceAll('%SCRIPT%', script).replaceAll('%STYLESHEET%', stylesheet));
await writeFile(join(outputDirectory, 'build.json'), `${JSON.stringify({ script, stylesheet, builtAt: new Date().toISOString() }, null, 2)}\n`);

const bytes = outputs.filter(([path]) => !path.endsWith('.map')).reduce((sum, [, output]) => sum + output.bytes, 0);
console.log(`auditor UI built into ${relative(process.cwd(), outputDirectory) || '.'} (${Math.round(bytes / 1024)} KiB, ${Date.now() - started} ms)`);
