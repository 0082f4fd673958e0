/**
 * What went wrong when LevelDB (classic-level) could not open or read a store, in words an
 * operator can act on: LevelDB's own cause (classic-level wraps it: "Database failed to open" is
 * the outer message, the cause carries "Corruption: 1 missing files; e.g.: .../000005.ldb" or
 * "IO error: lock .../LOCK: already held by process"), its code, and the remedy for this store.
 * Operations are described in docs/operations.md.
 */

export type StoreKind = 'ledger' | 'consensus';

export type StoreFault =
  /** Another process has the database open (LevelDB's LOCK file is held). */
  | 'locked'
  /** LevelDB found its files damaged or missing (LEVEL_CORRUPTION). */
  | 'damaged'
  /** Anything else: permissions, a full disk, an I/O error. */
  | 'unreadable';

export interface StoreErrorDescription {
  fault: StoreFault;
  /** The messages and codes of the error and its causes, outermost first. */
  cause: string;
  remedy: string;
}

/** At most this many nested causes are followed (a cycle or a deep chain is cut). */
const CAUSES_FOLLOWED_MAX = 5;

function causeChain(error: unknown): Array<{ message: string; code?: string }> {
  const chain: Array<{ message: string; code?: string }> = [];
  let current: unknown = error;
  while (current !== undefined && current !== null && chain.length < CAUSES_FOLLOWED_MAX) {
    if (current instanceof Error) {
      const code = (current as Error & { code?: unknown }).code;
      chain.push(typeof code === 'string' ? { message: current.message, code } : { message: current.message });
      current = current.cause;
    } else {
      chain.push({ message: String(current) });
      break;
    }
  }
  return chain;
}

export function describeStoreError(error: unknown, store: StoreKind, directory: string): StoreErrorDescription {
  const chain = causeChain(error);
  const codes = new Set(chain.flatMap((entry) => (entry.code === undefined ? [] : [entry.code])));
  const text = chain.map((entry) => (entry.code === undefined ? entry.message : `${entry.message} (${entry.code})`)).join(': ');
  if (codes.has('LEVEL_LOCKED')) {
    return { fault: 'locked', cause: text, remedy: `another process has ${directory} open: stop it (a validator already running on this data folder?) before starting or checking this one` };
  }
  // LevelDB's own I/O errors (permissions, a full disk) are the environment's; anything else that
  // stops a store from opening or being read back (a corruption LevelDB reports, a missing
  // CURRENT or table file, a record that does not decode) is damage to the store itself.
  if (!codes.has('LEVEL_CORRUPTION') && [...codes].some((code) => code === 'LEVEL_IO_ERROR' || code.startsWith('E'))) {
    return { fault: 'unreadable', cause: text, remedy: `check that ${directory} is readable and writable by this user and that the disk has space` };
  }
  return {
    fault: 'damaged',
    cause: text,
    remedy:
      store === 'ledger'
        ? ledgerDamageRemedy(directory)
        : `the consensus store is damaged: stop the validator, move ${directory} aside and start it again; it then signs nothing until a quorum of peers has shown it the network's round (docs/consensus.md section 3, "A lost safety record"). Never remove ledger/ as well`,
  };
}

/** What to do about a damaged ledger store, however the damage was found (on open, by a checked read, by the scrub). */
export function ledgerDamageRemedy(directory: string): string {
  return `the ledger store is damaged: stop the validator and run \`custodia repair --config FILE\`: it moves ${directory} aside (kept for inspection) and rebuilds the ledger from the peers, verifying every block and certificate from genesis. By hand: move ${directory} aside, keep consensus/ (it holds the safety state) and start the validator again (docs/operations.md, "Damage and repair")`;
}

/** One line for a log or a terminal: the store, its folder, LevelDB's cause and what to do. */
export function storeErrorMessage(error: unknown, store: StoreKind, directory: string): string {
  const described = describeStoreError(error, store, directory);
  return `the ${store} store at ${directory} cannot be ${described.fault === 'locked' ? 'opened' : 'read'}: ${described.cause}. Remedy: ${described.remedy}`;
}
