/**
 * Nothing falls out of a window (issue 11): on a chain where thousands of empty blocks follow
 * the demo supply chain, the auditor UI still lists the demo's approval on the lot page and the
 * approvals page (they read the node's indices, not a window of recent blocks), and the blocks
 * page still lists the blocks that carry transactions. A one-validator network proposes empty
 * blocks without pause, so 3,000 of them take seconds; the test waits on the ledger's height,
 * never on time. The same chain holds a request the laboratory rejected: it reads "rejected",
 * with who rejected it and why, never "pending", and its single-stage policy reads "1 of
 * Certified Food Lab".
 */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CustodiaClient } from '../../api/client.js';
import { loadKeyFile } from '../../ledger/files/key-file.js';
import type { TransactionSigner } from '../../ledger/model/transaction.js';
import { DEMO_PARTICIPANTS } from '../../node/testnet.js';
import { runDemo, type DemoResult } from '../../tools/devnet/demo.js';
import { launchBrowser, type Browser } from './support/browser.js';
import { buildUi } from './support/ui-node.js';
import { SINGLE_NODE_CHAIN_ID, startSingleNode, type SingleNode } from './support/single-node.js';
import { until } from './support/until.js';

const EMPTY_BLOCKS = 3000;
const INSTALLED_UI = fileURLToPath(new URL('../../api/ui/dist', import.meta.url));
const REJECTION_REASON = 'the certificate names the wrong lot';

let node: SingleNode;
let browser: Browser;
let demo: DemoResult;
let rejectedId: string;
let approvalHeight: number;

function eventually<T>(read: () => Promise<T>, timeout = 20_000) {
  return expect.poll(read, { timeout, interval: 100 });
}

async function signer(name: string): Promise<TransactionSigner> {
  const key = await loadKeyFile(node.layout.participantKeyFiles[name]!);
  if (!key.ok) throw new Error(key.message);
  return { participant: DEMO_PARTICIPANTS.find((participant) => participant.name === name)!.id, publicKey: key.key.keyPair.publicKey, seed: key.key.keyPair.seed };
}

beforeAll(async () => {
  await buildUi(INSTALLED_UI);
  [node, browser] = await Promise.all([startSingleNode({ idleProposalDelayMs: 0 }), launchBrowser()]);
  demo = await runDemo(node.url, SINGLE_NODE_CHAIN_ID, node.layout.participantKeyFiles, () => undefined);

  // A second request about the salad, for the laboratory alone, which it rejects.
  const client = new CustodiaClient(node.url, SINGLE_NODE_CHAIN_ID);
  const [processor, lab] = await Promise.all([signer('processor'), signer('lab')]);
  const request = client.transaction(
    'approval.request',
    {
      action: { type: 'certificate.record', payload: { documentHash: 'ab'.repeat(32), kind: 'allergen-statement', subject: demo.saladLot } },
      policy: { ordered: false, stages: [{ required: 1, approvers: [{ party: lab.participant }] }] },
      deadline: Date.now() + 7 * 24 * 3_600_000,
    },
    [processor],
  );
  const requested = await client.submit(request, { wait: true, timeoutMs: 30_000 });
  if (requested.status !== 'committed') throw new Error(`the request did not commit: ${JSON.stringify(requested)}`);
  rejectedId = client.idOf(request);
  const rejected = await client.submit(client.transaction('approval.reject', { requestId: rejectedId, reason: REJECTION_REASON }, [lab]), { wait: true, timeoutMs: 30_000 });
  if (rejected.status !== 'committed') throw new Error(`the rejection did not commit: ${JSON.stringify(rejected)}`);

  const status = (await (await fetch(`${node.url}/v1/transactions/${demo.approvalId}`)).json()) as { status: string; height: number };
  if (status.status !== 'committed') throw new Error('the demo approval is not committed');
  approvalHeight = status.height;
  // A condition, not a sleep: the chain grows by itself, empty block after empty block.
  await until(async () => (await node.height()) >= approvalHeight + EMPTY_BLOCKS, `height ${approvalHeight + EMPTY_BLOCKS}`, { timeoutMs: 150_000, intervalMs: 250 });
  // Long enough: the validator may idle like a devnet's while the browser reads it.
  await node.restart({ idleProposalDelayMs: 500 });

  await browser.page.goto(`${node.url}/`);
  await browser.page.fill('#credential-token', node.token);
  await browser.page.click('#credential-save');
  await browser.page.locator('#credential-state[data-state="accepted"]').waitFor();
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await node?.close();
});

