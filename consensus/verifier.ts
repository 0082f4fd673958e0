/**
 * One verifier per message type (docs/consensus.md, "Verification"): signatures under their
 * domain tags, validators known and counted once, certificates well formed. Each returns a
 * typed refusal, never throws. Certificates recur in many messages (a QC rides in the next
 * proposal, every timeout and every sync message), so verified ones are remembered by digest
 * in a bounded cache and checked once. So are this validator's own signatures: its proposal and
 * its vote loop back to it, and its vote rides in the QC of the next proposal, each the very
 * bytes its safety rules just made. A verifier serves one validator-set epoch: its set, and its
 * number in every signature's domain tag.
 */
import { canonicalBytes } from '../ledger/encoding/canonical-json.js';
import { fromHex, toHex } from '../ledger/encoding/hex.js';
import { sha256 } from '../ledger/crypto/sha256.js';
import { verifyFor } from '../ledger/crypto/signatures.js';
import { blockHash } from '../ledger/model/block.js';
import { verifyQuorumCertificate, voteDigest, type QuorumCertificate } from '../ledger/model/certificate.js';
import {
  certificateRound,
  proposalDigest,
  timeoutDigest,
  type ParentCertificate,
  type ProposalMessage,
  type TimeoutCertificate,
  type TimeoutMessage,
  type VoteMessage,
} from './messages.js';
import type { EpochConfig, RejectionReason } from './types.js';

export type Verdict = { ok: true } | { ok: false; reason: RejectionReason; detail: string };

const verifiedCertificatesMax = 1024;
/** This validator's own recent signatures: a few per round (a proposal, a vote, a timeout). */
const ownSignaturesMax = 256;

type SignedPurpose = 'proposal' | 'vote' | 'timeout';

function ownSignatureKey(purpose: SignedPurpose, validator: string, digest: Uint8Array, signature: string): string {
  return `${purpose}:${validator}:${toHex(digest)}:${signature}`;
}

const OK: Verdict = Object.freeze({ ok: true });

function refuse(reason: RejectionReason, detail: string): Verdict {
  return { ok: false, reason, detail };
}

export class MessageVerifier {
  readonly #verified = new Set<string>();
  readonly #ownSignatures = new Set<string>();

  private readonly validators: EpochConfig['validators'];

  constructor(
    private readonly chainId: string,
    private readonly epoch: EpochConfig,
  ) {
    this.validators = epoch.validators;
  }

