/**
 * The part of every offline proof that ties a block header to the genesis keys
 * (docs/encoding.md, sections 7.1 and 12): the certificate is on the header, and, from the
 * genesis set, each hand-over in `epochChanges` is certified by the set before it
 * (epoch-changes.ts), until the set whose quorum certified the checkpoint. Shared by transaction proofs (proof.ts) and state proofs
 * (state-proof.ts); runs in Node and in the browser.
 */
import { z } from 'zod';
import { blockHash, blockHeaderSchema, type BlockHeader } from '../model/block.js';
import { quorumCertificateSchema, verifyQuorumCertificate, type QuorumCertificate } from '../model/certificate.js';
import type { Epoch } from '../model/epoch.js';
import type { ValidatorSet } from '../model/validator-set.js';
import { followEpochChanges, type EpochChangeRecord } from './epoch-changes.js';

/** Validator-set changes a proof may walk through; each needs governance and ten blocks' notice. */
export const PROOF_EPOCH_CHANGES_MAX = 1024;

export const certifiedHeaderSchema = z.strictObject({ header: blockHeaderSchema, certificate: quorumCertificateSchema });
export const epochChangesSchema = z.array(certifiedHeaderSchema).max(PROOF_EPOCH_CHANGES_MAX);

/**
 * Why a certificate is not on a header, or undefined when its vote names the header's hash,
 * height and round; `subject` names the certificate and `which` the header in the message.
 */
export function certificateNotOnHeader(header: BlockHeader, certificate: QuorumCertificate, subject: string, which: string): string | undefined {
  const hash = blockHash(header);
  const vote = certificate.vote;
  if (vote.blockHash === hash && vote.height === header.height && vote.round === header.round) return undefined;
  return `${subject} is for block ${vote.blockHash} at height ${vote.height}, not ${which} ${hash} at height ${header.height}`;
}

export type CheckpointVerdict = { ok: true; epoch: Epoch } | { ok: false; step: 'epoch-change' | 'certificate'; message: string };

/**
 * From the genesis set through each hand-over (epoch-changes.ts) to the set of the checkpoint's
 * epoch, then that set's certificate on the checkpoint. The caller has checked that the
 * certificate is on the header.
 */
export function verifyCheckpointCertificate(
  checkpoint: { header: BlockHeader; certificate: QuorumCertificate },
  epochChanges: readonly EpochChangeRecord[],
  chainId: string,
  validators: ValidatorSet,
): CheckpointVerdict {
  const walk = followEpochChanges(chainId, validators, epochChanges);
  if (!walk.ok) return { ok: false, step: 'epoch-change', message: walk.message };
  const epoch = walk.epochs.at(-1)!;
  const header = checkpoint.header;
  if (header.height < epoch.startHeight) {
    return { ok: false, step: 'epoch-change', message: `the checkpoint at height ${header.height} is not above the last hand-over, at height ${epoch.startHeight - 1}` };
  }
  const certificate = verifyQuorumCertificate(checkpoint.certificate, epoch.validators, chainId, epoch.number);
  if (!certificate.ok) {
    return {
      ok: false,
      step: 'certificate',
      message: `the checkpoint's quorum certificate fails under epoch ${epoch.number}${epoch.number === 0 ? ' (the genesis validators)' : ` (the set from height ${epoch.startHeight})`}: ${certificate.code}: ${certificate.message}`,
    };
  }
  return { ok: true, epoch };
}
