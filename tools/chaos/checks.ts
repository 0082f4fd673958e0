/**
 * What a chaos run checks once every fault has healed (issue 13): every transaction a validator
 * acknowledged as committed is on every validator; every chain passes `custodia verify` (run as
 * the real command, on each stopped validator's data); and no validator signed two different
 * messages for one round, as the validators' own logs report it (consensus/core.ts outputs the
 * evidence for conflicting verified proposals, votes and timeouts; node/driver.ts logs it, and a
 * log line outlives a killed process where a counter does not).
 */
import { spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { CUSTODIA_BINARY } from '../validator-process.js';

/** Status lookups in flight at once, per validator. */
const LOOKUPS_IN_FLIGHT_MAX = 32;
const LOOKUP_TIMEOUT_MS = 10_000;
/** Lost ids listed in the report; the count covers all of them. */
const LOST_LISTED_MAX = 20;
/** The message node/driver.ts logs with a double signature. */
export const DOUBLE_SIGN_LOG_MESSAGE = 'a validator signed two different messages for one round';

export interface DoubleSign {
  validator: string;
  round: number;
  message: string;
  first: string;
  second: string;
  /** The validators whose logs report it. */
  seenBy: number[];
}

/** The acknowledged ids some validator does not hold as committed. */
export async function findLost(apiUrls: readonly string[], ids: readonly string[]): Promise<{ lost: number; examples: Array<{ id: string; validators: number[] }> }> {
  const missing = new Map<string, number[]>();
  await Promise.all(
    apiUrls.map(async (url, validator) => {
      let next = 0;
      const worker = async () => {
        while (next < ids.length) {
          const id = ids[next++]!;
          if (!(await committedAt(url, id))) missing.set(id, [...(missing.get(id) ?? []), validator]);
        }
      };
      await Promise.all(Array.from({ length: LOOKUPS_IN_FLIGHT_MAX }, worker));
    }),
  );
  return { lost: missing.size, examples: [...missing].slice(0, LOST_LISTED_MAX).map(([id, validators]) => ({ id, validators: validators.sort() })) };
}

async function committedAt(url: string, id: string): Promise<boolean> {
  try {
    const response = await fetch(`${url}/v1/transactions/${id}`, { signal: AbortSignal.timeout(LOOKUP_TIMEOUT_MS) });
    return response.ok && ((await response.json()) as { status?: string }).status === 'committed';
  } catch {
    return false;
  }
}

/** Double signatures the validators' logs report, each once, with who saw it. */
export async function scanDoubleSigns(logFiles: readonly string[]): Promise<DoubleSign[]> {
  const found = new Map<string, DoubleSign>();
  for (const [index, file] of logFiles.entries()) {
    const lines = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
    for await (const line of lines) {
      if (!line.includes(DOUBLE_SIGN_LOG_MESSAGE)) continue;
      let entry: { doubleSign?: Omit<DoubleSign, 'seenBy'> };
      try {
        entry = JSON.parse(line) as typeof entry;
      } catch {
        continue;
      }
      const evidence = entry.doubleSign;
      if (evidence === undefined) continue;
      const key = `${evidence.validator}/${evidence.round}/${evidence.message}`;
      const known = found.get(key);
      if (known === undefined) found.set(key, { ...evidence, seenBy: [index] });
      else if (!known.seenBy.includes(index)) known.seenBy.push(index);
    }
  }
  return [...found.values()];
}

export interface VerifyOutcome {
  validator: number;
  ok: boolean;
  height: number;
  headHash?: string;
  message?: string;
}

/** `custodia verify --data DIR --genesis FILE --json` on one stopped validator's data. */
export function verifyData(validator: number, dataDirectory: string, genesisFile: string): Promise<VerifyOutcome> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CUSTODIA_BINARY, 'verify', '--data', dataDirectory, '--genesis', genesisFile, '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('close', (code) => {
      try {
        const result = JSON.parse(Buffer.concat(out).toString('utf8')) as { ok: boolean; height: number; headHash?: string; message?: string };
        resolve({ validator, ok: result.ok && code === 0, height: result.height, ...(result.headHash === undefined ? {} : { headHash: result.headHash }), ...(result.message === undefined ? {} : { message: result.message }) });
      } catch {
        resolve({ validator, ok: false, height: 0, message: `custodia verify exited ${code}: ${Buffer.concat(err).toString('utf8').trim().slice(0, 500)}` });
      }
    });
  });
}