describe('a long chain', () => {
  it('is at least 3,000 blocks past the demo approval', async () => {
    expect(await node.height()).toBeGreaterThanOrEqual(approvalHeight + EMPTY_BLOCKS);
  });

  it('still lists the demo approval on the lot page, with its two approvals', async () => {
    const { page } = browser;
    await page.goto(`${node.url}/#/item/${encodeURIComponent(demo.saladLot)}`);
    const approvals = page.getByTestId('approvals-card');
    const approval = approvals.locator(`article[data-approval="${demo.approvalId}"]`);
    await approval.waitFor();
    await eventually(() => approval.locator('[data-approval-status]').getAttribute('data-approval-status')).toBe('executed');
    await eventually(() => approval.locator('li[data-kind="approval"]').count()).toBe(2);
    await eventually(() => approval.getByTestId('approval-policy').textContent()).toBe('1 of any laboratory, then 1 of any regulator');
    // The certificate it recorded is in the timeline, linked to the approval.
    const certified = page.locator('[data-testid="timeline-change"][data-change="certified"]');
    await eventually(() => certified.getByTestId('change-approval-link').getAttribute('href')).toBe(`#/approvals/${demo.approvalId}`);
    await browser.screenshot('long-chain-01-lot-approvals');
  });

  it('still lists the demo approval on the approvals page, for everyone and by role', async () => {
    const { page } = browser;
    await page.goto(`${node.url}/#/approvals`);
    const list = page.getByTestId('recent-approvals');
    await eventually(() => list.locator(`tr[data-approval="${demo.approvalId}"]`).count()).toBe(1);
    await eventually(() => list.locator(`tr[data-approval="${demo.approvalId}"] [data-approval-status]`).getAttribute('data-approval-status')).toBe('executed');
    await page.getByTestId('approvals-party').selectOption('role:laboratory');
    await page.waitForURL((url) => url.hash === '#/approvals?party=role%3Alaboratory');
    await eventually(() => list.locator(`tr[data-approval="${demo.approvalId}"]`).count()).toBe(1);
    await browser.screenshot('long-chain-02-approvals');
  });

  it('says a rejected request is rejected, by whom and why, never pending', async () => {
    const { page } = browser;
    await page.goto(`${node.url}/#/approvals`);
    const row = page.getByTestId('recent-approvals').locator(`tr[data-approval="${rejectedId}"]`);
    await eventually(() => row.locator('[data-approval-status]').getAttribute('data-approval-status')).toBe('rejected');
    await eventually(() => row.textContent()).toContain(`by Certified Food Lab: “${REJECTION_REASON}”`);
    await eventually(() => row.textContent()).toContain('1 of Certified Food Lab');
    expect(await row.textContent()).not.toContain('pending');

    await page.goto(`${node.url}/#/item/${encodeURIComponent(demo.saladLot)}`);
    const article = page.getByTestId('approvals-card').locator(`article[data-approval="${rejectedId}"]`);
    await eventually(() => article.getByTestId('rejection').textContent()).toContain(`Rejected by Certified Food Lab: “${REJECTION_REASON}”`);
    expect(await article.locator('[data-approval-status]').getAttribute('data-approval-status')).toBe('rejected');

    await page.goto(`${node.url}/#/tx/${rejectedId}`);
    await eventually(() => page.getByTestId('transaction-summary').textContent()).toContain('FreshCut Processing asked for 1 stage of approval to record an allergen statement certificate for');
    await eventually(() => page.getByTestId('transaction-summary').textContent()).toContain(': 1 of Certified Food Lab');
  });

  it('lists the blocks that carry transactions, however far below the head', async () => {
    const { page } = browser;
    await page.goto(`${node.url}/#/blocks`);
    const list = page.getByTestId('block-list');
    await list.locator('tbody tr').first().waitFor();
    const recall = (await (await fetch(`${node.url}/v1/transactions/${demo.recallId}`)).json()) as { height: number };
    // The newest blocks are thousands of empty ones; the list still starts with the rejection and the recall.
    await eventually(() => list.locator(`tr[data-height="${recall.height}"]`).count()).toBe(1);
    expect(await list.locator('tbody tr.quiet').count()).toBe(0);
  });

  it('logged no script error', () => {
    expect(browser.problems).toEqual([]);
  });
});