  /** A QC, or null for the epoch's root (genesis in epoch 0). */
  verifyQuorumCertificate(certificate: ParentCertificate): Verdict {
    if (certificate === null) return OK;
    const key = this.cacheKey('qc', certificate);
    if (this.#verified.has(key)) return OK;
    const verdict = verifyQuorumCertificate(certificate, this.validators, this.chainId, this.epoch.number, (validator, digest, signature) => this.isOwnSignature('vote', validator, digest, signature));
    if (!verdict.ok) return refuse('invalid-certificate', `quorum certificate: ${verdict.code}: ${verdict.message}`);
    this.remember(key);
    return OK;
  }

  /**
   * A QC this validator assembled from votes it verified one by one (each signs the vote the QC
   * names): it is valid, so when it comes back (the leader's own proposal, a sync-info, a timeout)
   * its signatures are not checked a second time.
   */
  rememberAssembledQuorumCertificate(certificate: QuorumCertificate): void {
    this.remember(this.cacheKey('qc', certificate));
  }

  /**
   * A signature this validator's safety rules have just made, as `validator`, over `digest` for
   * `purpose` in this verifier's chain and epoch. When those same bytes come back over the same
   * digest and name the same validator, they verify by construction (Ed25519 signing is
   * deterministic and the key is ours), so they are not checked again. Bytes that differ in any
   * part, or name another validator, are checked as usual.
   */
  rememberOwnSignature(purpose: SignedPurpose, validator: string, digest: Uint8Array, signature: string): void {
    if (this.#ownSignatures.size >= ownSignaturesMax) this.#ownSignatures.clear();
    this.#ownSignatures.add(ownSignatureKey(purpose, validator, digest, signature));
  }

  private isOwnSignature(purpose: SignedPurpose, validator: string, digest: Uint8Array, signature: string): boolean {
    return this.#ownSignatures.size > 0 && this.#ownSignatures.has(ownSignatureKey(purpose, validator, digest, signature));
  }

  /** The signature check itself, unless the signature is this validator's own (rememberOwnSignature). */
  private verifies(purpose: SignedPurpose, validator: string, publicKey: Uint8Array, digest: Uint8Array, signature: string): boolean {
    if (this.isOwnSignature(purpose, validator, digest, signature)) return true;
    return verifyFor(purpose, this.chainId, publicKey, digest, fromHex(signature), this.epoch.number);
  }

  /**
   * n - f distinct validators, each signing (round, its highQcRound); the carried QC is the
   * highest of those rounds and is itself valid.
   */
  verifyTimeoutCertificate(certificate: TimeoutCertificate): Verdict {
    const key = this.cacheKey('tc', certificate);
    if (this.#verified.has(key)) return OK;
    const seen = new Set<string>();
    let highestQcRound = 0;
    for (const entry of certificate.signatures) {
      if (this.validators.get(entry.validator) === undefined) return refuse('invalid-certificate', `timeout certificate names unknown validator ${entry.validator}`);
      if (seen.has(entry.validator)) return refuse('invalid-certificate', `timeout certificate counts ${entry.validator} twice`);
      if (entry.highQcRound >= certificate.round) return refuse('invalid-certificate', 'a timeout reports a QC from its own round or later');
      seen.add(entry.validator);
      highestQcRound = Math.max(highestQcRound, entry.highQcRound);
    }
    if (seen.size < this.validators.quorum) return refuse('invalid-certificate', `timeout certificate has ${seen.size} of ${this.validators.quorum} needed`);
    if (certificateRound(certificate.highQc) !== highestQcRound) {
      return refuse('invalid-certificate', 'the timeout certificate does not carry its highest reported QC');
    }
    const qcVerdict = this.verifyQuorumCertificate(certificate.highQc);
    if (!qcVerdict.ok) return qcVerdict;
    for (const entry of certificate.signatures) {
      const validator = this.validators.get(entry.validator)!;
      if (!this.verifies('timeout', entry.validator, validator.publicKey, timeoutDigest(certificate.round, entry.highQcRound), entry.signature)) {
        return refuse('invalid-certificate', `timeout signature of ${entry.validator} does not verify`);
      }
    }
    this.remember(key);
    return OK;
  }

  /**
   * The proposer is the round's leader and signed; the block names this chain; its parent link
   * matches the certificate it carries; every certificate verifies.
   */
  verifyProposal(proposal: ProposalMessage, leaderOfRound: (round: number) => string): Verdict {
    const header = proposal.block.header;
    if (header.chainId !== this.chainId) return refuse('wrong-chain', `proposal for chain ${header.chainId}`);
    const proposer = this.validators.get(header.proposer);
    if (proposer === undefined) return refuse('unknown-validator', `proposer ${header.proposer} is not a validator`);
    if (leaderOfRound(header.round) !== header.proposer) return refuse('wrong-leader', `${header.proposer} is not the leader of round ${header.round}`);
    const hash = blockHash(header);
    if (!this.verifies('proposal', header.proposer, proposer.publicKey, proposalDigest(hash, proposal.block.payload), proposal.signature)) {
      return refuse('bad-signature', `proposal signature of ${header.proposer} does not verify`);
    }
    const parentVerdict = this.verifyParentLink(header, proposal.justify);
    if (!parentVerdict.ok) return parentVerdict;
    const timeoutCertificate = proposal.timeoutCertificate;
    if (timeoutCertificate !== null) {
      if (timeoutCertificate.round >= header.round) return refuse('invalid-certificate', 'the timeout certificate is not from an earlier round');
      const tcVerdict = this.verifyTimeoutCertificate(timeoutCertificate);
      if (!tcVerdict.ok) return tcVerdict;
    }
    return this.verifyQuorumCertificate(proposal.justify);
  }

  /** The header's parent is the block the certificate certifies (or the epoch's root for its first height). */
  verifyParentLink(header: ProposalMessage['block']['header'], justify: ParentCertificate): Verdict {
    if (justify === null) {
      if (header.height !== this.epoch.startHeight || header.prevHash !== this.epoch.rootHash) {
        return refuse('bad-parent', `only block ${this.epoch.startHeight} may extend the epoch's root`);
      }
      return OK;
    }
    if (justify.vote.height < this.epoch.startHeight) return refuse('bad-parent', 'the certificate is for a block before this epoch');
    if (justify.vote.blockHash !== header.prevHash || justify.vote.height + 1 !== header.height) {
      return refuse('bad-parent', 'the certificate does not certify the parent the header names');
    }
    if (justify.vote.round >= header.round) return refuse('bad-parent', 'the parent is not from an earlier round');
    return OK;
  }

  verifyVote(message: VoteMessage): Verdict {
    const validator = this.validators.get(message.validator);
    if (validator === undefined) return refuse('unknown-validator', `vote from unknown validator ${message.validator}`);
    if (!this.verifies('vote', message.validator, validator.publicKey, voteDigest(message.vote), message.signature)) {
      return refuse('bad-signature', `vote signature of ${message.validator} does not verify`);
    }
    return OK;
  }

  verifyTimeout(message: TimeoutMessage): Verdict {
    const validator = this.validators.get(message.validator);
    if (validator === undefined) return refuse('unknown-validator', `timeout from unknown validator ${message.validator}`);
    const highQcRound = certificateRound(message.highQc);
    if (highQcRound >= message.round) return refuse('invalid-certificate', 'a timeout carries a QC from its own round or later');
    if (!this.verifies('timeout', message.validator, validator.publicKey, timeoutDigest(message.round, highQcRound), message.signature)) {
      return refuse('bad-signature', `timeout signature of ${message.validator} does not verify`);
    }
    const qcVerdict = this.verifyQuorumCertificate(message.highQc);
    if (!qcVerdict.ok) return qcVerdict;
    return message.highTc === null ? OK : this.verifyTimeoutCertificate(message.highTc);
  }

  private cacheKey(kind: string, certificate: unknown): string {
    return `${kind}:${toHex(sha256(canonicalBytes(certificate)))}`;
  }

  private remember(key: string): void {
    if (this.#verified.size >= verifiedCertificatesMax) this.#verified.clear();
    this.#verified.add(key);
  }
}
