import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CUSTODIA_BINARY, VALIDATOR_MALLOC_ARENAS, validatorEnvironment } from '../../tools/validator-process.js';

describe('a validator process', () => {
  it('runs with glibc malloc limited to two arenas when the caller sets no limit, and keeps the rest of the environment', () => {
    const environment = validatorEnvironment({ PATH: '/usr/bin', CUSTODIA_TSX: '1' });
    expect(environment).toEqual({ PATH: '/usr/bin', CUSTODIA_TSX: '1', MALLOC_ARENA_MAX: '2' });
    expect(VALIDATOR_MALLOC_ARENAS).toBe(2);
  });

  it("keeps an operator's own MALLOC_ARENA_MAX", () => {
    expect(validatorEnvironment({ MALLOC_ARENA_MAX: '4' })['MALLOC_ARENA_MAX']).toBe('4');
  });

  it('does not change the environment it was given', () => {
    const given = { PATH: '/usr/bin' };
    validatorEnvironment(given);
    expect(given).toEqual({ PATH: '/usr/bin' });
  });

  it('is started through the custodia command', () => {
    expect(CUSTODIA_BINARY.endsWith('tools/bin/custodia.mjs')).toBe(true);
    expect(existsSync(CUSTODIA_BINARY)).toBe(true);
  });
});
