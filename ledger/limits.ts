/**
 * Size limits of recorded structures. Every validator applies the same numbers, so they are
 * part of the protocol: changing one is a chain upgrade, not a setting.
 */

export const LEDGER_LIMITS = {
  /** Canonical bytes of one transaction body. */
  transactionBodyBytesMax: 256 * 1024,
  /** Distinct signing participants named by one transaction. */
  transactionSignersMax: 16,
  transactionNonceLengthMax: 128,
  transactionTypeLengthMax: 64,
  /** Participant, validator and signer identifiers (a PGLN URN fits easily). */
  identifierLengthMax: 256,
  blockTransactionsMax: 10_000,
  /** Sum of the canonical body bytes of a block's transactions. */
  blockBodyBytesMax: 16 * 1024 * 1024,
  resultMessageLengthMax: 1024,
  validatorsMax: 100,
} as const;
