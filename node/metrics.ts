/** Prometheus metrics of one validator (prom-client), served on the metrics port. */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'custodia_process_' });
  const secondsBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
  return {
    registry,
    height: new Gauge({ name: 'custodia_ledger_height', help: 'Height of the last executed block', registers: [registry] }),
    round: new Gauge({ name: 'custodia_consensus_round', help: 'Current consensus round', registers: [registry] }),
    safetyHeld: new Gauge({
      name: 'custodia_safety_recovery_holding',
      help: '1 while this validator signs nothing because its safety record was lost and a quorum of peers has not yet shown it the network round (docs/consensus.md section 3)',
      registers: [registry],
    }),
    safetyRecordStoreBehind: new Gauge({
      name: 'custodia_safety_record_store_behind',
      help: "1 if at start the consensus store's safety record was behind its copy (the store lost writes) and the validator resumed from the copy (docs/consensus.md section 3)",
      registers: [registry],
    }),
    safetyFloorRound: new Gauge({ name: 'custodia_safety_recovery_floor_round', help: 'The round at or below which a recovered validator signs nothing (0 unless a lost safety record was recovered)', registers: [registry] }),
    peerClockOffset: new Gauge({
      name: 'custodia_peer_clock_offset_seconds',
      help: "Per peer, the median of its recent proposals' timestamps minus this validator's clock at their arrival (positive: the peer stamps ahead of this clock; docs/consensus.md \"Block time\")",
      labelNames: ['peer'],
      registers: [registry],
    }),
    clockOffset: new Gauge({
      name: 'custodia_clock_offset_seconds',
      help: 'The median over peers of custodia_peer_clock_offset_seconds: above clockSkewMaxMs this clock is behind and refuses honest proposals (/readyz clock-behind), below its negative it is ahead (clock-ahead)',
      registers: [registry],
    }),
    commits: new Counter({ name: 'custodia_blocks_committed_total', help: 'Blocks committed and executed', registers: [registry] }),
    transactions: new Counter({ name: 'custodia_transactions_committed_total', help: 'Transactions committed, by result', labelNames: ['result'], registers: [registry] }),
    mempoolSize: new Gauge({ name: 'custodia_mempool_transactions', help: 'Transactions waiting in the mempool', registers: [registry] }),
    mempoolBytes: new Gauge({ name: 'custodia_mempool_bytes', help: 'Bytes of transactions waiting in the mempool', registers: [registry] }),
    peers: new Gauge({ name: 'custodia_connected_peers', help: 'Validators connected after the handshake', registers: [registry] }),
    votesSent: new Counter({ name: 'custodia_votes_sent_total', help: 'Votes this validator signed and sent', registers: [registry] }),
    timeoutsSent: new Counter({ name: 'custodia_timeouts_sent_total', help: 'Timeouts this validator broadcast', registers: [registry] }),
    consensusRejections: new Gauge({ name: 'custodia_consensus_rejections', help: 'Consensus inputs the core refused since start, by reason', labelNames: ['reason'], registers: [registry] }),
    submissionsRefused: new Counter({ name: 'custodia_submissions_refused_total', help: 'Client submissions this node refused, by reason (the API code: overloaded, mempool-full, bad-signature, ...)', labelNames: ['reason'], registers: [registry] }),
    admissionPendingLimit: new Gauge({ name: 'custodia_admission_pending_limit', help: 'Transactions pending for commit beyond which submissions are refused as overloaded (commit rate x admission.targetDelayMs, within the floor and the mempool)', registers: [registry] }),
    admissionCommitRate: new Gauge({ name: 'custodia_admission_commit_rate', help: 'Moving average of transactions committed per second, as overload control measures it', registers: [registry] }),
    relayRefused: new Counter({ name: 'custodia_relayed_transactions_refused_total', help: 'Transactions peers relayed that this node refused, by reason (relay-frame-*: a whole relay frame beyond the limits)', labelNames: ['reason'], registers: [registry] }),
    doubleSignsSeen: new Counter({ name: 'custodia_double_signatures_seen_total', help: 'Verified pairs of conflicting messages (proposals, votes or timeouts) one validator signed for one round, by signer and message kind', labelNames: ['validator', 'message'], registers: [registry] }),
    messagesRejected: new Counter({ name: 'custodia_messages_rejected_total', help: 'Peer messages refused, by reason', labelNames: ['reason'], registers: [registry] }),
    bodiesWanted: new Counter({
      name: 'custodia_transaction_bodies_wanted_total',
      help: 'Requests (tx.want) for transaction bodies this node lacked, sent to peers, retries included; bodies peers sent that it refused count in custodia_messages_rejected_total as bodies-*',
      registers: [registry],
    }),
    scrubHeight: new Gauge({ name: 'custodia_scrub_height', help: 'The height the background store scrub re-verified last (it walks 1..head, then starts again)', registers: [registry] }),
    scrubStepSeconds: new Histogram({ name: 'custodia_scrub_step_seconds', help: 'Wall time of the background store scrub re-verifying one height; the scrub rests after each in proportion (store.scrubBusyPercentMax)', buckets: secondsBuckets, registers: [registry] }),
    scrubPasses: new Counter({ name: 'custodia_scrub_passes_total', help: 'Full passes of the background store scrub over the committed chain', registers: [registry] }),
    storeDamageFound: new Gauge({ name: 'custodia_store_damage_found', help: '1 once a checked read or the scrub found the ledger store damaged (docs/operations.md, "Damage and repair"); the validator is then not ready', registers: [registry] }),
    storeDamageHeight: new Gauge({ name: 'custodia_store_damage_height', help: 'The height of the first damage found in the ledger store (0 when none)', registers: [registry] }),
    recoveredBlocksDropped: new Gauge({ name: 'custodia_store_recovered_blocks_dropped', help: 'Committed blocks the ledger store no longer held when this validator started (LevelDB recovery dropped them); fetched again from peers', registers: [registry] }),
    executionSeconds: new Histogram({ name: 'custodia_block_execution_seconds', help: 'Time to execute and append one block', buckets: secondsBuckets, registers: [registry] }),
    fsyncSeconds: new Histogram({ name: 'custodia_consensus_fsync_seconds', help: 'Time to make a consensus persist output durable', buckets: secondsBuckets, registers: [registry] }),
    commitLatencySeconds: new Histogram({ name: 'custodia_commit_latency_seconds', help: 'From submission to this node to commit', buckets: secondsBuckets, registers: [registry] }),
    commitStageSeconds: new Histogram({
      name: 'custodia_commit_stage_seconds',
      help: "Where a transaction submitted to this node spends its time, by stage: admitted-to-proposed (to its block's timestamp, the leader's clock when it proposed), proposed-to-committed (to this node's commit of the block), committed-to-executed (execution's queue and the block's execution and append), admitted-to-executed (the sum)",
      labelNames: ['stage'],
      buckets: secondsBuckets,
      registers: [registry],
    }),
    proposalsHeld: new Counter({
      name: 'custodia_proposals_held_total',
      help: 'Proposal checks that held the proposal rather than vote at once, by what it waited for: missing-transactions (bodies not relayed here yet) or not-ready (its ledger height not executed here yet)',
      labelNames: ['verdict'],
      registers: [registry],
    }),
    blockTransactions: new Histogram({ name: 'custodia_block_transactions', help: 'Transactions in each executed block', buckets: [0, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000], registers: [registry] }),
    blockCommitSeconds: new Histogram({
      name: 'custodia_block_commit_seconds',
      help: "From a block's timestamp (its leader's clock when it proposed) to this node's commit of it",
      buckets: secondsBuckets,
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
