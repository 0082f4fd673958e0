import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CUSTODIA_BINARY, JEMALLOC_LIBRARY_PATHS, VALIDATOR_JEMALLOC_CONF, VALIDATOR_MALLOC_ARENAS, installedJemalloc, validatorAllocator, validatorEnvironment } from '../../tools/validator-process.js';

const JEMALLOC = '/usr/lib/x86_64-linux-gnu/libjemalloc.so.2';

describe('a validator process', () => {
  it('runs with glibc malloc limited to two arenas when the caller sets no limit, and keeps the rest of the environment', () => {
    const environment = validatorEnvironment({ PATH: '/usr/bin', CUSTODIA_TSX: '1' }, null);
    expect(environment).toEqual({ PATH: '/usr/bin', CUSTODIA_TSX: '1', MALLOC_ARENA_MAX: '2' });
    expect(VALIDATOR_MALLOC_ARENAS).toBe(2);
    expect(validatorAllocator(environment)).toBe('glibc');
  });

  it('preloads jemalloc where the system has it', () => {
    const environment = validatorEnvironment({ PATH: '/usr/bin' }, JEMALLOC);
    expect(environment).toEqual({ PATH: '/usr/bin', MALLOC_ARENA_MAX: '2', LD_PRELOAD: JEMALLOC, MALLOC_CONF: VALIDATOR_JEMALLOC_CONF });
    expect(validatorAllocator(environment)).toBe('jemalloc');
    // A caller's own jemalloc settings are kept.
    expect(validatorEnvironment({ MALLOC_CONF: 'narenas:1' }, JEMALLOC)['MALLOC_CONF']).toBe('narenas:1');
  });

  it("keeps a caller's own LD_PRELOAD, an empty one meaning glibc's malloc", () => {
    expect(validatorEnvironment({ LD_PRELOAD: '' }, JEMALLOC)).toEqual({ LD_PRELOAD: '', MALLOC_ARENA_MAX: '2' });
    expect(validatorAllocator(validatorEnvironment({ LD_PRELOAD: '' }, JEMALLOC))).toBe('glibc');
    expect(validatorEnvironment({ LD_PRELOAD: '/opt/lib/libjemalloc.so' }, JEMALLOC)['LD_PRELOAD']).toBe('/opt/lib/libjemalloc.so');
  });

  it('finds jemalloc at the first known path the system has, and none where it has none', () => {
    expect(installedJemalloc(() => false)).toBeUndefined();
    expect(installedJemalloc((path) => path === JEMALLOC_LIBRARY_PATHS[2])).toBe(JEMALLOC_LIBRARY_PATHS[2]);
    expect(installedJemalloc(() => true)).toBe(JEMALLOC_LIBRARY_PATHS[0]);
  });

  it("keeps an operator's own MALLOC_ARENA_MAX", () => {
    expect(validatorEnvironment({ MALLOC_ARENA_MAX: '4' }, JEMALLOC)['MALLOC_ARENA_MAX']).toBe('4');
  });

  it('does not change the environment it was given', () => {
    const given = { PATH: '/usr/bin' };
    validatorEnvironment(given, JEMALLOC);
    expect(given).toEqual({ PATH: '/usr/bin' });
  });

  it('is started through the custodia command', () => {
    expect(CUSTODIA_BINARY.endsWith('tools/bin/custodia.mjs')).toBe(true);
    expect(existsSync(CUSTODIA_BINARY)).toBe(true);
  });
});
