/// <reference lib="dom" />
/** A recall: its reason, who issued it, and everything it reaches with where each thing is now. */
import { getJson, pathComponent } from '../api.js';
import { badge, card, loading, notice, pageHeader } from '../components.js';
import { element } from '../dom.js';
import { plural } from '../format.js';
import { show, type Page } from '../page.js';
import type { RecallScope } from '../types.js';
import { genesisDirectory } from '../verification.js';
import { recallView } from './item.js';

export async function renderRecall(page: Page, id: string): Promise<void> {
  show(page, loading());
  const [recall, directory] = await Promise.all([getJson<RecallScope>(`/v1/recalls/${pathComponent(id)}/scope`), genesisDirectory()]);
  show(
    page,
    pageHeader({ eyebrow: 'Recall', title: recall.target, identifier: true, subtitle: recall.reason, badges: [badge('Recall', 'bad'), badge(plural(recall.scope.length, 'identifier'), 'neutral')] }),
    notice('bad', 'Stop use and shipment', element('p', {}, 'Everything listed is recalled: it cannot be shipped, received, packed or transformed on this ledger.')),
    element('div', { class: 'grid' }, card({ title: 'Scope', span: 12, flush: true, testId: 'recall-card' }, recallView(recall, directory))),
  );
}
