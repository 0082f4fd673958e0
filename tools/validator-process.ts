/**
 * How the tools start a validator process (`custodia devnet`, the benchmark's cluster): the
 * `custodia` command's path, and the environment a validator runs with.
 *
 * glibc's malloc gives each thread that allocates its own arena, up to eight per core, and memory
 * freed in an arena stays mapped to it. A validator allocates natively from many threads (LevelDB
 * on libuv's pool, V8's compiler and collector threads), so under sustained load its RSS kept
 * growing beyond its heaps; two arenas held some 70 MB less of it at three times capacity, at no
 * cost in throughput (docs/performance.md, "Overload"; docs/operations.md for operators'
 * own service files). glibc reads the variable once, as the process starts, so it is set for
 * the child; a value the caller's environment already gives is kept, and a C library other than
 * glibc ignores it.
 *
 * Where the system has jemalloc (Debian's and Ubuntu's libjemalloc2), it is preloaded instead
 * (LD_PRELOAD): it hands memory freed from any thread back to the system, and with it a validator's
 * RSS at three times capacity stopped creeping. It was level from about 100 s on, 480-550 MB for the
 * largest validator. With glibc and two arenas it still rose by some 0.16 MB a second. It also
 * committed 3-6% more (docs/performance.md, "jemalloc under overload"). A caller's own LD_PRELOAD is
 * kept, so `LD_PRELOAD=` (empty) runs the validators with glibc's malloc.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The `custodia` command (tools/bin/custodia.mjs), run with `node`. */
export const CUSTODIA_BINARY = fileURLToPath(new URL('./bin/custodia.mjs', import.meta.url));

/** glibc malloc's arenas for a validator process (MALLOC_ARENA_MAX). */
export const VALIDATOR_MALLOC_ARENAS = 2;

/** Where distributions install jemalloc's shared library (Debian and Ubuntu by architecture, then Fedora's and Arch's). */
export const JEMALLOC_LIBRARY_PATHS = [
  '/usr/lib/x86_64-linux-gnu/libjemalloc.so.2',
  '/usr/lib/aarch64-linux-gnu/libjemalloc.so.2',
  '/usr/lib64/libjemalloc.so.2',
  '/usr/lib/libjemalloc.so.2',
] as const;

/**
 * jemalloc's settings where the tools preload it (MALLOC_CONF): two arenas, as glibc's; freed
 * pages returned after a second, by a thread of jemalloc's own so that an idle validator returns
 * them too. With jemalloc's defaults (eight arenas on two cores, ten seconds) a validator serving
 * a 200,000-event ledger peaked at 294 MB against glibc's 272; with these, 285 MB
 * (docs/performance.md, "jemalloc under overload").
 */
export const VALIDATOR_JEMALLOC_CONF = 'narenas:2,background_thread:true,dirty_decay_ms:1000,muzzy_decay_ms:0';

/** The first of JEMALLOC_LIBRARY_PATHS this system has, if any. */
export function installedJemalloc(exists: (path: string) => boolean = existsSync): string | undefined {
  return JEMALLOC_LIBRARY_PATHS.find((path) => exists(path));
}

/**
 * The environment for a validator process: the caller's, with MALLOC_ARENA_MAX unless it sets
 * one, and jemalloc preloaded (`jemalloc`, the library's path; null for none) with
 * VALIDATOR_JEMALLOC_CONF unless the caller sets LD_PRELOAD (or, for the settings, MALLOC_CONF).
 */
export function validatorEnvironment(environment: NodeJS.ProcessEnv = process.env, jemalloc: string | null = installedJemalloc() ?? null): NodeJS.ProcessEnv {
  const preloading = environment['LD_PRELOAD'] === undefined && jemalloc !== null;
  return {
    ...environment,
    MALLOC_ARENA_MAX: environment['MALLOC_ARENA_MAX'] ?? String(VALIDATOR_MALLOC_ARENAS),
    ...(preloading ? { LD_PRELOAD: jemalloc, MALLOC_CONF: environment['MALLOC_CONF'] ?? VALIDATOR_JEMALLOC_CONF } : {}),
  };
}

/** Which malloc a validator started with `environment` (validatorEnvironment's) runs with. */
export function validatorAllocator(environment: NodeJS.ProcessEnv): 'jemalloc' | 'glibc' {
  return /libjemalloc/.test(environment['LD_PRELOAD'] ?? '') ? 'jemalloc' : 'glibc';
}
