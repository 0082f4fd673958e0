/**
 * The whole check of a stopped validator's ledger store from genesis, as `custodia verify` and
 * `custodia repair` run it: open a private read copy (it never writes into what it checks),
 * compare the stored genesis with the trusted one, and re-verify every block and certificate
 * (verify-ledger.ts). Damage LevelDB reports, on opening or part-way, is a finding with the height
 * it stopped at; a folder that holds no store, or one that cannot be read at all, is not a finding
 * about the chain and is told apart so that callers can treat it as the operator's error, as is a
 * scratch state tree that cannot be kept (no room in the temporary folder).
 */
import type { Genesis } from '../model/genesis.js';
import { genesisHash } from '../model/genesis.js';
import type { ValidatorSet } from '../model/validator-set.js';
import { openStoreForReading } from '../store/block-store.js';
import { storeErrorMessage } from '../store/open-errors.js';
import { ScratchStateTreeError, type ScratchStateTreeOptions } from './scratch-state-tree.js';
import { verifyLedger, type LedgerVerification } from './verify-ledger.js';

export type StoredLedgerCheck =
  /** The check ran: a summary, or the first bad height and why. */
  | { kind: 'checked'; verification: LedgerVerification }
  /** The store holds another chain than the trusted genesis names (a wrong genesis file, or another validator's folder). */
  | { kind: 'other-chain'; message: string }
  /** No check could run: no store there, or the files cannot be read (permissions, I/O). */
  | { kind: 'unusable'; fault: 'not-a-store' | 'unreadable'; message: string };

export interface StoredLedgerCheckInput {
  directory: string;
  genesis: Genesis;
  genesisHash: string;
  /** Named in a genesis mismatch finding (the file the trusted genesis came from). */
  genesisSource: string;
  validators: ValidatorSet;
  onProgress?: (height: number, headHeight: number) => void;
  /** Where the verifier keeps its scratch state tree (verify-ledger.ts); the system's temporary folder by default. */
  scratch?: ScratchStateTreeOptions;
}

export async function checkStoredLedger(input: StoredLedgerCheckInput): Promise<StoredLedgerCheck> {
  const store = await openStoreForReading(input.directory);
  if (!store.ok) {
    // A damaged store is what the check exists to find: a finding, not an unusable folder.
    if (store.fault === 'damaged') return { kind: 'checked', verification: { ok: false, height: 0, message: store.message } };
    return { kind: 'unusable', fault: store.fault, message: store.message };
  }
  let lastHeight = 0;
  try {
    const storedHash = genesisHash(store.genesis);
    if (storedHash !== input.genesisHash) {
      return { kind: 'other-chain', message: `the store was created from genesis ${storedHash}, not ${input.genesisHash} given by ${input.genesisSource}` };
    }
    const verification = await verifyLedger({
      reader: store.reader,
      genesis: input.genesis,
      validators: input.validators,
      headHeight: store.headHeight,
      ...(input.scratch === undefined ? {} : { scratch: input.scratch }),
      onProgress: (height, head) => {
        lastHeight = height;
        input.onProgress?.(height, head);
      },
    });
    return { kind: 'checked', verification };
  } catch (error) {
    // The verifier's own scratch tree failing says nothing about the ledger.
    if (error instanceof ScratchStateTreeError) return { kind: 'unusable', fault: 'unreadable', message: error.message };
    // A read that LevelDB refuses part-way (a damaged table) is damage found, above the last height checked.
    return { kind: 'checked', verification: { ok: false, height: lastHeight + 1, message: storeErrorMessage(error, 'ledger', input.directory) } };
  } finally {
    await store.close();
  }
}
