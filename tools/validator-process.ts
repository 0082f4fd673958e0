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
 */
import { fileURLToPath } from 'node:url';

/** The `custodia` command (tools/bin/custodia.mjs), run with `node`. */
export const CUSTODIA_BINARY = fileURLToPath(new URL('./bin/custodia.mjs', import.meta.url));

/** glibc malloc's arenas for a validator process (MALLOC_ARENA_MAX). */
export const VALIDATOR_MALLOC_ARENAS = 2;

/** The environment for a validator process: the caller's, with MALLOC_ARENA_MAX unless it sets one. */
export function validatorEnvironment(environment: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return { ...environment, MALLOC_ARENA_MAX: environment['MALLOC_ARENA_MAX'] ?? String(VALIDATOR_MALLOC_ARENAS) };
}
