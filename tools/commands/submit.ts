/**
 * `custodia submit --node URL --key FILE DOC.jsonld [--wait]`: signs an EPCIS document as the
 * key's participant (its label, or --as) and submits it as one `epcis.capture` transaction,
 * then prints the status of each event.
 */
import { Command } from 'commander';
import { eventContentHash, eventsOfDocument, validateEpcisDocument } from '../../contracts/epcis/index.js';
import { EXIT_FAILED, EXIT_OK, fail } from '../exit-codes.js';
import { connect, describeStatus, readJsonFile, reportFailure, signerFromKeyFile, type SigningOptions } from './node-access.js';

interface SubmitOptions extends SigningOptions {
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
  const signer = await signerFromKeyFile(options.key, options.as);
  if (!signer.ok) return fail(signer.message);
  const parsed = await readJsonFile(path);
  if (!parsed.ok) return fail(parsed.message);
  const validation = validateEpcisDocument(parsed.value);
  if (!validation.ok) return fail(`${path}: ${validation.errors.map((error) => `${error.path}: ${error.message}`).join('; ')}`);

  try {
    const client = await connect(options);
    const transaction = client.transaction('epcis.capture', { document: parsed.value }, [signer.value]);
    const status = await client.submit(transaction, { wait: options.wait === true });
    process.stdout.write(`${describeStatus(status)}\n`);
    for (const event of eventsOfDocument(validation.value)) {
      process.stdout.write(`  ${event.eventID ?? eventContentHash(event)}: ${status.status}\n`);
    }
    return status.status === 'rejected' ? EXIT_FAILED : EXIT_OK;
  } catch (error) {
    return reportFailure(error, options.node);
  }
}
