/**
 * Domain separation for signatures (docs/encoding.md, "Signatures").
 *
 * Every signature covers `domainTag(purpose, chainId) || message`, where the tag is the ASCII
 * text `custodia/v1/<purpose>/<chainId>` followed by one zero byte. Consensus signatures
 * (proposal, vote, timeout) of a later validator-set epoch n > 0 use
 * `custodia/v1/<purpose>/<chainId>/epoch-<n>`, so that nothing signed under one validator set
 * (where rounds restart at 1) can be replayed under another. Purposes are a closed list and
 * chain ids cannot contain `/` or a zero byte, so no tag is a prefix of another: a signature
 * made for one purpose, chain or epoch never verifies for another.
 */
import { assert } from '../assert.js';
import { concatBytes, utf8 } from '../encoding/hex.js';

export const SIGNING_PURPOSES = ['transaction', 'proposal', 'vote', 'timeout', 'handshake', 'checkpoint'] as const;
export type SigningPurpose = (typeof SIGNING_PURPOSES)[number];

/** Lowercase letters, digits, `.`, `_` and `-`; 1 to 64 characters, starting with a letter or digit. */
export const CHAIN_ID_PATTERN = /^[a-z0-9][a-z0-9._-]{0,63}$/;

/** The purposes whose signatures are scoped to a validator-set epoch. */
export const EPOCH_SCOPED_PURPOSES: readonly SigningPurpose[] = ['proposal', 'vote', 'timeout'];

const tagCache = new Map<string, Uint8Array>();
const tagCacheEntriesMax = 64;

export function domainTag(purpose: SigningPurpose, chainId: string, epoch = 0): Uint8Array {
  assert(SIGNING_PURPOSES.includes(purpose), `unknown signing purpose ${purpose}`);
  assert(CHAIN_ID_PATTERN.test(chainId), `invalid chain id ${JSON.stringify(chainId)}`);
  assert(Number.isSafeInteger(epoch) && epoch >= 0, `invalid epoch ${epoch}`);
  assert(epoch === 0 || EPOCH_SCOPED_PURPOSES.includes(purpose), `${purpose} signatures are not epoch-scoped`);
  const cacheKey = epoch === 0 ? `${purpose}/${chainId}` : `${purpose}/${chainId}/epoch-${epoch}`;
  let tag = tagCache.get(cacheKey);
  if (tag === undefined) {
    tag = concatBytes(utf8(`custodia/v1/${cacheKey}`), new Uint8Array([0]));
    if (tagCache.size >= tagCacheEntriesMax) tagCache.clear();
    tagCache.set(cacheKey, tag);
  }
  return tag;
}

export function signingMessage(purpose: SigningPurpose, chainId: string, message: Uint8Array, epoch = 0): Uint8Array {
  return concatBytes(domainTag(purpose, chainId, epoch), message);
}
