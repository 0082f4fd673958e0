/**
 * `custodia epcis sign --key FILE (--node URL | --chain-id ID) DOC.jsonld`: prints the headers
 * that capture the document through a validator's GS1 EPCIS REST binding (POST /epcis/capture)
 * as the key's participant, one `Name: value` per line, for any REST client or EPCIS tool that
 * sends the document itself (docs/epcis.md, "Authentication of a capture"; docs/encoding.md
 * section 15). With --event the file holds one event, for POST /epcis/events.
 */
import { Command } from 'commander';
import type { JsonValue } from '../../ledger/encoding/canonical-json.js';
import { CAPTURE_NONCE_PATTERN, captureSignatureHeaders, singleEventDocument } from '../../api/epcis-rest/capture-signature.js';
import { EXIT_OK, fail } from '../exit-codes.js';
import { connect, readJsonFile, reportFailure, signerFromKeyFile } from './node-access.js';

/** The largest document the binding takes (LEDGER_LIMITS.transactionBodyBytesMax), with room for whitespace. */
const SIGNED_FILE_BYTES_MAX = 4 * 1024 * 1024;

interface SignOptions {
  key: string;
  as?: string;
  node?: string;
  chainId?: string;
  proceed?: boolean;
  event?: boolean;
  nonce?: string;
  json?: boolean;
}

export function epcisSignCommand(): Command {
  return new Command('sign')
    .description('print the headers that capture a document through a validator\'s /epcis binding as the key\'s participant')
    .argument('<document>', 'the EPCIS 2.0 JSON-LD document to send (with --event: one event)')
    .requiredOption('--key <file>', 'the participant key file to sign with')
    .option('--as <participant>', "the participant id (default: the key file's label)")
    .option('--node <url>', "a validator's API address, to read the chain id from")
    .option('--chain-id <id>', 'the chain id (instead of --node)')
    .option('--proceed', 'sign for GS1-Capture-Error-Behaviour: proceed (record the events that pass)')
    .option('--event', 'the file holds one event, for POST /epcis/events')
    .option('--nonce <nonce>', 'the nonce (default: random; the same document and nonce are the same capture)')
    .option('--json', 'print the headers as one JSON object')
    .action(async (document: string, options: SignOptions) => {
      process.exitCode = await sign(document, options);
    });
}

async function sign(path: string, options: SignOptions): Promise<number> {
  if (options.node === undefined && options.chainId === undefined) return fail('give --node (to read the chain id) or --chain-id');
  if (options.nonce !== undefined && !CAPTURE_NONCE_PATTERN.test(options.nonce)) return fail('--nonce is 1-128 of A-Z a-z 0-9 . _ : -');
  const signer = await signerFromKeyFile(options.key, options.as);
  if (!signer.ok) return fail(signer.message);
  const parsed = await readJsonFile(path, SIGNED_FILE_BYTES_MAX);
  if (!parsed.ok) return fail(parsed.message);
  let chainId = options.chainId;
  if (chainId === undefined) {
    try {
      chainId = (await connect({ node: options.node! })).chainId;
    } catch (error) {
      return reportFailure(error, options.node!);
    }
  }
  const document: JsonValue = options.event === true ? singleEventDocument(parsed.value) : parsed.value;
  const headers = captureSignatureHeaders(chainId, document, [signer.value], { behaviour: options.proceed === true ? 'proceed' : 'rollback', ...(options.nonce === undefined ? {} : { nonce: options.nonce }) });
  process.stdout.write(options.json === true ? `${JSON.stringify(headers)}\n` : Object.entries(headers).map(([name, value]) => `${name}: ${value}\n`).join(''));
  return EXIT_OK;
}
