/**
 * The auditor web UI in headless Chromium against a running node with the demo supply chain:
 * an auditor enters a read token, searches the demo salad lot, reads its custody timeline,
 * temperature excursion, trace graphs, recall and approvals, verifies a transaction's proof in
 * the browser against the genesis keys, then alters the proof and sees the verification fail
 * with the check and the reason; and browses blocks. Screenshots land in test-artifacts/ui/.
 */
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PARTICIPANTS } from '../../node/testnet.js';
import { launchBrowser, type Browser } from './support/browser.js';
import { CHAIN_ID, startUiNode, type UiNode } from './support/ui-node.js';

let node: UiNode;
let browser: Browser;

beforeAll(async () => {
  [node, browser] = await Promise.all([startUiNode(), launchBrowser()]);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await node?.close();
});

/** Pages load their sections independently: assertions on the page wait for them to settle. */
function eventually<T>(read: () => Promise<T>) {
  return expect.poll(read, { timeout: 20_000, interval: 100 });
}

function itemUrl(epc: string): string {
  return `${node.url}/#/item/${encodeURIComponent(epc)}`;
}

describe('auditor UI', () => {
  it('asks for a read token, keeps it for the tab, and shows the ledger head and latest blocks', async () => {
    const { page } = browser;
    await page.goto(itemUrl(node.demo.saladLot));
    await eventually(() => page.locator('main').textContent()).toContain('A read credential is needed');
    await page.goto(`${node.url}/`);
    await eventually(() => page.locator('#credential-state').textContent()).toMatch('No token');
    await page.getByTestId('examples').getByText('Enter a read token to search').waitFor();
    await page.fill('#credential-token', node.token);
    await page.click('#credential-save');
    await eventually(() => page.locator('#credential-state').textContent()).toMatch('Token set');
    expect(await page.evaluate(() => sessionStorage.getItem('custodia.readToken'))).toBe(node.token);
    await page.getByTestId('examples').locator('a.chip').first().waitFor();
    await page.locator('.stat-value').first().waitFor();
    expect(await page.locator('tbody tr').count()).toBeGreaterThan(0);
    await browser.screenshot('01-home');
  });

  it('finds the demo lot by search and shows its timeline, temperature excursion, trace, recall and approvals', async () => {
    const { page } = browser;
    const salad = node.demo.saladLot;
    await page.getByTestId('search-input').fill(salad);
    await page.getByTestId('search-submit').click();
    await page.waitForURL((url) => url.hash === `#/item/${encodeURIComponent(salad)}`);
    await eventually(() => page.locator('h1.identifier').textContent()).toMatch(salad);

    const timeline = page.getByTestId('custody-timeline');
    await timeline.waitFor();
    const steps = await timeline.locator('li').evaluateAll((items) => items.map((item) => item.getAttribute('data-step')));
    expect(steps[0]).toBe('produced');
    expect(steps).toEqual(expect.arrayContaining(['shipped', 'received', 'observed']));
    await eventually(() => timeline.textContent()).toContain('Received by Corner Grocer from Metro Food Distribution');
    await eventually(() => timeline.locator('[data-tone="bad"]').count()).toBe(1);
    await timeline.locator('.signer').first().waitFor();

    const temperature = page.getByTestId('temperature-card');
    await eventually(() => temperature.locator('tr[data-excursion="true"]').count()).toBe(1);
    await eventually(() => temperature.locator('tr[data-excursion="true"]').textContent()).toContain('11.5 °C');
    await eventually(() => temperature.getByTestId('temperature-chart').locator('circle.excursion').count()).toBe(1);

    const back = page.getByTestId('trace-graph-back');
    await back.waitFor();
    await eventually(() => back.locator(`[data-node="${node.demo.lettuceLot}"]`).count()).toBe(1);
    await eventually(() => back.locator(`g.root[data-node="${salad}"]`).count()).toBe(1);
    await eventually(() => back.locator('path.graph-edge').count()).not.toBe(0);

    await page.getByTestId('badge-recalled').waitFor();
    const recall = page.getByTestId('recall-scope');
    await eventually(() => recall.textContent()).toContain('E. coli');
    await eventually(() => recall.locator(`tr[data-member="${node.demo.lettuceLot}"]`).count()).toBe(1);
    await eventually(() => recall.locator(`tr[data-member="${salad}"]`).count()).toBe(1);

    const trail = page.getByTestId('approval-trail');
    await trail.waitFor();
    await eventually(() => trail.locator('li[data-kind="approval"]').count()).toBe(2);
    await eventually(() => page.getByTestId('approvals-card').textContent()).toContain('executed');
    await browser.screenshot('02-lot-page');
  });

  it('exports the lot as an EPCIS document and an FSMA 204 spreadsheet', async () => {
    const { page } = browser;
    const [epcis] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-epcis').click()]);
    const document = JSON.parse(await readFile((await epcis.path())!, 'utf8')) as { type: string; epcisBody: { eventList: unknown[] } };
    expect(document.type).toBe('EPCISDocument');
    expect(document.epcisBody.eventList.length).toBeGreaterThan(3);
    const [fsma] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-fsma204').click()]);
    expect(fsma.suggestedFilename()).toMatch(/fsma204\.csv$/);
    const csv = await readFile((await fsma.path())!, 'utf8');
    expect(csv.split('\r\n')[0]).toContain('Traceability Lot Code');
    expect(csv).toContain(node.demo.saladLot);
  });

  it('traces the harvested lettuce forward into the salad made from it', async () => {
    const { page } = browser;
    await page.goto(itemUrl(node.demo.lettuceLot));
    const forward = page.getByTestId('trace-graph-forward');
    await forward.waitFor();
    await eventually(() => forward.locator(`[data-node="${node.demo.saladLot}"]`).count()).toBe(1);
    await eventually(() => forward.locator('text.graph-flag').first().textContent()).toMatch('RECALLED');
    await browser.screenshot('03-trace-forward');
  });

  it('verifies a transaction proof in the browser against the genesis keys', async () => {
    const { page } = browser;
    await page.goto(`${node.url}/#/tx/${node.demo.recallId}`);
    await eventually(() => page.getByTestId('transaction-details').textContent()).toContain('recall.issue');
    const verifyButton = page.getByTestId('verify-button');
    await eventually(() => verifyButton.isEnabled()).toBe(true);
    // The auditor's own copy of genesis.json is the trust anchor.
    await page.getByTestId('verify-card').locator('input[type="file"]').setInputFiles(node.genesisFile);
    await eventually(() => page.getByTestId('genesis-hash').textContent()).toMatch(/^[0-9a-f]{64}$/);
    await verifyButton.click();
    const verdict = page.getByTestId('verdict');
    await eventually(() => verdict.getAttribute('data-verdict')).toBe('verified');
    await eventually(() => verdict.textContent()).toContain('Verified');
    await eventually(() => page.getByTestId('verify-steps').locator('li[data-state="passed"]').count()).toBe(8);
    await browser.screenshot('04-verify-passed');
  });

  it('fails verification of an altered proof, naming the check and the reason', async () => {
    const { page } = browser;
    const editor = page.getByTestId('proof-text');
    const served = await editor.inputValue();
    const proof = JSON.parse(served) as { entry: { result: unknown }; checkpoint: { certificate: { signatures: Array<{ signature: string }> } }; inclusion: { path: string[] } };

    // Claim the recall was refused: the entry no longer hashes to a leaf of the certified log.
    proof.entry.result = { status: 'rejected', code: 'wrong-role', message: 'forged' };
    await editor.fill(JSON.stringify(proof, null, 2));
    await page.getByTestId('verify-pasted').click();
    const verdict = page.getByTestId('verdict');
    await eventually(() => verdict.getAttribute('data-verdict')).toBe('failed');
    await eventually(() => verdict.getAttribute('data-step')).toBe('inclusion');
    await eventually(() => page.getByTestId('verdict-reason').textContent()).toContain('the entry is not in the certified log');
    await eventually(() => page.getByTestId('verdict-subject').textContent()).toContain('edited');
    await eventually(() => page.getByTestId('verify-steps').locator('li[data-state="failed"]').getAttribute('data-step')).toBe('inclusion');
    await browser.screenshot('05-verify-failed-inclusion');

    // Forge one validator signature on the checkpoint.
    const original = JSON.parse(served) as typeof proof;
    const signature = original.checkpoint.certificate.signatures[0]!;
    signature.signature = `${signature.signature.slice(0, 10)}${signature.signature[10] === '0' ? '1' : '0'}${signature.signature.slice(11)}`;
    await editor.fill(JSON.stringify(original, null, 2));
    await page.getByTestId('verify-pasted').click();
    await eventually(() => verdict.getAttribute('data-step')).toBe('certificate');
    await eventually(() => page.getByTestId('verdict-reason').textContent()).toContain('bad-signature');

    // Not JSON at all.
    await editor.fill('{"format": ');
    await page.getByTestId('verify-pasted').click();
    await eventually(() => verdict.getAttribute('data-step')).toBe('format');

    // The served proof, restored, verifies again.
    await page.getByTestId('restore-proof').click();
    await page.getByTestId('verify-pasted').click();
    await eventually(() => verdict.getAttribute('data-verdict')).toBe('verified');
  });

  it('verifies a pasted proof on the Verify page', async () => {
    const { page } = browser;
    await page.getByTestId('restore-proof').click();
    const served = await page.getByTestId('proof-text').inputValue();
    await page.click('.nav a[data-section="verify"]');
    await page.waitForURL((url) => url.hash === '#/verify');
    await page.getByTestId('proof-text').fill(served);
    await page.getByTestId('verify-pasted').click();
    await eventually(() => page.getByTestId('verdict').getAttribute('data-verdict')).toBe('verified');
    await browser.screenshot('06-verify-pasted');
  });

  it('lists approval requests and shows one with its signature trail', async () => {
    const { page } = browser;
    const laboratory = DEMO_PARTICIPANTS.find((participant) => participant.name === 'lab')!;
    await page.goto(`${node.url}/#/approvals?pendingFor=${encodeURIComponent(laboratory.id)}`);
    const recent = page.getByTestId('recent-approvals');
    await eventually(() => recent.locator('tbody tr').count()).toBe(1);
    await eventually(() => recent.textContent()).toContain('executed');
    await eventually(() => page.locator('main').textContent()).toContain('Nothing is waiting on this participant.');
    await browser.screenshot('07-approvals');
    await recent.locator('tbody tr a').first().click();
    await page.waitForURL((url) => url.hash === `#/approvals/${node.demo.approvalId}`);
    const trail = page.getByTestId('approval-trail');
    await eventually(() => trail.locator('li').count()).toBe(3);
    await eventually(() => trail.locator('li[data-kind="request"]').textContent()).toContain('FreshCut Processing');
  });

  it('explores blocks: the latest ones, then one block with its transactions and quorum certificate', async () => {
    const { page } = browser;
    await page.click('.nav a[data-section="blocks"]');
    const list = page.getByTestId('block-list');
    await list.locator('tbody tr').first().waitFor();
    await page.getByTestId('filter-transactions').click();
    await page.waitForURL((url) => url.hash === '#/blocks?filter=transactions');
    await eventually(() => list.locator('tbody tr').count()).toBeGreaterThanOrEqual(16);
    expect(await list.locator('tbody tr.quiet').count()).toBe(0);
    await browser.screenshot('08-blocks');
    const recall = (await (await fetch(`${node.url}/v1/transactions/${node.demo.recallId}`)).json()) as { status: string; height: number };
    if (recall.status !== 'committed') throw new Error('the demo recall is not committed');
    await page.goto(`${node.url}/#/blocks/${recall.height}`);
    await eventually(() => page.getByTestId('block-transactions').textContent()).toContain('recall.issue');
    // A quorum of the four validators (n - f = 3) signed the certificate.
    await eventually(() => page.getByTestId('block-certificate').locator('tbody tr').count()).toBe(3);
    await eventually(() => page.getByTestId('block-header').textContent()).toContain(CHAIN_ID);
    await browser.screenshot('09-block');
  });

  it('lays the lot page out for a tablet in portrait', async () => {
    const { page } = browser;
    await page.setViewportSize({ width: 820, height: 1180 });
    await page.goto(itemUrl(node.demo.saladLot));
    await page.getByTestId('approval-trail').waitFor();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await browser.screenshot('10-lot-page-tablet');
    await page.setViewportSize({ width: 1366, height: 900 });
  });

  it('logged no script error and no Content-Security-Policy violation', () => {
    expect(browser.problems).toEqual([]);
  });
});
