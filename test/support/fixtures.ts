/**
 * Where the tests find the third-party material the repository carries: GS1's EPCIS 2.0 JSON
 * schemas, JSON-LD contexts and example documents (test/fixtures/gs1/, see its README.md), and
 * the public reference vectors beside Custodia's own (test/vectors/, see its README.md).
 * Both are absolute directory paths ending in a slash.
 */
import { fileURLToPath } from 'node:url';

/** test/fixtures/gs1/: `schema/`, `context/` and `examples/`. */
export const GS1_DIRECTORY = fileURLToPath(new URL('../fixtures/gs1/', import.meta.url));

/** test/vectors/: `jcs/`, `rfc6962/`, `ed25519-speccheck/` and Custodia's own vectors. */
export const VECTORS_DIRECTORY = fileURLToPath(new URL('../vectors/', import.meta.url));
