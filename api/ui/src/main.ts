/// <reference lib="dom" />
/**
 * Entry point of the auditor web UI: the credential field, the search box and a router over the
 * URL fragment (#/item/<epc>, #/blocks/<height>, #/tx/<id>, ...). Routes live in the fragment so
 * that every node serves the whole UI from / and a link to a lot can be shared as is.
 */
import { checkCredential, credentialState, onCredentialChange, onTokenChange, storeReadToken, type CredentialState } from './api.js';
import { failureView } from './components.js';
import { clear, element } from './dom.js';
import { renderApproval, renderApprovals } from './pages/approvals.js';
import { renderBlock, renderBlocks } from './pages/blocks.js';
import { renderEvents } from './pages/events.js';
import { renderHome } from './pages/home.js';
import { renderItem } from './pages/item.js';
import { renderRecall } from './pages/recall.js';
import { renderSearch } from './pages/search.js';
import { renderTransaction } from './pages/transaction.js';
import { renderVerify } from './pages/verify.js';
import type { Page } from './page.js';

interface Route {
  pattern: RegExp;
  section: string;
  render: (page: Page, parts: string[], parameters: URLSearchParams) => Promise<void>;
}

const ROUTES: Route[] = [
  { pattern: /^\/?$/, section: 'search', render: (page) => renderHome(page) },
  { pattern: /^\/search\/(.+)$/, section: 'search', render: (page, [query]) => renderSearch(page, query!) },
  { pattern: /^\/item\/(.+)$/, section: 'search', render: (page, [epc], parameters) => renderItem(page, epc!, parameters) },
  { pattern: /^\/events\/?$/, section: 'events', render: (page, _parts, parameters) => renderEvents(page, parameters) },
  { pattern: /^\/blocks\/?$/, section: 'blocks', render: (page, _parts, parameters) => renderBlocks(page, parameters) },
  { pattern: /^\/blocks\/([0-9]+)$/, section: 'blocks', render: (page, [height]) => renderBlock(page, Number(height)) },
  { pattern: /^\/tx\/([0-9a-f]{64})$/, section: 'verify', render: (page, [id]) => renderTransaction(page, id!) },
  { pattern: /^\/recalls\/([0-9a-f]{64})$/, section: 'search', render: (page, [id]) => renderRecall(page, id!) },
  { pattern: /^\/approvals\/?$/, section: 'approvals', render: (page, _parts, parameters) => renderApprovals(page, parameters) },
  { pattern: /^\/approvals\/([0-9a-f]{64})$/, section: 'approvals', render: (page, [id]) => renderApproval(page, id!) },
  { pattern: /^\/verify\/?$/, section: 'verify', render: (page) => renderVerify(page) },
];

const app = document.getElementById('app')!;
let renderCount = 0;

function currentRoute(): { path: string; parameters: URLSearchParams } {
  const fragment = location.hash.replace(/^#/, '');
  const [path = '', search = ''] = fragment.split('?', 2);
  return { path, parameters: new URLSearchParams(search) };
}

function decodeRoutePart(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

async function render(): Promise<void> {
  const renderId = ++renderCount;
  const { path, parameters } = currentRoute();
  const route = ROUTES.find((candidate) => candidate.pattern.test(path));
  document.querySelectorAll<HTMLAnchorElement>('.nav a').forEach((link) => {
    if (link.dataset['section'] === route?.section) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  });
  clear(app);
  app.setAttribute('aria-busy', 'true');
  // A page that finishes loading after the auditor moved on must not draw over the new one.
  const page: Page = { root: app, stale: () => renderId !== renderCount };
  try {
    if (route === undefined) {
      app.append(failureView(new Error(`There is no page at ${path}.`)));
    } else {
      const parts = (route.pattern.exec(path) ?? []).slice(1).map(decodeRoutePart);
      await route.render(page, parts, parameters);
    }
  } catch (error) {
    if (!page.stale()) {
      clear(app);
      app.append(failureView(error));
    }
  } finally {
    if (!page.stale()) {
      app.setAttribute('aria-busy', 'false');
      app.dataset['route'] = path;
      window.scrollTo({ top: 0 });
    }
  }
}

/** What the chip beside the token field says: the node's last word on the token, never a guess. */
function credentialText(state: CredentialState): { text: string; title: string } {
  switch (state.state) {
    case 'unset':
      return { text: 'No token', title: 'Enter your organisation’s read token to read events, histories and approvals.' };
    case 'checking':
      return { text: 'Checking token…', title: 'Asking the node whether it accepts this token.' };
    case 'accepted':
      return { text: 'Token accepted', title: 'The node accepted this token for reads.' };
    case 'refused':
      return { text: `Token refused: ${state.code.replace(/-/g, ' ')}`, title: `The node refused this token (${state.code}): ${state.reason}. Enter a valid read token.` };
  }
}

function setupCredential(): void {
  const form = document.getElementById('credential') as HTMLFormElement;
  const input = document.getElementById('credential-token') as HTMLInputElement;
  const state = document.getElementById('credential-state')!;
  const clearButton = document.getElementById('credential-clear') as HTMLButtonElement;
  const showState = (current: CredentialState) => {
    const { text, title } = credentialText(current);
    state.dataset['state'] = current.state;
    state.textContent = text;
    state.title = title;
    input.placeholder = current.state === 'unset' ? 'Read token' : 'Replace token';
    input.setAttribute('aria-invalid', current.state === 'refused' ? 'true' : 'false');
  };
  showState(credentialState());
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const token = input.value.trim();
    if (token === '') return;
    input.value = '';
    storeReadToken(token);
  });
  clearButton.addEventListener('click', () => {
    input.value = '';
    storeReadToken('');
  });
  onCredentialChange(showState);
  onTokenChange(() => {
    void checkCredential();
    void render();
  });
  void checkCredential();
}

function setupSearch(): void {
  const form = document.getElementById('topbar-search') as HTMLFormElement;
  const input = document.getElementById('topbar-query') as HTMLInputElement;
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const query = input.value.trim();
    if (query === '') return;
    input.value = '';
    input.blur();
    location.hash = `#/search/${encodeURIComponent(query)}`;
  });
}

function setupFooter(): void {
  const footer = document.getElementById('footer');
  if (footer === null) return;
  footer.append(
    element('span', {}, 'Proofs are verified in this browser with the validators’ public keys; nothing the node says is taken on trust but the genesis you choose. '),
    element('a', { href: '/v1/openapi.json' }, 'API reference (OpenAPI)'),
  );
}

setupCredential();
setupSearch();
setupFooter();
window.addEventListener('hashchange', () => void render());
void render();
