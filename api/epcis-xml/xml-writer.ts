/**
 * A minimal XML writer for the documents serialize.ts builds (XML 1.0 Fifth Edition sections
 * 2.4 and 3.3.3 for what must be escaped). Hand-written rather than a builder library because
 * the whole of it is the escaping below, and that must be exact: text escapes `&`, `<`, `>` and
 * carriage return; attribute values also escape `"` and the white space characters an XML
 * parser would otherwise normalise to spaces, so that what is written reads back unchanged.
 */

export interface XmlNode {
  /** Qualified name as written: `epcis:EPCISDocument`, `eventTime`, `ext1:field`. */
  name: string;
  attributes: Array<[string, string]>;
  children: XmlNode[];
  /** Character data; written before the children (the writer never mixes both). */
  text?: string;
}

export function node(name: string, content: string | XmlNode[] = [], attributes: Array<[string, string]> = []): XmlNode {
  return typeof content === 'string' ? { name, attributes, children: [], text: content } : { name, attributes, children: content };
}

export function escapeText(text: string): string {
  return text.replace(/[&<>\r]/g, (character) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '\r': '&#xD;' })[character]!);
}

export function escapeAttribute(text: string): string {
  return text.replace(/[&<>"\t\n\r]/g, (character) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', '\t': '&#x9;', '\n': '&#xA;', '\r': '&#xD;' })[character]!);
}

/** Renders with two-space indentation; text-only elements stay on one line. */
export function renderXml(root: XmlNode): string {
  const lines: string[] = ['<?xml version="1.0" encoding="UTF-8"?>'];
  const render = (current: XmlNode, indent: string): void => {
    const attributes = current.attributes.map(([name, value]) => ` ${name}="${escapeAttribute(value)}"`).join('');
    if (current.children.length === 0) {
      lines.push(current.text === undefined || current.text === '' ? `${indent}<${current.name}${attributes}/>` : `${indent}<${current.name}${attributes}>${escapeText(current.text)}</${current.name}>`);
      return;
    }
    lines.push(`${indent}<${current.name}${attributes}>`);
    for (const child of current.children) render(child, `${indent}  `);
    lines.push(`${indent}</${current.name}>`);
  };
  render(root, '');
  return `${lines.join('\n')}\n`;
}
