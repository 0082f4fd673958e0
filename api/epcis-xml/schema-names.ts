/**
 * Names the XML reader and writer share (EPCIS 2.0 XML schema, epcglobal-epcis-2_0.xsd; XML
 * Namespaces section 3 for NCName), kept in one place so that the two directions cannot drift.
 */
import type { VocabularyKind } from '../../contracts/epcis/index.js';

/** XML Schema's namespace, for xsi:type values such as xsd:integer. */
export const XSD_NAMESPACE = 'http://www.w3.org/2001/XMLSchema';

/** An XML local name or prefix, restricted to ASCII (what the writer produces and the reader needs for prefixes). */
export const NCNAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

/** SensorMetadata attributes of the EPCIS 2.0 schema. */
export const SENSOR_METADATA_ATTRIBUTES: ReadonlySet<string> = new Set(['time', 'startTime', 'endTime', 'deviceID', 'deviceMetadata', 'rawData', 'dataProcessingMethod', 'bizRules']);

/** SensorReport attributes whose values are vocabulary values. */
export const SENSOR_REPORT_VOCABULARY: Readonly<Record<string, VocabularyKind>> = { type: 'measurementType', exception: 'sensorAlertType', component: 'component' };

/** Vocabularies whose XML values GS1's examples write as QNames (type="gs1:Temperature"), not URIs. */
export const QNAME_VALUED_VOCABULARIES: ReadonlySet<VocabularyKind> = new Set(Object.values(SENSOR_REPORT_VOCABULARY));
