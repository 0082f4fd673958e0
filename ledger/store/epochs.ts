/**
 * The store's view of validator-set epochs (ledger/model/epoch.ts; docs/encoding.md, "Validator-set
 * epochs"): the committed blocks that end an epoch, kept as a small index (`v:<height>`, written
 * in the same batch as the block) and held in memory after open, since there is at most one per
 * set change. From it the store answers which epoch certifies a height, and hands an auditor the
 * chain of hand-overs from genesis that a transaction proof needs.
 */
import { blockHash, type BlockHeader } from '../model/block.js';
import { verifyQuorumCertificate, type QuorumCertificate } from '../model/certificate.js';
import { epochAfter, type Epoch } from '../model/epoch.js';
import type { StoreReader } from './tail-check.js';

/** A block that ends an epoch, with the certificate its (outgoing) set made on it. */
export interface EpochChange {
  header: BlockHeader;
  certificate: QuorumCertificate;
}

export type EpochHistoryStep = { ok: true; history: EpochHistory } | { ok: false; message: string };

/** The epochs of a committed chain, oldest first; immutable (a new hand-over gives a new history). */
export class EpochHistory {
  private constructor(
    private readonly epochList: readonly Epoch[],
    private readonly changeList: readonly EpochChange[],
  ) {}

  static start(genesis: Epoch): EpochHistory {
    return new EpochHistory([genesis], []);
  }

  /** The latest epoch: the one that certifies every block after the last recorded hand-over. */
  get current(): Epoch {
    return this.epochList[this.epochList.length - 1]!;
  }

  get epochs(): readonly Epoch[] {
    return this.epochList;
  }

  /**
   * The epoch that certifies `height`. Above the last recorded hand-over this is the current
   * epoch; for a height beyond the committed head + 1 that is only as far as the committed chain
   * knows (a block still to commit may end the epoch).
   */
  at(height: number): Epoch {
    for (let index = this.epochList.length - 1; index > 0; index--) {
      const epoch = this.epochList[index]!;
      if (height >= epoch.startHeight) return epoch;
    }
    return this.epochList[0]!;
  }

  /** Whether the block at `height` is a recorded hand-over. */
  endsAt(height: number): boolean {
    return this.changeList.some((change) => change.header.height === height);
  }

  /** The recorded hand-overs below `height`, oldest first. */
  changesBefore(height: number): EpochChange[] {
    return this.changeList.filter((change) => change.header.height < height);
  }

  /**
   * The history after one more committed hand-over. It must come after the last one, and name a
   * valid validator set; its certificate is not checked here (the caller knows whether to).
   */
  withChange(change: EpochChange): EpochHistoryStep {
    const current = this.current;
    if (change.header.height < current.startHeight) {
      return { ok: false, message: `block ${change.header.height} cannot end epoch ${current.number}, which starts at height ${current.startHeight}` };
    }
    const next = epochAfter(current, change.header);
    if (!next.ok) return next;
    if (next.epoch === current) return { ok: false, message: `block ${change.header.height} carries no nextValidators, so it ends no epoch` };
    return { ok: true, history: new EpochHistory([...this.epochList, next.epoch], [...this.changeList, change]) };
  }
}

export interface EpochHistoryOptions {
  chainId: string;
  genesis: Epoch;
  headHeight: number;
  /** Whether to verify each hand-over's certificate under the epoch it ends. */
  verifyCertificates: boolean;
}

export type EpochHistoryLoad = { ok: true; history: EpochHistory } | { ok: false; height: number; message: string };

/**
 * Rebuilds the epoch history from the store's index of epoch-ending blocks, checking each entry
 * against its block: the header carries nextValidators for this chain, the certificate is on that
 * header (and, when asked, valid for the epoch it ends), and the set it names is valid.
 */
export async function loadEpochHistory(reader: StoreReader, options: EpochHistoryOptions): Promise<EpochHistoryLoad> {
  let history = EpochHistory.start(options.genesis);
  let ends: Array<{ height: number; epoch: number }>;
  try {
    ends = await reader.epochEnds();
  } catch (error) {
    return { ok: false, height: 0, message: `the epoch index cannot be read: ${describe(error)}` };
  }
  for (const { height, epoch } of ends) {
    const fail = (message: string): EpochHistoryLoad => ({ ok: false, height, message });
    if (height > options.headHeight) return fail(`the epoch index names height ${height}, above the head ${options.headHeight}`);
    let change: EpochChange;
    try {
      const [block, certificate] = await Promise.all([reader.block(height), reader.certificate(height)]);
      if (block === undefined || certificate === undefined) return fail('the epoch index names this height, but its block or certificate is missing');
      change = { header: block.header, certificate };
    } catch (error) {
      return fail(`a stored record cannot be read: ${describe(error)}`);
    }
    const current = history.current;
    const { header, certificate } = change;
    if (header.nextValidators === undefined) return fail('the epoch index names this block, but its header carries no nextValidators');
    if (header.chainId !== options.chainId) return fail(`wrong-chain: block is for chain ${header.chainId}, expected ${options.chainId}`);
    if (epoch !== current.number) return fail(`the epoch index records the end of epoch ${epoch}, but the hand-overs before it make it epoch ${current.number}`);
    const hash = blockHash(header);
    const vote = certificate.vote;
    if (vote.blockHash !== hash || vote.height !== header.height || vote.round !== header.round) {
      return fail(`certificate-mismatch: certificate is for block ${vote.blockHash} at height ${vote.height} round ${vote.round}, not ${hash} at height ${header.height} round ${header.round}`);
    }
    if (options.verifyCertificates) {
      const verdict = verifyQuorumCertificate(certificate, current.validators, options.chainId, current.number);
      if (!verdict.ok) return fail(`its certificate fails: ${verdict.code}: ${verdict.message} (epoch ${current.number})`);
    }
    const next = history.withChange(change);
    if (!next.ok) return fail(next.message);
    history = next.history;
  }
  return { ok: true, history };
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
