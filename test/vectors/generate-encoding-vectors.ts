/**
 * Writes test/vectors/encoding.json: every signed or hashed structure of docs/encoding.md with
 * its canonical bytes, hash and signatures, from fixed seeds, so another implementation can
 * check itself against Custodia byte for byte. Run: npx tsx test/vectors/generate-encoding-vectors.ts
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { encodingVectors } from './encoding-vectors.js';

const target = fileURLToPath(new URL('./encoding.json', import.meta.url));
writeFileSync(target, `${JSON.stringify(encodingVectors(), null, 2)}\n`);
process.stdout.write(`wrote ${target}\n`);
