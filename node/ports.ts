/**
 * Port ranges for local networks (the testnets of benchmarks, chaos runs and multi-process
 * tests): a base port whose p2p, API and metrics ports (portsOf in node/testnet.ts) are all free.
 * Bases lie below Linux's ephemeral range (32768-60999 by default), which the kernel hands to
 * outbound connections: a port chosen inside it can be taken by some client socket between the
 * probe and the validator's bind, which showed up as validators that never became ready. Bases
 * are 300 apart, the span of one network's three port blocks, so two networks never overlap.
 */
import { createServer } from 'node:net';
import { portsOf } from './testnet.js';

/**
 * Ports at or above BASE_PORT_FIRST that WHATWG fetch refuses to connect to ("bad port", Fetch
 * standard section 2.9 "port blocking"): Node's fetch fails on them, so no local network uses them.
 */
const FETCH_BLOCKED_PORTS = new Set([2049, 3659, 4045, 4190, 5060, 5061, 6000, 6566, 6665, 6666, 6667, 6668, 6669, 6679, 6697, 10080]);
const BASE_PORT_FIRST = 2_000;
const BASE_PORT_SPACING = 300;
const BASE_PORT_SLOTS = 100;
const PROBE_ATTEMPTS_MAX = 50;
/** portsOf gives each validator index its own port in each block of 100. */
const VALIDATORS_PER_BASE_MAX = 100;

/** The p2p, API and metrics ports of `validators` validators from `base`. */
function portsFrom(base: number, validators: number): number[] {
  return Array.from({ length: validators }, (_, index) => portsOf(base, index)).flatMap((entry) => [entry.p2p, entry.api, entry.metrics]);
}

/** Whether one of the network's ports from `base` is one fetch refuses. */
export function basePortFetchBlocked(base: number, validators: number): boolean {
  return portsFrom(base, validators).some((port) => FETCH_BLOCKED_PORTS.has(port));
}

async function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A random base port for `validators` validators whose every port is free now. */
export async function freeBasePort(validators: number): Promise<number> {
  if (!Number.isSafeInteger(validators) || validators < 1 || validators > VALIDATORS_PER_BASE_MAX) throw new RangeError(`a local network has 1 to ${VALIDATORS_PER_BASE_MAX} validators`);
  for (let attempt = 0; attempt < PROBE_ATTEMPTS_MAX; attempt++) {
    const base = BASE_PORT_FIRST + Math.floor(Math.random() * BASE_PORT_SLOTS) * BASE_PORT_SPACING;
    if (basePortFetchBlocked(base, validators)) continue;
    if ((await Promise.all(portsFrom(base, validators).map(portFree))).every(Boolean)) return base;
  }
  throw new Error(`no free port range found in ${PROBE_ATTEMPTS_MAX} attempts`);
}
