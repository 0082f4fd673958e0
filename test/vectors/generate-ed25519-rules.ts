/**
 * Writes test/vectors/ed25519-rules.json, the ed25519 edge cases of Custodia's pinned
 * verification rules (RFC 8032 section 5.1.7 plus the choices in ledger/crypto/ed25519-rules.ts),
 * so that another implementation can check itself against the same verdicts.
 * Run from the repository root: npx tsx test/vectors/generate-ed25519-rules.ts
 * The output is deterministic; a test fails if the committed file differs from it.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderVectorFile } from '../ledger/crypto/ed25519-edge-cases.js';

const outputPath = fileURLToPath(new URL('./ed25519-rules.json', import.meta.url));
const contents = renderVectorFile();
writeFileSync(outputPath, contents);
const vectorCount = (JSON.parse(contents) as { vectors: unknown[] }).vectors.length;
process.stdout.write(`wrote ${vectorCount} vectors to ${outputPath}\n`);
