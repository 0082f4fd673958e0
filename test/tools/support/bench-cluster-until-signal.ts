/**
 * A process that starts a one-validator benchmark cluster and then waits for a signal
 * (test/tools/bench-interrupt.test.ts): it never stops the cluster itself, so the validators end
 * only if the cluster's interrupt handling stops them.
 */
import { BenchCluster } from '../../../tools/bench/cluster.js';

const keepAlive = setInterval(() => undefined, 60_000);
await BenchCluster.start({ validators: 1, roundTimeoutBaseMs: 1000 });
process.stdout.write('ready\n');
void keepAlive;
