/**
 * What converting EPCIS XML can report: a problem refuses the input, a warning accompanies a
 * converted document (something left out or renamed, said so rather than done silently).
 * Expected failures are values, never exceptions (docs/epcis-xml.md, "Problems").
 */

export type EpcisXmlProblemCode =
  | 'too-large'
  | 'too-deep'
  | 'too-many-elements'
  | 'too-many-attributes'
  | 'text-too-long'
  | 'invalid-character'
  | 'doctype-refused'
  | 'processing-instruction-refused'
  | 'entity-refused'
  | 'malformed-xml'
  | 'unbound-prefix'
  | 'reserved-name'
  | 'not-epcis'
  | 'unknown-element'
  | 'repeated-element'
  | 'mixed-content'
  | 'unsupported-event-type'
  /** A bug in the converter, returned rather than thrown; the fuzz tests check it never happens. */
  | 'internal-error';

export interface EpcisXmlProblem {
  code: EpcisXmlProblemCode;
  message: string;
  /** Where in the XML, as element names from the root (`/EPCISDocument/EPCISBody/EventList/ObjectEvent[2]`). */
  path?: string;
}

export type EpcisXmlWarningCode =
  | 'converted-from-1.2'
  | 'ignored-element'
  | 'ignored-attribute'
  | 'root-without-namespace'
  | 'prefix-renamed'
  | 'namespace-without-delimiter'
  | 'unrepresentable-member';

export interface EpcisXmlWarning {
  code: EpcisXmlWarningCode;
  message: string;
  path?: string;
}

/** Thrown inside the converter only, caught at its boundary and returned as a value. */
export class EpcisXmlRefusal extends Error {
  constructor(readonly problem: EpcisXmlProblem) {
    super(problem.message);
  }
}

export function refuse(code: EpcisXmlProblemCode, message: string, path?: string): never {
  throw new EpcisXmlRefusal(path === undefined ? { code, message } : { code, message, path });
}
