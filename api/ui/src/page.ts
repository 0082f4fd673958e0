/// <reference lib="dom" />
/** What a page renderer is handed: where to draw, and whether the auditor has already moved on. */
import { clear, type Child } from './dom.js';

export interface Page {
  root: HTMLElement;
  /** True once another route has started rendering; late answers are then dropped. */
  stale(): boolean;
}

/** Replaces the page's content, unless it went stale. */
export function show(page: Page, ...content: Child[]): void {
  if (page.stale()) return;
  clear(page.root);
  for (const child of content) if (child !== null && child !== undefined && child !== false) page.root.append(typeof child === 'number' ? String(child) : child);
}

/** Fills a placeholder once its data arrives (sections of a page load independently). */
export function fill(page: Page, target: Element, ...content: Child[]): void {
  if (page.stale()) return;
  clear(target);
  for (const child of content) if (child !== null && child !== undefined && child !== false) target.append(typeof child === 'number' ? String(child) : child);
}
