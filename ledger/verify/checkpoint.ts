/**
 * The part of every offline proof that ties a block header to the genesis keys
 * (docs/encoding.md, sections 7.1 and 12): the certificate is on the header, and, from the
 * genesis set, each hand-over in `epochChanges` is certified by the set before it, until the set
 * whose quorum certified the checkpoint. Shared by transaction proofs (proof.ts) and state proofs
 * (state-proof.ts); runs in Node and in the browser.
 */
import { z } from 'zod';
import { blockHash, blockHeaderSchema, type BlockHeader } from '../model/block.js';
import { quorumCertificateSchema, verifyQuorumCertificate, type QuorumCertificate } from '../model/certificate.js';
import { epochAfter, genesisEpoch, type Epoch } from '../model/epoch.js';
import type { ValidatorSet } from '../model/validator-set.js';

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
 * From the genesis set through each hand-over to the set of the checkpoint's epoch, then that
 * set's certificate on the checkpoint. The caller has checked that the certificate is on the header.
 */
export function verifyCheckpointCertificate(
  checkpoint: { header: BlockHeader; certificate: QuorumCertificate },
  epochChanges: ReadonlyArray<{ header: BlockHeader; certificate: QuorumCertificate }>,
  chainId: string,
  validators: ValidatorSet,
): CheckpointVerdict {
  const fail = (step: 'epoch-change' | 'certificate', message: string): CheckpointVerdict => ({ ok: false, step, message });
  let epoch: Epoch = genesisEpoch(
    validators.validators.map((validator) => ({ id: validator.id, publicKey: validator.publicKeyHex })),
    validators,
  );
  for (const [index, change] of epochChanges.entries()) {
    const { header: ending, certificate: handOver } = change;
    const which = `epoch change ${index} (block ${ending.height})`;
    if (ending.chainId !== chainId) return fail('epoch-change', `${which} is for chain ${ending.chainId}, not ${chainId}`);
    if (ending.height < epoch.startHeight) {
      return fail('epoch-change', `${which} is not after the previous hand-over: epoch ${epoch.number} starts at height ${epoch.startHeight}`);
    }
    const notOn = certificateNotOnHeader(ending, handOver, `the certificate of ${which}`, 'its header');
    if (notOn !== undefined) return fail('epoch-change', notOn);
    if (ending.nextValidators === undefined) return fail('epoch-change', `${which} names no nextValidators, so it ends no epoch`);
    const verdict = verifyQuorumCertificate(handOver, epoch.validators, chainId, epoch.number);
    if (!verdict.ok) return fail('epoch-change', `the certificate of ${which} fails under epoch ${epoch.number}: ${verdict.code}: ${verdict.message}`);
    const next = epochAfter(epoch, ending);
    if (!next.ok) return fail('epoch-change', `${which}: ${next.message}`);
    epoch = next.epoch;
  }
  const header = checkpoint.header;
  if (header.height < epoch.startHeight) {
    return fail('epoch-change', `the checkpoint at height ${header.height} is not above the last hand-over, at height ${epoch.startHeight - 1}`);
  }
  const certificate = verifyQuorumCertificate(checkpoint.certificate, epoch.validators, chainId, epoch.number);
  if (!certificate.ok) {
    return fail('certificate', `the checkpoint's quorum certificate fails under epoch ${epoch.number}${epoch.number === 0 ? ' (the genesis validators)' : ` (the set from height ${epoch.startHeight})`}: ${certificate.code}: ${certificate.message}`);
  }
  return { ok: true, epoch };
}
