/**
 * The XML namespaces of EPCIS documents (EPCIS 2.0 section 9.3, EPCIS 1.2 section 9.5) and the
 * JSON-LD prefixes that user extension namespaces become (EPCIS 2.0 section 9.4 JSON-LD
 * binding: an extension member is named `prefix:localName`, the prefix declared in @context).
 */
import { STANDARD_EPCIS_CONTEXT_URL } from '../../contracts/epcis/index.js';
import { STANDARD_CONTEXT_PREFIXES } from '../../contracts/epcis/context.js';
import type { EpcisXmlWarning } from './problems.js';
import { NCNAME } from './schema-names.js';
import { XML_NAMESPACE, XMLNS_NAMESPACE, XSI_NAMESPACE } from './xml-tree.js';

export const EPCIS_2_NAMESPACE = 'urn:epcglobal:epcis:xsd:2';
export const EPCIS_1_NAMESPACE = 'urn:epcglobal:epcis:xsd:1';
export const EPCIS_QUERY_2_NAMESPACE = 'urn:epcglobal:epcis-query:xsd:2';
export const EPCIS_QUERY_1_NAMESPACE = 'urn:epcglobal:epcis-query:xsd:1';
export const EPCIS_MASTERDATA_2_NAMESPACE = 'urn:epcglobal:epcis-masterdata:xsd:2';
export const EPCIS_MASTERDATA_1_NAMESPACE = 'urn:epcglobal:epcis-masterdata:xsd:1';
export const SBDH_NAMESPACE = 'http://www.unece.org/cefact/namespaces/StandardBusinessDocumentHeader';

/** Namespaces of the standard's own elements: never user extensions. */
export const STANDARD_NAMESPACES: ReadonlySet<string> = new Set([
  EPCIS_2_NAMESPACE,
  EPCIS_1_NAMESPACE,
  EPCIS_QUERY_2_NAMESPACE,
  EPCIS_QUERY_1_NAMESPACE,
  EPCIS_MASTERDATA_2_NAMESPACE,
  EPCIS_MASTERDATA_1_NAMESPACE,
  XML_NAMESPACE,
  XMLNS_NAMESPACE,
  XSI_NAMESPACE,
]);

/** JSON-LD 1.1 section 4.1.5: an IRI ending in one of these can be a prefix as a plain string. */
const PREFIX_DELIMITER = /[:/?#[\]@]$/;

/** A @context entry value for a namespace: its IRI, or an explicit prefix definition when the IRI does not end in a delimiter. */
export type PrefixDefinition = string | { '@id': string; '@prefix': true };

/**
 * Assigns JSON-LD prefixes to the extension namespaces a document uses, in the order it uses
 * them, so that the same XML always gives the same prefixes. A namespace keeps the prefix the
 * XML gave it unless that prefix is taken (by the standard context, or by another namespace
 * earlier in the document), in which case it gets the first free `prefixN`.
 */
export class PrefixRegistry {
  private readonly prefixOf = new Map<string, string>();
  private readonly namespaceOf = new Map<string, string>();
  private readonly added: Array<[string, string]> = [];

  constructor(private readonly warnings: EpcisXmlWarning[]) {
    for (const [prefix, namespace] of Object.entries(STANDARD_CONTEXT_PREFIXES)) this.namespaceOf.set(prefix, namespace);
  }

  /** The JSON-LD prefix for `namespace`, written `preferred` in the XML. */
  prefixFor(namespace: string, preferred: string, path: string): string {
    const known = this.prefixOf.get(namespace);
    if (known !== undefined) return known;
    // The standard context already names this namespace (or the same namespace without its
    // final delimiter, as 1.2 documents often write urn:epcglobal:cbv:mda).
    for (const [prefix, standard] of Object.entries(STANDARD_CONTEXT_PREFIXES)) {
      if (standard === namespace || (PREFIX_DELIMITER.test(standard) && standard.slice(0, -1) === namespace)) {
        this.prefixOf.set(namespace, prefix);
        return prefix;
      }
    }
    const base = NCNAME.test(preferred) ? preferred : 'ns';
    let prefix = base;
    for (let counter = 2; this.namespaceOf.has(prefix) || prefix === ''; counter++) prefix = `${base}${counter}`;
    if (prefix !== preferred && preferred !== '') {
      this.warnings.push({ code: 'prefix-renamed', message: `namespace ${namespace} is written with prefix "${prefix}", since "${preferred}" is taken`, path });
    }
    if (!PREFIX_DELIMITER.test(namespace)) {
      this.warnings.push({
        code: 'namespace-without-delimiter',
        message: `namespace ${namespace} does not end in "/", "#" or ":", so JSON-LD 1.1 (section 4.1.5) would not use it as a prefix; it is declared with "@prefix": true, and its names expand to the namespace and the local name run together`,
        path,
      });
    }
    this.prefixOf.set(namespace, prefix);
    this.namespaceOf.set(prefix, namespace);
    this.added.push([prefix, namespace]);
    return prefix;
  }

  /** The document's @context: the standard context, then one object with the prefixes added. */
  context(): string | Array<string | Record<string, PrefixDefinition>> {
    if (this.added.length === 0) return STANDARD_EPCIS_CONTEXT_URL;
    const definitions: Record<string, PrefixDefinition> = {};
    for (const [prefix, namespace] of this.added) {
      definitions[prefix] = PREFIX_DELIMITER.test(namespace) ? namespace : { '@id': namespace, '@prefix': true };
    }
    return [STANDARD_EPCIS_CONTEXT_URL, definitions];
  }
}
