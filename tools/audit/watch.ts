/**
 * Runs the auditor once or continuously (`custodia audit --follow`): each round is one
 * auditOnce; an alarm is logged (one `ALARM <kind>` line per problem), posted as JSON to the
 * webhook if one is given, and ends the run with exit code 1, so that whatever supervises the
 * monitor pages someone. Following polls every intervalMs; a round in which no node answered is
 * a warning while following (a network blip), an alarm when run once.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { toBase64 } from '../../ledger/encoding/base64.js';
import { chainOrigin } from '../../ledger/tlog/checkpoint.js';
import { boundedFetch } from '../../node/tlog/bounded-fetch.js';
import { EXIT_FAILED, EXIT_OK } from '../exit-codes.js';
import { auditOnce, type Alarm, type AuditOptions } from './auditor.js';

export const FOLLOW_INTERVAL_MS = { default: 10_000, min: 10, max: 3_600_000 } as const;
const WEBHOOK = { timeoutMs: 5_000, bytesMax: 64 * 1024 } as const;

export interface WatchOptions extends AuditOptions {
  follow: boolean;
  intervalMs: number;
  webhook?: string;
  log(line: string): void;
  warn(line: string): void;
  signal?: AbortSignal;
}

async function postAlarms(webhook: string, origin: string, alarms: readonly Alarm[], warn: (line: string) => void): Promise<void> {
  const body = JSON.stringify({ alarm: true, origin, at: new Date().toISOString(), alarms });
  const answer = await boundedFetch(webhook, { method: 'POST', body, headers: { 'content-type': 'application/json' }, ...WEBHOOK });
  if (!answer.ok || answer.status >= 300) warn(`the webhook ${webhook} did not take the alarm: ${answer.ok ? `status ${answer.status}` : answer.message}`);
}

export async function watch(options: WatchOptions): Promise<number> {
  for (;;) {
    const result = await auditOnce(options);
    for (const warning of result.warnings) options.warn(warning);
    if (result.ok) {
      options.log(`ok: ${result.checkpoint.origin} size ${result.checkpoint.size} root ${toBase64(result.checkpoint.rootHash)} extends size ${result.previousSize}; ${result.entriesChecked} new entries checked, ${result.entriesRechecked} earlier ones again`);
    } else {
      const onlyUnreachable = result.alarms.every((alarm) => alarm.kind === 'unreachable');
      if (!(options.follow && onlyUnreachable)) {
        for (const alarm of result.alarms) options.warn(`ALARM ${alarm.kind}: ${alarm.node}: ${alarm.message}`);
        if (options.webhook !== undefined) await postAlarms(options.webhook, options.policy?.origin ?? chainOrigin(options.chainId), result.alarms, options.warn);
        return EXIT_FAILED;
      }
      options.warn(`no node answered this round: ${result.alarms[0]!.message}`);
    }
    if (!options.follow) return EXIT_OK;
    try {
      await sleep(options.intervalMs, undefined, options.signal === undefined ? {} : { signal: options.signal });
    } catch {
      return EXIT_OK;
    }
  }
}
