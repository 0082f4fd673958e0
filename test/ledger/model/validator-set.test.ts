import { describe, expect, it } from 'vitest';
import { toHex } from '../../../ledger/encoding/hex.js';
import { loadGenesis } from '../../../ledger/model/genesis.js';
import { ValidatorSet } from '../../../ledger/model/validator-set.js';
import { testKey } from '../../support/test-chain.js';

const validators = (count: number) => Array.from({ length: count }, (_, index) => ({ id: `v${index}`, publicKey: toHex(testKey(`set ${index}`).publicKey) }));

describe('validator sets', () => {
  it('tolerate f = floor((n - 1) / 3) faults with a quorum of n - f', () => {
    for (let size = 1; size <= 31; size++) {
      const created = ValidatorSet.create(validators(size));
      if (!created.ok) throw new Error(created.message);
      const faults = Math.floor((size - 1) / 3);
      expect(created.set.faultsTolerated).toBe(faults);
      expect(created.set.quorum).toBe(size - faults);
      // Any two quorums overlap in more than f validators, so in at least one honest one.
      expect(2 * created.set.quorum - size).toBeGreaterThan(faults);
    }
  });

  it('refuse duplicate ids, reused keys and keys of small order', () => {
    const base = validators(4);
    expect(ValidatorSet.create([...base, { ...base[0]!, publicKey: toHex(testKey('x').publicKey) }])).toMatchObject({ ok: false, path: 'validators.4.id' });
    expect(ValidatorSet.create([...base, { id: 'v9', publicKey: base[1]!.publicKey }])).toMatchObject({ ok: false, path: 'validators.4.publicKey' });
    const identity = '01' + '00'.repeat(31);
    const refused = ValidatorSet.create([...base, { id: 'v9', publicKey: identity }]);
    expect(refused).toMatchObject({ ok: false, path: 'validators.4.publicKey' });
    expect(!refused.ok && refused.message).toMatch(/small/);
    expect(ValidatorSet.create([])).toMatchObject({ ok: false });
  });

  it('is loaded from genesis with errors that name the field', () => {
    const good = { chainId: 'custodia-test', genesisTime: 0, validators: validators(4) };
    const loaded = loadGenesis(good);
    expect(loaded.ok && loaded.validators.size).toBe(4);
    expect(loaded.ok && loaded.genesis.consortium).toEqual({});
    expect(loadGenesis({ ...good, chainId: 'Has Caps' })).toMatchObject({ ok: false, path: 'chainId' });
    expect(loadGenesis({ ...good, validators: [{ id: 'v0', publicKey: 'zz' }] })).toMatchObject({ ok: false, path: 'validators.0.publicKey' });
    expect(loadGenesis({ ...good, extra: true })).toMatchObject({ ok: false });
    expect(loadGenesis({ ...good, genesisTime: -1 })).toMatchObject({ ok: false, path: 'genesisTime' });
  });
});
