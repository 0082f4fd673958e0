#!/usr/bin/env node
// The `custodia` command. The sources are TypeScript; the command runs them compiled to plain
// JavaScript once per source content (./compiled-sources.mjs), so it always runs the checked-out
// code with no separate build step, and without tsx's module-hooks thread (about 80 MB of memory
// in every process, every validator among them). CUSTODIA_TSX=1 runs the sources through tsx instead.
let cli;
if (process.env.CUSTODIA_TSX === '1') {
  const { tsImport } = await import('tsx/esm/api');
  cli = await tsImport('../cli.ts', import.meta.url);
} else {
  const { compiledUrl } = await import('./compiled-sources.mjs');
  let url;
  try {
    url = await compiledUrl('tools/cli.ts');
  } catch (error) {
    // A checkout it cannot write beside (read-only node_modules): the sources through tsx, as before.
    process.stderr.write(`custodia: running the TypeScript through tsx, as the compiled copy could not be written: ${error instanceof Error ? error.message : String(error)}\n`);
    const { tsImport } = await import('tsx/esm/api');
    cli = await tsImport('../cli.ts', import.meta.url);
  }
  if (url !== undefined) cli = await import(url);
}
process.exitCode = await cli.main(process.argv);
