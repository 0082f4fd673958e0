/**
 * Builds the encoding vectors from fixed inputs. The test compares this with the committed
 * encoding.json, so a change to any encoding shows up as a changed vector file in review.
 */
import { canonicalize } from '../../ledger/encoding/canonical-json.js';
import { toHex, utf8 } from '../../ledger/encoding/hex.js';
import { domainTag, EPOCH_SCOPED_PURPOSES, signingMessage, SIGNING_PURPOSES } from '../../ledger/crypto/domain.js';
import { keyPairFromSeed } from '../../ledger/crypto/ed25519.js';
import { sha256 } from '../../ledger/crypto/sha256.js';
import { blockHash, transactionRoot, type BlockHeader } from '../../ledger/model/block.js';
import { signVote, voteDigest } from '../../ledger/model/certificate.js';
import { genesisHash, type Genesis } from '../../ledger/model/genesis.js';
import { ledgerEntryBytes, ledgerEntryLeafHash } from '../../ledger/model/ledger-entry.js';
import type { StateWrite } from '../../ledger/model/state.js';
import { MemoryStateTree, EMPTY_SUBTREE, keyHashOf, leafHashOf, valueHashOf } from '../../ledger/state-tree/index.js';
import { signTransaction, transactionId, transactionIdBytes, type TransactionBody } from '../../ledger/model/transaction.js';
import { captureSignatureHeaders, captureTransactionBody } from '../../api/epcis-rest/capture-signature.js';

const CHAIN_ID = 'custodia-vectors';

function seed(label: string): Uint8Array {
  return sha256(utf8(`custodia vector seed ${label}`));
}

