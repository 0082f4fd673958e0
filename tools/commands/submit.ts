/**
 * `custodia submit --node URL --key FILE DOC.jsonld [--wait]`: signs an EPCIS document as the
 * key's participant (its label, or --as) and submits it as one `epcis.capture` transaction,
 * then prints the status of each event.
 */
import { readFile } from 'node:fs/promises';
import { Command } from 'commander';
import { CustodiaApiError, CustodiaClient } from '../../api/client.js';
import { parseStrictJson } from '../../ledger/encoding/strict-json.js';
import { loadKeyFile } from '../../ledger/files/key-file.js';
import { eventContentHash, eventsOfDocument, validateEpcisDocument } from '../../contracts/epcis/index.js';

interface SubmitOptions {
  node: string;
  key: string;
  as?: string;
  chainId?: string;
  wait?: boolean;
}

export function submitCommand(): Command {
  return new Command('submit')
    .description('sign an EPCIS 2.0 document and submit it; print each event\'s status')
    .argument('<document>', 'an EPCIS 2.0 JSON-LD document')
    .requiredOption('--node <url>', "a validator's API address, such as http://127.0.0.1:26700")
    .requiredOption('--key <file>', 'the participant key file to sign with')
    .option('--as <participant>', "the participant id (default: the key file's label)")
    .option('--chain-id <id>', 'the chain id (default: read from the node)')
    .option('--wait', 'wait until the transaction commits or is rejected')
    .action(async (document: string, options: SubmitOptions) => {
      process.exitCode = await submit(document, options);
    });
}

async function submit(path: string, options: SubmitOptions): Promise<number> {
  const key = await loadKeyFile(options.key);
  if (!key.ok) return usage(key.message);
  const participant = options.as ?? key.key.label;
  if (participant === undefined) return usage('the key file has no label; name the participant with --as');
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    return usage(`cannot read ${path}: ${(error as Error).message}`);
  }
  const parsed = parseStrictJson(text);
  if (!parsed.ok) return usage(`${path}: ${parsed.error.message}`);
  const validation = validateEpcisDocument(parsed.value);
  if (!validation.ok) return usage(`${path}: ${validation.errors.map((error) => `${error.path}: ${error.message}`).join('; ')}`);

  const chainId = options.chainId ?? (await chainIdOf(options.node));
  const client = new CustodiaClient(options.node.replace(/\/$/, ''), chainId);
  const transaction = client.transaction('epcis.capture', { document: parsed.value }, [{ participant, publicKey: key.key.keyPair.publicKey, seed: key.key.keyPair.seed }]);
  try {
    const status = await client.submit(transaction, { wait: options.wait === true });
    const reason = status.status === 'rejected' && status.result.status === 'rejected' ? ` (${status.result.code}: ${status.result.message})` : '';
    process.stdout.write(`transaction ${status.id}: ${status.status}${status.status === 'committed' || status.status === 'rejected' ? ` at height ${status.height}` : ''}${reason}\n`);
    for (const event of eventsOfDocument(validation.value)) {
      process.stdout.write(`  ${event.eventID ?? eventContentHash(event)}: ${status.status}\n`);
    }
    return status.status === 'rejected' ? 1 : 0;
  } catch (error) {
    if (error instanceof CustodiaApiError) return usage(`${error.error.status} ${error.error.code}: ${error.error.message}${error.error.path === '' ? '' : ` (at ${error.error.path})`}`, 1);
    return usage(`cannot reach ${options.node}: ${(error as Error).message}`, 1);
  }
}

async function chainIdOf(node: string): Promise<string> {
  const head = (await (await fetch(`${node.replace(/\/$/, '')}/v1/ledger/head`)).json()) as { checkpoint: { header: { chainId: string } } | null };
  if (head.checkpoint === null) throw new Error('the node has no committed block yet; pass --chain-id');
  return head.checkpoint.header.chainId;
}

function usage(message: string, code = 2): number {
  process.stderr.write(`error: ${message}\n`);
  return code;
}
