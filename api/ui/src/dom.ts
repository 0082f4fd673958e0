/// <reference lib="dom" />
/**
 * The only way the UI builds markup: elements are created through the DOM API and every piece
 * of data becomes a text node or an attribute value, never parsed HTML, so nothing a
 * participant wrote into an event can run in an auditor's browser.
 */

export type Child = Node | string | number | null | undefined | false;
type Attributes = Record<string, string | number | boolean | null | undefined>;

const SVG_NAMESPACE = 'http://www.w3.org/2000/svg';

function appendChildren(parent: Element, children: readonly Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.append(typeof child === 'number' ? String(child) : child);
  }
}

function applyAttributes(target: Element, attributes: Attributes): void {
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) continue;
    target.setAttribute(name, value === true ? '' : String(value));
  }
}

/** An HTML element; `attributes` may carry `class`, `href`, `data-*`, `aria-*`, ... */
export function element<Tag extends keyof HTMLElementTagNameMap>(tag: Tag, attributes: Attributes = {}, ...children: Child[]): HTMLElementTagNameMap[Tag] {
  const created = document.createElement(tag);
  applyAttributes(created, attributes);
  appendChildren(created, children);
  return created;
}

export function svgElement<Tag extends keyof SVGElementTagNameMap>(tag: Tag, attributes: Attributes = {}, ...children: Child[]): SVGElementTagNameMap[Tag] {
  const created = document.createElementNS(SVG_NAMESPACE, tag);
  applyAttributes(created, attributes);
  appendChildren(created, children);
  return created;
}

export function clear(target: Element): void {
  target.replaceChildren();
}

/** A link inside the single-page app; routes live in the fragment so any node serves them from /. */
export function routeLink(route: string, attributes: Attributes, ...children: Child[]): HTMLAnchorElement {
  return element('a', { ...attributes, href: `#${route}` }, ...children);
}

export function button(label: Child, attributes: Attributes, onClick: (event: MouseEvent) => void): HTMLButtonElement {
  const created = element('button', { type: 'button', ...attributes }, label);
  created.addEventListener('click', onClick);
  return created;
}
