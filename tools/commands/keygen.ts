/** `custodia keygen --out FILE`: writes a new ed25519 key file (mode 0600) and prints its public key. */
import { Command } from 'commander';
import { toHex } from '../../ledger/encoding/hex.js';
import { generateKeyFile } from '../../ledger/files/key-file.js';

export function keygenCommand(): Command {
  return new Command('keygen')
    .description('generate an ed25519 key file (JSON, mode 0600) and print its public key')
    .requiredOption('--out <file>', 'where to write the key file; an existing file is never overwritten')
    .option('--label <text>', 'a note stored in the file, such as the validator or participant it is for')
    .action(async (options: { out: string; label?: string }) => {
      try {
        const keyPair = await generateKeyFile(options.out, options.label);
        process.stdout.write(`${toHex(keyPair.publicKey)}\n`);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        process.stderr.write(code === 'EEXIST' ? `error: ${options.out} already exists; choose another --out\n` : `error: ${(error as Error).message}\n`);
        process.exitCode = 2;
      }
    });
}
