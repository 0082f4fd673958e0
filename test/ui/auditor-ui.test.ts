/**
 * The auditor web UI in headless Chromium against a running 4-validator devnet with the demo
 * supply chain (issue 11, "What an auditor needs to see"): an auditor enters a read token (a
 * wrong one shows refused, a good one recovers), searches like a person (a lot code, a GTIN,
 * part of an identifier), reads the salad lot's timeline with its quarantine, release, recall
 * and certificate, who signed each and their transactions, its one status, its temperatures
 * over the days against the declared range, its trace, recall and approvals; sees the recall
 * reach the crates and the pallet; filters the history and the events by date; downloads the
 * recall scope as CSV; prints the lot's report; reads transactions in plain language; verifies
 * a proof in the browser and sees a tampered one fail; verifies the lot's state record and a
 * key's absence against a certified state root; and browses blocks. Screenshots land in
 * test-artifacts/ui/.
 */
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gtinOf } from '../../ledger/store/identifiers.js';
import { DEMO_PARTICIPANTS } from '../../node/testnet.js';
import type { History } from '../../api/ui/src/types.js';
import { launchBrowser, type Browser } from './support/browser.js';
import { CHAIN_ID, startUiNode, type UiNode } from './support/ui-node.js';

let node: UiNode;
let browser: Browser;
/** Statuses of the responses the page received, by URL path, since the last reset. */
let responses: Array<{ status: number; path: string }> = [];

beforeAll(async () => {
  [node, browser] = await Promise.all([startUiNode(), launchBrowser()]);
  browser.page.on('response', (response) => responses.push({ status: response.status(), path: new URL(response.url()).pathname }));
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await node?.close();
});

/** Pages load their sections independently: assertions on the page wait for them to settle. */
function eventually<T>(read: () => Promise<T>) {
  return expect.poll(read, { timeout: 20_000, interval: 100 });
}

function itemUrl(epc: string, search = ''): string {
  return `${node.url}/#/item/${encodeURIComponent(epc)}${search}`;
}

async function api<T>(path: string): Promise<T> {
  const response = await fetch(`${node.url}${path}`, { headers: { authorization: `Bearer ${node.token}` } });
  if (!response.ok) throw new Error(`${path}: ${response.status}`);
  return (await response.json()) as T;
}

async function history(epc: string): Promise<History> {
  return api<History>(`/v1/items/${encodeURIComponent(epc)}/history`);
}

async function enterToken(token: string): Promise<void> {
  await browser.page.fill('#credential-token', token);
  await browser.page.click('#credential-save');
}

/** The search box in the top bar, as a person uses it. */
async function search(text: string): Promise<void> {
  await browser.page.fill('#topbar-query', text);
  await browser.page.press('#topbar-query', 'Enter');
}