export function encodingVectors() {
  const keyNames = ['validator-0', 'validator-1', 'validator-2', 'validator-3', 'urn:epc:id:pgln:0614141.00001', 'urn:epc:id:pgln:0614142.00001'];
  const keys = keyNames.map((name) => {
    const pair = keyPairFromSeed(seed(name));
    return { name, seed: toHex(pair.seed), publicKey: toHex(pair.publicKey), pair };
  });
  const key = (name: string) => keys.find((entry) => entry.name === name)!;

  const genesis: Genesis = {
    chainId: CHAIN_ID,
    genesisTime: 1_767_225_600_000,
    validators: keys.slice(0, 4).map((entry) => ({ id: entry.name, publicKey: entry.publicKey })),
    consortium: { note: 'participants and admins are defined by contracts/' },
  };

  const body: TransactionBody = {
    chainId: CHAIN_ID,
    type: 'epcis.capture',
    signers: ['urn:epc:id:pgln:0614141.00001', 'urn:epc:id:pgln:0614142.00001'],
    nonce: 'order-4711/1',
    createdAt: 1_767_225_601_000,
    payload: { note: 'Grüße, €, 😀', quantity: 12.5, lots: ['LOT-1', 'LOT-2'], flags: { cold: true, recalled: false }, empty: null },
  };
  const transaction = signTransaction(
    body,
    body.signers.map((participant) => ({ participant, publicKey: key(participant).pair.publicKey, seed: key(participant).pair.seed })),
  );
  const txId = transactionId(body);
  const result = { status: 'accepted' as const };
  const entry = { height: 1, position: 0, txId, result };

  // The state tree (docs/encoding.md, section 9): a genesis state of four keys, then one block that adds, changes and deletes one each.
  const genesisWrites: StateWrite[] = [
    { key: 'consortium', value: { name: 'vectors' } },
    { key: 'item/urn:epc:id:sgtin:4012345.011111.1001', value: { holder: 'urn:epc:id:pgln:0614141.00001', quarantined: false } },
    { key: 'participant/urn:epc:id:pgln:0614141.00001', value: { name: 'Farm', roles: ['producer'] } },
    { key: 'participant/urn:epc:id:pgln:0614142.00001', value: { name: 'Carrier', roles: ['carrier'] } },
  ];
  const writes: StateWrite[] = [
    { key: 'item/urn:epc:id:sgtin:4012345.011111.1001', value: { holder: 'urn:epc:id:pgln:0614141.00001', quarantined: true } },
    { key: 'lot/urn:epc:class:lgtin:4012345.012345.998877', value: { holder: 'urn:epc:id:pgln:0614141.00001', recalled: false } },
    { key: 'participant/urn:epc:id:pgln:0614142.00001', value: null },
  ];
  const tree = new MemoryStateTree();
  const stateRoot0 = tree.apply(genesisWrites);
  const stateRoot1 = tree.apply(writes);
  const proofs = [
    { key: 'item/urn:epc:id:sgtin:4012345.011111.1001', value: writes[0]!.value },
    { key: 'participant/urn:epc:id:pgln:0614142.00001', value: null },
    { key: 'recall/0000000000000000000000000000000000000000000000000000000000000000', value: null },
  ].map((claim) => ({ ...claim, proof: tree.prove(claim.key) }));

  const header: BlockHeader = {
    chainId: CHAIN_ID,
    height: 1,
    round: 1,
    prevHash: genesisHash(genesis),
    proposer: 'validator-1',
    timestamp: 1_767_225_602_000,
    txCount: 1,
    txRoot: transactionRoot([transaction], [txId]),
    ledgerHeight: 0,
    logSize: 0,
    logRoot: toHex(sha256(new Uint8Array(0))),
    stateRoot: stateRoot0,
  };
  const vote = { blockHash: blockHash(header), height: 1, round: 1 };

  // Block 2 ends epoch 0, handing over to validator-1..3; block 3 is the first of epoch 1.
  const stateRoot2 = tree.apply([]);
  const handOverHeader: BlockHeader = {
    chainId: CHAIN_ID,
    height: 2,
    round: 2,
    prevHash: vote.blockHash,
    proposer: 'validator-2',
    timestamp: 1_767_225_603_000,
    txCount: 0,
    txRoot: toHex(sha256(new Uint8Array(0))),
    ledgerHeight: 1,
    logSize: 1,
    logRoot: toHex(ledgerEntryLeafHash(entry)),
    stateRoot: stateRoot1,
    nextValidators: genesis.validators.slice(1),
  };
  const handOverVote = { blockHash: blockHash(handOverHeader), height: 2, round: 2 };
  const epochHeader: BlockHeader = {
    chainId: CHAIN_ID,
    height: 3,
    round: 1,
    prevHash: handOverVote.blockHash,
    proposer: 'validator-2',
    timestamp: 1_767_225_604_000,
    txCount: 0,
    txRoot: toHex(sha256(new Uint8Array(0))),
    ledgerHeight: 2,
    logSize: 1,
    logRoot: toHex(ledgerEntryLeafHash(entry)),
    stateRoot: stateRoot2,
  };
  const epochVote = { blockHash: blockHash(epochHeader), height: 3, round: 1 };

  // A capture through the EPCIS REST binding (section 14): the document as sent, and the headers that sign its wrapping.
  const captureDocument = {
    '@context': ['https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld'],
    type: 'EPCISDocument',
    schemaVersion: '2.0',
    creationDate: '2026-01-01T08:00:00.000Z',
    epcisBody: { eventList: [{ type: 'ObjectEvent', action: 'ADD', bizStep: 'commissioning', eventTime: '2026-01-01T08:00:00.000Z', eventTimeZoneOffset: '+01:00', epcList: ['urn:epc:id:sgtin:0614141.107346.2018'] }] },
  };
  const captureSigner = key('urn:epc:id:pgln:0614141.00001');
  const captureNonce = 'capture-0001';
  const captureBody = captureTransactionBody(CHAIN_ID, [captureSigner.name], captureNonce, captureDocument, 'proceed');
  const captureHeaders = captureSignatureHeaders(CHAIN_ID, captureDocument, [{ participant: captureSigner.name, publicKey: captureSigner.pair.publicKey, seed: captureSigner.pair.seed }], { nonce: captureNonce, behaviour: 'proceed' });

  return {
    description: 'Custodia encoding vectors (docs/encoding.md). Hex is lowercase; canonical is the RFC 8785 text whose UTF-8 bytes are hashed.',
    chainId: CHAIN_ID,
    domainTags: SIGNING_PURPOSES.map((purpose) => ({ purpose, chainId: CHAIN_ID, hex: toHex(domainTag(purpose, CHAIN_ID)) })),
    keys: keys.map(({ name, seed: keySeed, publicKey }) => ({ name, seed: keySeed, publicKey })),
    genesis: { value: genesis, canonical: canonicalize(genesis), hash: genesisHash(genesis) },
    transaction: {
      body,
      canonical: canonicalize(body),
      id: txId,
      signingMessage: toHex(signingMessage('transaction', CHAIN_ID, transactionIdBytes(body))),
      signed: transaction,
    },
    transactionRoot: {
      leafData: [txId + toHex(sha256(utf8(canonicalize(transaction.signatures))))],
      root: header.txRoot,
    },
    ledgerEntry: { value: entry, canonical: new TextDecoder().decode(ledgerEntryBytes(entry)), leafHash: toHex(ledgerEntryLeafHash(entry)) },
    stateRoot: {
      description: 'A sparse Merkle tree of radix 16 over SHA-256 of the keys: leaf = H(0x00 || keyHash || valueHash), internal = H(0x01 || child_0 || ... || child_15), empty = 32 zero bytes; proofs list, from the root down, each node\'s other non-empty children (mask bit 15 - nibble).',
      emptySubtree: toHex(EMPTY_SUBTREE),
      leafExample: {
        key: genesisWrites[0]!.key,
        value: genesisWrites[0]!.value,
        keyHash: toHex(keyHashOf(genesisWrites[0]!.key)),
        valueHash: toHex(valueHashOf(genesisWrites[0]!.value)),
        leafHash: toHex(leafHashOf(keyHashOf(genesisWrites[0]!.key), valueHashOf(genesisWrites[0]!.value))),
      },
      genesisWrites,
      rootAtHeight0: stateRoot0,
      writes,
      rootAtHeight1: stateRoot1,
      proofsAtHeight1: proofs,
    },
    blockHeader: { value: header, canonical: canonicalize(header), hash: vote.blockHash },
    vote: {
      value: vote,
      canonical: canonicalize(vote),
      digest: toHex(voteDigest(vote)),
      signingMessage: toHex(signingMessage('vote', CHAIN_ID, voteDigest(vote))),
      signatures: keys.slice(0, 3).map((entry) => ({ validator: entry.name, signature: toHex(signVote(CHAIN_ID, entry.pair.seed, vote)) })),
    },
    bindingCapture: {
      description: 'POST /epcis/capture with GS1-Capture-Error-Behaviour: proceed: the body is `document`; the signed transaction wraps it as `transactionBody`; `headers` carry its nonce and signature.',
      document: captureDocument,
      transactionBody: captureBody,
      canonical: canonicalize(captureBody),
      id: transactionId(captureBody),
      signingMessage: toHex(signingMessage('transaction', CHAIN_ID, transactionIdBytes(captureBody))),
      headers: captureHeaders,
    },
    epochs: {
      description: 'Block 2 ends epoch 0 (its header names nextValidators) and is certified by the genesis set; block 3, the first of epoch 1, by the set it named, under the epoch-1 tag.',
      domainTags: EPOCH_SCOPED_PURPOSES.map((purpose) => ({ purpose, chainId: CHAIN_ID, epoch: 1, hex: toHex(domainTag(purpose, CHAIN_ID, 1)) })),
      handOverHeader: { value: handOverHeader, canonical: canonicalize(handOverHeader), hash: handOverVote.blockHash },
      handOverVote: {
        epoch: 0,
        value: handOverVote,
        digest: toHex(voteDigest(handOverVote)),
        signingMessage: toHex(signingMessage('vote', CHAIN_ID, voteDigest(handOverVote))),
        signatures: keys.slice(0, 3).map((entry) => ({ validator: entry.name, signature: toHex(signVote(CHAIN_ID, entry.pair.seed, handOverVote)) })),
      },
      epochHeader: { value: epochHeader, canonical: canonicalize(epochHeader), hash: epochVote.blockHash },
      epochVote: {
        epoch: 1,
        value: epochVote,
        digest: toHex(voteDigest(epochVote)),
        signingMessage: toHex(signingMessage('vote', CHAIN_ID, voteDigest(epochVote), 1)),
        signatures: keys.slice(1, 4).map((entry) => ({ validator: entry.name, signature: toHex(signVote(CHAIN_ID, entry.pair.seed, epochVote, 1)) })),
      },
    },
  };
}
