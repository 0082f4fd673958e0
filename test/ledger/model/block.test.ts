import { describe, expect, it } from 'vitest';
import { canonicalize } from '../../../ledger/encoding/canonical-json.js';
import { toHex } from '../../../ledger/encoding/hex.js';
import { sha256Text } from '../../../ledger/crypto/sha256.js';
import { blockHash, type BlockHeader } from '../../../ledger/model/block.js';

function header(overrides: Partial<BlockHeader> = {}): BlockHeader {
  return {
    chainId: 'custodia-test',
    height: 7,
    round: 9,
    prevHash: 'ab'.repeat(32),
    proposer: 'validator-1',
    timestamp: Date.UTC(2026, 0, 1),
    txCount: 0,
    txRoot: 'cd'.repeat(32),
    ledgerHeight: 6,
    logSize: 12,
    logRoot: 'ef'.repeat(32),
    stateRoot: '01'.repeat(32),
    ...overrides,
  };
}

describe('blockHash', () => {
  it('is SHA-256 over the header in RFC 8785 form', () => {
    const value = header();
    expect(blockHash(value)).toBe(toHex(sha256Text(canonicalize(value))));
  });

  it('gives the same hash again for the same header, and another for a changed copy', () => {
    const value = header();
    const first = blockHash(value);
    expect(blockHash(value)).toBe(first);
    const changed = { ...value, stateRoot: '02'.repeat(32) };
    expect(blockHash(changed)).not.toBe(first);
    expect(blockHash(changed)).toBe(toHex(sha256Text(canonicalize(changed))));
  });

  it('freezes a header it hashed, nested validators included, so its kept hash cannot go stale', () => {
    const value = header({ nextValidators: [{ id: 'validator-5', publicKey: '11'.repeat(32) }] });
    blockHash(value);
    expect(() => {
      value.stateRoot = '02'.repeat(32);
    }).toThrow(TypeError);
    expect(() => {
      value.nextValidators![0]!.id = 'intruder';
    }).toThrow(TypeError);
    expect(() => value.nextValidators!.push({ id: 'intruder', publicKey: '22'.repeat(32) })).toThrow(TypeError);
    expect(blockHash(value)).toBe(toHex(sha256Text(canonicalize(header({ nextValidators: [{ id: 'validator-5', publicKey: '11'.repeat(32) }] })))));
  });
});