describe('auditor UI', () => {
  it('asks for a read token without asking the node for what needs one, and shows the ledger head and latest blocks', async () => {
    const { page } = browser;
    await page.goto(itemUrl(node.demo.saladLot));
    await eventually(() => page.locator('main').textContent()).toContain('A read credential is needed');
    responses = [];
    await page.goto(`${node.url}/`);
    await eventually(() => page.locator('#credential-state').getAttribute('data-state')).toBe('unset');
    await eventually(() => page.locator('#credential-state').textContent()).toBe('No token');
    await page.getByTestId('examples').getByText('Enter a read token to search').waitFor();
    // Public data still loads: the head and the blocks that carry transactions.
    await page.locator('.stat-value').first().waitFor();
    await page.getByTestId('home-blocks').locator('tbody tr').first().waitFor();
    expect(responses.filter((response) => response.status === 401)).toEqual([]);
    expect(responses.some((response) => response.path === '/v1/events')).toBe(false);
    await browser.screenshot('01-home-without-token');
  });

  it('shows a refused token as refused, with the reason, and recovers when a good one is entered', async () => {
    const { page } = browser;
    await enterToken('not-a-token-of-this-node');
    const state = page.locator('#credential-state');
    await eventually(() => state.getAttribute('data-state')).toBe('refused');
    await eventually(() => state.textContent()).toBe('Token refused: unknown token');
    expect(await state.getAttribute('title')).toContain('the bearer token is not a read token of this node');
    await page.goto(itemUrl(node.demo.saladLot));
    await eventually(() => page.locator('main').textContent()).toContain('Your read token was refused');
    expect(await state.getAttribute('data-state')).toBe('refused');
    await browser.screenshot('02-token-refused');

    await enterToken(node.token);
    await eventually(() => state.getAttribute('data-state')).toBe('accepted');
    await eventually(() => state.textContent()).toBe('Token accepted');
    expect(await page.evaluate(() => sessionStorage.getItem('custodia.readToken'))).toBe(node.token);
    // The page asked again with the good token.
    await eventually(() => page.locator('h1.identifier').textContent()).toBe(node.demo.saladLot);
    await page.goto(`${node.url}/`);
    await page.getByTestId('examples').locator('a.chip').first().waitFor();
    await browser.screenshot('03-home');
  });

  it('finds the salad lot by part of its identifier, exact matches first, with kind, product and status', async () => {
    const { page } = browser;
    await search('SALAD');
    await page.waitForURL((url) => url.hash === '#/search/SALAD');
    const rows = page.getByTestId('search-results').locator('tbody tr');
    await eventually(() => rows.first().getAttribute('data-id')).toBe(node.demo.saladLot);
    const first = await rows.first().textContent();
    expect(first).toContain('Lot');
    expect(first).toContain('Chopped salad mix, 1 kg bags');
    expect(await rows.first().locator('[data-status]').getAttribute('data-status')).toBe('recalled');
    await browser.screenshot('04-search-partial');

    // The lot code's run of letters and digits: whole words (the lettuce and salad lots) before prefixes (the crates' serials).
    const stamp = node.demo.saladLot.split('SALAD-')[1]!;
    await search(stamp);
    await page.waitForURL((url) => url.hash === `#/search/${stamp}`);
    // The previous search's rows stay until this one's page replaces them, header and table together.
    await eventually(() => page.locator('.page-header h1').textContent()).toBe(stamp);
    await eventually(() => rows.count()).toBeGreaterThanOrEqual(5);
    const matches = await rows.evaluateAll((list) => list.map((row) => row.getAttribute('data-match')));
    expect(matches).toEqual([...matches].sort((left, right) => ['exact', 'word', 'prefix'].indexOf(left!) - ['exact', 'word', 'prefix'].indexOf(right!)));
    expect(matches).toEqual(expect.arrayContaining(['word', 'prefix']));
    const statuses = await rows.locator('[data-status]').evaluateAll((list) => list.map((badge) => badge.getAttribute('data-status')));
    expect(new Set(statuses)).toEqual(new Set(['recalled']));
  });

  it('finds a lot by its GTIN, and the GTIN of the crates finds the lettuce and its crates, all exact', async () => {
    const { page } = browser;
    const rows = page.getByTestId('search-results').locator('tbody tr');
    const saladGtin = gtinOf(node.demo.saladLot)!;
    await search(saladGtin);
    await page.waitForURL((url) => url.hash === `#/search/${saladGtin}`);
    await eventually(() => rows.first().getAttribute('data-id')).toBe(node.demo.saladLot);
    expect(await rows.first().getAttribute('data-match')).toBe('exact');

    const lettuceGtin = gtinOf(node.demo.lettuceLot)!;
    expect(gtinOf(node.demo.crates[0]!)).toBe(lettuceGtin);
    await search(lettuceGtin);
    await page.waitForURL((url) => url.hash === `#/search/${lettuceGtin}`);
    await eventually(() => page.locator('.page-header h1').textContent()).toBe(lettuceGtin);
    await eventually(() => rows.count()).toBe(4);
    expect(await rows.evaluateAll((list) => list.map((row) => row.getAttribute('data-id')))).toEqual(expect.arrayContaining([node.demo.lettuceLot, ...node.demo.crates]));
    expect(new Set(await rows.evaluateAll((list) => list.map((row) => row.getAttribute('data-match'))))).toEqual(new Set(['exact']));
    await browser.screenshot('05-search-gtin');
  });

  it('keeps the direct jumps: a transaction id, a block height, an exact identifier', async () => {
    const { page } = browser;
    await search(node.demo.recallId);
    await page.waitForURL((url) => url.hash === `#/tx/${node.demo.recallId}`);
    await search('3');
    await page.waitForURL((url) => url.hash === '#/blocks/3');
    await eventually(() => page.locator('h1').textContent()).toBe('Block 3');
    await search(node.demo.saladLot);
    await page.waitForURL((url) => url.hash === `#/item/${encodeURIComponent(node.demo.saladLot)}`);
  });

  it("shows the salad lot's quarantine, release, recall and certificate in its timeline, with who signed each and their transactions", async () => {
    const { page } = browser;
    const salad = node.demo.saladLot;
    await page.goto(`${node.url}/`);
    await page.getByTestId('search-input').fill(salad);
    await page.getByTestId('search-submit').click();
    await page.waitForURL((url) => url.hash === `#/item/${encodeURIComponent(salad)}`);
    await eventually(() => page.locator('h1.identifier').textContent()).toBe(salad);

    const timeline = page.getByTestId('custody-timeline');
    await timeline.waitFor();
    const entries = timeline.locator('li.timeline-entry');
    const sequence = await entries.evaluateAll((items) => items.map((item) => ({ kind: item.getAttribute('data-kind'), step: item.getAttribute('data-step'), change: item.getAttribute('data-change'), tone: item.getAttribute('data-tone'), text: item.textContent ?? '' })));
    expect(sequence[0]!.step).toBe('produced');
    expect(sequence.map((entry) => entry.step)).toEqual(expect.arrayContaining(['shipped', 'received', 'observed']));
    // In the order the rules saw them: the excursion reading, the quarantine it caused, the laboratory's release, then the delivery to the distributor.
    const excursion = sequence.findIndex((entry) => entry.kind === 'event' && entry.text.includes('11.5 °C'));
    const quarantined = sequence.findIndex((entry) => entry.change === 'quarantined');
    const released = sequence.findIndex((entry) => entry.change === 'released');
    const delivered = sequence.findIndex((entry) => entry.kind === 'event' && entry.text.includes('Shipped by ColdLine Logistics to Metro Food Distribution'));
    const recalled = sequence.findIndex((entry) => entry.change === 'recalled');
    const certified = sequence.findIndex((entry) => entry.change === 'certified');
    expect(excursion).toBeGreaterThan(0);
    expect(quarantined).toBe(excursion + 1);
    expect(released).toBeGreaterThan(quarantined);
    expect(delivered).toBeGreaterThan(released);
    expect(recalled).toBe(sequence.length - 1);
    expect(certified).toBeGreaterThan(0);
    expect(certified).toBeLessThan(excursion);

    const quarantine = timeline.locator('[data-change="quarantined"]');
    await eventually(() => quarantine.getByTestId('change-detail').textContent()).toContain('11.5 °C outside 2 to 8 °C');
    await eventually(() => quarantine.locator('.signer').allTextContents()).toEqual(['ColdLine Logistics']);

    const release = timeline.locator('[data-change="released"]');
    await eventually(() => release.locator('.timeline-title').textContent()).toBe('Released from quarantine by Certified Food Lab');
    await eventually(() => release.getByTestId('change-detail').textContent()).toBe('“core temperature and microbiology within limits”');
    await eventually(() => release.locator('.signer').allTextContents()).toEqual(['Certified Food Lab']);
    const releaseTx = (await history(salad)).changes.find((change) => change.kind === 'released')!.txId;
    expect(await release.locator(`a[href="#/tx/${releaseTx}"]`).count()).toBe(1);

    const recall = timeline.locator('[data-change="recalled"]');
    await eventually(() => recall.locator('.timeline-title').textContent()).toBe('Recalled by Food Safety Authority');
    await eventually(() => recall.getByTestId('change-detail').textContent()).toContain('E. coli O157:H7 found in irrigation water');
    expect(await recall.getByTestId('change-recall-link').getAttribute('href')).toBe(`#/recalls/${node.demo.recallId}`);

    const certificate = timeline.locator('[data-change="certified"]');
    expect(await certificate.getByTestId('change-approval-link').getAttribute('href')).toBe(`#/approvals/${node.demo.approvalId}`);
    await eventually(() => certificate.locator('.timeline-title').textContent()).toBe('Certificate recorded: microbiology clearance');

    // The story runs over days, each headed once.
    expect(await timeline.getByTestId('timeline-day').count()).toBeGreaterThanOrEqual(3);
    await timeline.locator('.signer').first().waitFor();
    await browser.screenshot('06-lot-page');
  });

  it('shows the salad lot with one status, its status history, its holdings in kilograms, temperatures over the days, trace, recall and approvals', async () => {
    const { page } = browser;
    const salad = node.demo.saladLot;
    const status = page.getByTestId('item-status');
    await eventually(() => status.getAttribute('data-status')).toBe('recalled');
    // One status: no "active" beside "Recalled" anywhere in the header.
    const headerBadges = await page.locator('.page-header .badge').allTextContents();
    expect(headerBadges.map((text) => text.toLowerCase())).not.toContain('active');
    expect(headerBadges.filter((text) => ['Recalled', 'Quarantined', 'Active', 'Consumed', 'Destroyed'].includes(text))).toEqual(['Recalled']);
    const now = page.getByTestId('current-card');
    await eventually(() => now.getByTestId('current-status').locator('[data-status]').getAttribute('data-status')).toBe('recalled');
    await eventually(() => now.getByTestId('status-history').locator('li').evaluateAll((items) => items.map((item) => item.getAttribute('data-change')))).toEqual(['certified', 'quarantined', 'released', 'recalled']);
    await eventually(() => now.getByTestId('holdings').textContent()).toBe('Metro Food Distribution 360 kg, Corner Grocer 120 kg');
    await eventually(() => now.getByTestId('product').textContent()).toBe('Chopped salad mix, 1 kg bags');

    const temperature = page.getByTestId('temperature-card');
    await eventually(() => temperature.locator('tr[data-excursion="true"]').count()).toBe(1);
    await eventually(() => temperature.locator('tr[data-excursion="true"]').textContent()).toContain('11.5 °C');
    const chart = temperature.getByTestId('temperature-chart');
    await eventually(() => chart.locator('circle.excursion').count()).toBe(1);
    // The excursion sits above the declared range's band, and the axes read as degrees and dates.
    const geometry = await chart.evaluate((svg) => {
      const band = svg.querySelector('rect.band')!.getBoundingClientRect();
      const excursion = svg.querySelector('circle.excursion')!.getBoundingClientRect();
      const labels = Array.from(svg.querySelectorAll('text.tick-label')).map((text) => ({ text: text.textContent ?? '', box: text.getBoundingClientRect() }));
      return { bandTop: band.top, excursionBottom: excursion.bottom, labels: labels.map((label) => ({ text: label.text, left: label.box.left, right: label.box.right, top: label.box.top, bottom: label.box.bottom })) };
    });
    expect(geometry.excursionBottom).toBeLessThan(geometry.bandTop);
    expect(geometry.labels.some((label) => /^\d+ °C$/.test(label.text))).toBe(true);
    expect(geometry.labels.filter((label) => /^\d{1,2} [A-Z][a-z]{2}$/.test(label.text)).length).toBeGreaterThanOrEqual(2);
    for (const [index, label] of geometry.labels.entries()) {
      for (const other of geometry.labels.slice(index + 1)) {
        const overlaps = label.left < other.right && other.left < label.right && label.top < other.bottom && other.top < label.bottom;
        expect(overlaps, `tick labels "${label.text}" and "${other.text}" overlap`).toBe(false);
      }
    }

    const back = page.getByTestId('trace-graph-back');
    await back.waitFor();
    await eventually(() => back.locator(`[data-node="${node.demo.lettuceLot}"]`).getAttribute('data-status')).toBe('recalled');
    await eventually(() => back.locator(`g.root[data-node="${salad}"]`).count()).toBe(1);
    await eventually(() => back.locator('path.graph-edge').count()).not.toBe(0);

    const recall = page.getByTestId('recall-scope');
    await eventually(() => recall.textContent()).toContain('E. coli');
    for (const member of [node.demo.lettuceLot, salad, ...node.demo.crates, node.demo.pallet]) {
      await eventually(() => recall.locator(`tr[data-member="${member}"] [data-status]`).getAttribute('data-status')).toBe('recalled');
    }
    await eventually(() => recall.locator(`tr[data-member="${salad}"]`).textContent()).toContain('Metro Food Distribution (360 kg), Corner Grocer (120 kg)');

    const approval = page.getByTestId('approvals-card').locator(`article[data-approval="${node.demo.approvalId}"]`);
    await eventually(() => approval.locator('li[data-kind="approval"]').count()).toBe(2);
    await eventually(() => approval.locator('[data-approval-status]').getAttribute('data-approval-status')).toBe('executed');
    await eventually(() => approval.getByTestId('approval-policy').textContent()).toBe('1 of any laboratory, then 1 of any regulator');
  });

  it('filters the lot history by date', async () => {
    const { page } = browser;
    const salad = node.demo.saladLot;
    const events = (await history(salad)).events;
    const excursionDay = events.find((event) => event.readings.some((reading) => reading.value === 11.5))!.eventTime.slice(0, 10);
    const dayBefore = events.find((event) => event.readings.some((reading) => reading.value === 3.8))!.eventTime.slice(0, 10);
    expect(dayBefore < excursionDay).toBe(true);
    await page.getByTestId('history-from').fill(excursionDay);
    await page.getByTestId('history-to').fill(excursionDay);
    await page.getByTestId('history-range').locator('button[type="submit"]').click();
    await page.waitForURL((url) => url.hash === `#/item/${encodeURIComponent(salad)}?from=${excursionDay}&to=${excursionDay}`);
    const timeline = page.getByTestId('custody-timeline');
    await eventually(() => timeline.textContent()).toContain('11.5 °C');
    const times = await timeline.locator('li.timeline-entry[data-kind="event"] time').evaluateAll((items) => items.map((item) => item.getAttribute('datetime') ?? ''));
    expect(times.length).toBeGreaterThan(0);
    expect(times.every((time) => time.startsWith(excursionDay))).toBe(true);
    expect(await timeline.textContent()).not.toContain('3.8 °C');
    // The one status and the holdings are what the ledger says now, whatever the period.
    expect(await page.getByTestId('item-status').getAttribute('data-status')).toBe('recalled');
    await page.getByTestId('history-range-clear').click();
    await page.waitForURL((url) => url.hash === `#/item/${encodeURIComponent(salad)}`);
    await eventually(() => page.getByTestId('custody-timeline').textContent()).toContain('3.8 °C');
  });

  it('exports the lot as an EPCIS document and an FSMA 204 spreadsheet, and its recall scope as CSV', async () => {
    const { page } = browser;
    await page.getByTestId('export-epcis').waitFor();
    const [epcis] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-epcis').click()]);
    const document = JSON.parse(await readFile((await epcis.path())!, 'utf8')) as { type: string; epcisBody: { eventList: unknown[] } };
    expect(document.type).toBe('EPCISDocument');
    expect(document.epcisBody.eventList.length).toBeGreaterThan(3);
    const [fsma] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-fsma204').click()]);
    expect(fsma.suggestedFilename()).toMatch(/fsma204\.csv$/);
    const csv = await readFile((await fsma.path())!, 'utf8');
    expect(csv.split('\r\n')[0]).toContain('Traceability Lot Code');
    expect(csv).toContain(node.demo.saladLot);

    await page.getByTestId('recall-csv').waitFor();
    const [scope] = await Promise.all([page.waitForEvent('download'), page.getByTestId('recall-csv').click()]);
    expect(scope.suggestedFilename()).toBe(`recall-${node.demo.recallId.slice(0, 12)}.csv`);
    const lines = (await readFile((await scope.path())!, 'utf8')).split('\r\n');
    expect(lines[0]).toBe('Recalled,Kind,Product,Status,Held by,Quantity,Unit of Measure,In transit to,Quarantined,Recall ID,Reason');
    for (const member of [...node.demo.crates, node.demo.pallet]) expect(lines.some((line) => line.startsWith(`${member},item,`))).toBe(true);
  });

  it('prints the lot report without navigation, buttons, forms or the search box, and with its timeline', async () => {
    const { page } = browser;
    await page.getByTestId('approval-trail').first().waitFor();
    await page.emulateMedia({ media: 'print' });
    try {
      for (const hidden of ['.topbar', '#topbar-search', '#credential', '[data-testid="print-report"]', '[data-testid="export-epcis"]', '[data-testid="history-range"]', '[data-testid="recall-csv"]', 'footer']) {
        expect(await page.locator(hidden).first().isVisible(), `${hidden} is hidden in print`).toBe(false);
      }
      expect(await page.locator('main button:visible, main form:visible, main .button:visible').count()).toBe(0);
      for (const shown of ['[data-testid="custody-timeline"]', '[data-testid="current-card"]', '[data-testid="temperature-chart"]', '[data-testid="recall-scope"]', '.print-heading']) {
        expect(await page.locator(shown).first().isVisible(), `${shown} is shown in print`).toBe(true);
      }
      // Timeline entries are kept whole on a page.
      expect(await page.locator('li.timeline-entry').first().evaluate((entry) => getComputedStyle(entry).breakInside)).toBe('avoid');
      await browser.screenshot('07-lot-report-print');
      const pdf = await page.pdf({ format: 'A4', printBackground: true });
      expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    } finally {
      await page.emulateMedia({ media: 'screen' });
    }
  });

  it('shows the crates and the pallet recalled, with one status and a link to the recall, and the recall scope lists them', async () => {
    const { page } = browser;
    for (const [index, container] of [...node.demo.crates.slice(0, 1), node.demo.pallet].entries()) {
      await page.goto(itemUrl(container));
      await eventually(() => page.locator('h1.identifier').textContent()).toBe(container);
      await eventually(() => page.getByTestId('item-status').getAttribute('data-status')).toBe('recalled');
      const headerBadges = await page.locator('.page-header .badge').allTextContents();
      expect(headerBadges.map((text) => text.toLowerCase())).not.toContain('active');
      expect(await page.getByTestId('recalled-notice-link').getAttribute('href')).toBe(`#/recalls/${node.demo.recallId}`);
      const recalled = page.locator('[data-testid="timeline-change"][data-change="recalled"]');
      await eventually(() => recalled.getByTestId('change-detail').textContent()).toContain('through the recall of');
      await eventually(() => page.getByTestId('current-status').textContent()).toContain('Food Safety Authority');
      await browser.screenshot(index === 0 ? '08-crate' : '09-pallet');
    }
    await page.getByTestId('recalled-notice-link').click();
    await page.waitForURL((url) => url.hash === `#/recalls/${node.demo.recallId}`);
    const scope = page.getByTestId('recall-scope');
    for (const member of [...node.demo.crates, node.demo.pallet]) {
      await eventually(() => scope.locator(`tr[data-member="${member}"] [data-status]`).getAttribute('data-status')).toBe('recalled');
    }
    expect((await scope.locator('tbody').textContent())!.toLowerCase()).not.toContain('active');
    await browser.screenshot('10-recall');
  });

  it('traces the harvested lettuce forward into the salad made from it', async () => {
    const { page } = browser;
    await page.goto(itemUrl(node.demo.lettuceLot));
    const forward = page.getByTestId('trace-graph-forward');
    await forward.waitFor();
    await eventually(() => forward.locator(`[data-node="${node.demo.saladLot}"]`).count()).toBe(1);
    await eventually(() => forward.locator('text.graph-flag').first().textContent()).toMatch('RECALLED');
    // Consumed and recalled: the one status is recalled.
    await eventually(() => page.getByTestId('item-status').getAttribute('data-status')).toBe('recalled');
    await browser.screenshot('11-trace-forward');
  });

  it('says in plain language what the recall, release and approval request transactions did', async () => {
    const { page } = browser;
    const summary = page.getByTestId('transaction-summary');
    await page.goto(`${node.url}/#/tx/${node.demo.recallId}`);
    await eventually(() => summary.textContent()).toMatch(/^Food Safety Authority recalled lgtin 0614141\.012345\.LETTUCE-\S+ because E\. coli O157:H7 found in irrigation water\.$/);
    expect(await summary.locator(`a[href="#/item/${encodeURIComponent(node.demo.lettuceLot)}"]`).count()).toBe(1);
    // When the submitter made it, and the block's time beside it.
    await eventually(() => page.getByTestId('created-at').textContent()).toMatch(/^\d{2} [A-Z][a-z]{2} \d{4}, \d{2}:\d{2}:\d{2} UTC/);
    await eventually(() => page.getByTestId('block-time').textContent()).toMatch(/^\d{2} [A-Z][a-z]{2} \d{4}, \d{2}:\d{2}:\d{2} UTC/);
    // The raw JSON stays below.
    await eventually(() => page.getByTestId('payload-card').locator('pre.json').textContent()).toContain('"reason": "E. coli O157:H7 found in irrigation water"');
    await browser.screenshot('12-transaction-recall');

    const releaseTx = (await history(node.demo.saladLot)).changes.find((change) => change.kind === 'released')!.txId;
    await page.goto(`${node.url}/#/tx/${releaseTx}`);
    await eventually(() => summary.textContent()).toMatch(/^Certified Food Lab released lgtin 0614142\.077777\.SALAD-\S+ from quarantine: “core temperature and microbiology within limits”\.$/);

    await page.goto(`${node.url}/#/tx/${node.demo.approvalId}`);
    await eventually(() => summary.textContent()).toMatch(/^FreshCut Processing asked for 2 stages of approval to record a microbiology clearance certificate for lgtin 0614142\.077777\.SALAD-\S+: 1 of any laboratory, then 1 of any regulator, by /);
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
    await browser.screenshot('13-verify-passed');
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
    await browser.screenshot('14-verify-failed-inclusion');

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
    await browser.screenshot('15-verify-pasted');
  });

  it('verifies the salad lot’s custody record against a certified state root in the browser, fails an edited one, and verifies a key’s absence', async () => {
    const { page } = browser;
    await page.goto(itemUrl(node.demo.saladLot));
    const card = page.getByTestId('state-verify-card');
    await card.getByTestId('verify-state-button').click();
    const verdict = card.getByTestId('verdict');
    await eventually(() => verdict.getAttribute('data-verdict')).toBe('verified');
    expect(await verdict.getAttribute('data-present')).toBe('true');
    const height = Number(await verdict.getAttribute('data-height'));
    expect(height).toBeGreaterThan(0);
    await eventually(() => verdict.textContent()).toContain(`as of height ${height}`);
    await eventually(() => card.getByTestId('verify-steps').locator('li[data-state="passed"]').count()).toBe(6);
    await browser.screenshot('16-verify-state-passed');

    // Claim the lot was never recalled: its record no longer leads to the certified state root.
    await card.locator('details summary').click();
    const editor = card.getByTestId('proof-text');
    const proof = JSON.parse(await editor.inputValue()) as { key: string; value: { recalls: string[] } };
    expect(proof.key).toBe(`lot/${node.demo.saladLot}`);
    expect(proof.value.recalls).toContain(node.demo.recallId);
    proof.value.recalls = [];
    await editor.fill(JSON.stringify(proof, null, 2));
    await card.getByTestId('verify-pasted').click();
    await eventually(() => verdict.getAttribute('data-step')).toBe('state');

    // A recall never issued, proven absent, pasted on the Verify page.
    const absent = await api<unknown>(`/v1/proofs/state/${encodeURIComponent(`recall/${'0'.repeat(64)}`)}`);
    await page.click('.nav a[data-section="verify"]');
    await page.waitForURL((url) => url.hash === '#/verify');
    await page.getByTestId('proof-text').fill(JSON.stringify(absent));
    await page.getByTestId('verify-pasted').click();
    await eventually(() => page.getByTestId('verdict').getAttribute('data-verdict')).toBe('verified');
    expect(await page.getByTestId('verdict').getAttribute('data-present')).toBe('false');
    await eventually(() => page.getByTestId('verdict').textContent()).toContain('is absent');
  });

  it('shows the log checkpoint this browser verified, and whether the node’s new head extends it', async () => {
    const { page } = browser;
    await page.goto(`${node.url}/`);
    const watch = page.getByTestId('log-watch');
    await eventually(() => watch.getAttribute('data-state')).toMatch(/^(first|unchanged|extends)$/);
    const kept = await page.evaluate(() => Object.entries(localStorage).filter(([key]) => key.startsWith('custodia.tlog.checkpoint/')));
    expect(kept).toHaveLength(1);
    const [key, value] = kept[0]!;
    const { size } = JSON.parse(value) as { size: number };
    expect(size).toBeGreaterThan(1);
    const remember = (entry: { size: number; rootHash: string }) => page.evaluate(([storageKey, text]) => localStorage.setItem(storageKey!, text!), [key, JSON.stringify({ ...entry, verifiedAt: 1 })]);
    // An earlier checkpoint of the same log: the node's head is proven, in the browser, to extend it.
    const { fromRoot } = await api<{ fromRoot: string }>(`/v1/proofs/consistency?from=1&to=${size}`);
    await remember({ size: 1, rootHash: Buffer.from(fromRoot, 'hex').toString('base64') });
    await page.reload();
    await eventually(() => watch.getAttribute('data-state')).toBe('extends');
    await eventually(() => page.getByTestId('log-watch-verdict').textContent()).toBe('Extends the checkpoint this browser verified');
    // A remembered root of another log at that size: the head does not extend it, and the page says so.
    await remember({ size: 1, rootHash: Buffer.alloc(32, 7).toString('base64') });
    await page.reload();
    await eventually(() => watch.getAttribute('data-state')).toBe('fork');
    await eventually(() => watch.textContent()).toContain('does not verify');
    await browser.screenshot('21-log-fork');
    await remember({ size, rootHash: JSON.parse(value).rootHash as string });
  });

  it('lists approval requests from the indices and shows one with its signature trail', async () => {
    const { page } = browser;
    const laboratory = DEMO_PARTICIPANTS.find((participant) => participant.name === 'lab')!;
    await page.goto(`${node.url}/#/approvals?pendingFor=${encodeURIComponent(laboratory.id)}`);
    const list = page.getByTestId('recent-approvals');
    await eventually(() => list.locator('tbody tr').count()).toBe(1);
    const row = list.locator(`tr[data-approval="${node.demo.approvalId}"]`);
    await eventually(() => row.locator('[data-approval-status]').getAttribute('data-approval-status')).toBe('executed');
    await eventually(() => row.textContent()).toContain('Record a microbiology clearance certificate for');
    await eventually(() => row.textContent()).toContain('1 of any laboratory, then 1 of any regulator');
    await eventually(() => page.getByTestId('pending-approvals').textContent()).toContain('Nothing is waiting on this participant.');
    await browser.screenshot('16-approvals');
    // By party: the laboratory's own list holds it too (it may sign it through its role).
    await page.getByTestId('approvals-party').selectOption(laboratory.id);
    await page.waitForURL((url) => url.hash.includes(`party=${encodeURIComponent(laboratory.id)}`));
    await eventually(() => list.locator(`tr[data-approval="${node.demo.approvalId}"]`).count()).toBe(1);
    await list.locator(`tr[data-approval="${node.demo.approvalId}"] a`).first().click();
    await page.waitForURL((url) => url.hash === `#/approvals/${node.demo.approvalId}`);
    const trail = page.getByTestId('approval-trail');
    await eventually(() => trail.locator('li').count()).toBe(3);
    await eventually(() => trail.locator('li[data-kind="request"]').textContent()).toContain('FreshCut Processing');
    await eventually(() => trail.locator('li[data-kind="approval"] .signer').count()).toBe(2);
  });

  it('explores blocks: those with transactions a page at a time, a jump to a height, then one block with its transactions and quorum certificate', async () => {
    const { page } = browser;
    await page.click('.nav a[data-section="blocks"]');
    await page.waitForURL((url) => url.hash === '#/blocks');
    const list = page.getByTestId('block-list');
    await list.locator('tbody tr').first().waitFor();
    // The demo's transactions each commit in a block of their own: 20 on the first page, the rest older.
    await eventually(() => list.locator('tbody tr').count()).toBe(20);
    expect(await list.locator('tbody tr.quiet').count()).toBe(0);
    const heights = await list.locator('tbody tr').evaluateAll((rows) => rows.map((row) => Number(row.getAttribute('data-height'))));
    expect(heights).toEqual([...heights].sort((left, right) => right - left));
    await browser.screenshot('17-blocks');
    await page.getByTestId('blocks-older').click();
    await page.waitForURL((url) => url.hash === `#/blocks?before=${heights[heights.length - 1]}`);
    // The first page's rows stay until the older page has loaded: wait for rows all below them.
    const shownHeights = () => list.locator('tbody tr').evaluateAll((rows) => rows.map((row) => Number(row.getAttribute('data-height'))));
    await eventually(async () => {
      const shown = await shownHeights();
      return shown.length > 0 && Math.max(...shown) < Math.min(...heights);
    }).toBe(true);
    const older = await shownHeights();
    expect(older).toEqual([...older].sort((left, right) => right - left));
    expect(await list.locator('tbody tr.quiet').count()).toBe(0);

    const recall = (await (await fetch(`${node.url}/v1/transactions/${node.demo.recallId}`)).json()) as { status: string; height: number };
    if (recall.status !== 'committed') throw new Error('the demo recall is not committed');
    await page.getByTestId('jump-height').fill(String(recall.height));
    await page.getByTestId('jump-form').locator('button[type="submit"]').click();
    await page.waitForURL((url) => url.hash === `#/blocks/${recall.height}`);
    await eventually(() => page.getByTestId('block-transactions').textContent()).toContain('recall.issue');
    // A quorum of the four validators (n - f = 3) signed the certificate.
    await eventually(() => page.getByTestId('block-certificate').locator('tbody tr').count()).toBe(3);
    await eventually(() => page.getByTestId('block-header').textContent()).toContain(CHAIN_ID);
    await browser.screenshot('18-block');
  });

  it('lists the events of one day, by event time', async () => {
    const { page } = browser;
    const harvestDay = (await history(node.demo.lettuceLot)).events[0]!.eventTime.slice(0, 10);
    await page.click('.nav a[data-section="events"]');
    await page.getByTestId('events-from').fill(harvestDay);
    await page.getByTestId('events-to').fill(harvestDay);
    await page.getByTestId('events-filter').locator('button[type="submit"]').click();
    await page.waitForURL((url) => url.hash === `#/events?from=${harvestDay}&to=${harvestDay}`);
    const rows = page.getByTestId('events-table').locator('tbody tr');
    // The unfiltered list stays until the filtered one replaces it: wait for that day's rows alone.
    const times = () => rows.evaluateAll((list) => list.map((row) => row.getAttribute('data-event-time') ?? ''));
    await eventually(async () => {
      const shown = await times();
      return shown.length >= 5 && shown.every((time) => time.startsWith(harvestDay));
    }).toBe(true);
    expect(await page.getByTestId('events-table').textContent()).toContain('commissioning');
    expect(await page.getByTestId('events-table').textContent()).toContain('600 kg');
    await browser.screenshot('19-events');
  });

  it('lays the lot page out for a tablet in portrait', async () => {
    const { page } = browser;
    await page.setViewportSize({ width: 820, height: 1180 });
    await page.goto(itemUrl(node.demo.saladLot));
    await page.getByTestId('approval-trail').waitFor();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await browser.screenshot('20-lot-page-tablet');
    await page.setViewportSize({ width: 1366, height: 900 });
  });

  it('logged no script error and no Content-Security-Policy violation', () => {
    expect(browser.problems).toEqual([]);
  });
});
