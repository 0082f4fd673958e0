/**
 * Standard vocabularies of EPCIS 2.0 events: CBV 2.0 section 7 (business steps 7.1,
 * dispositions 7.2, business transaction types 7.3, source/destination types 7.4, error
 * reasons 7.5, and the sensor component vocabulary) and the GS1 Web Vocabulary terms that the
 * EPCIS 2.0 SensorReport uses for measurement types and alert types. Word lists match GS1's JSON schema
 * enumerations and JSON-LD contexts (copies in test/fixtures/gs1; a test compares them).
 *
 * A standard value may be spelled three ways (CBV 2.0 identifier syntax): the bare
 * word (`shipping`, what EPCIS 2.0 JSON-LD uses), the CBV URN (`urn:epcglobal:cbv:bizstep:shipping`,
 * what EPCIS XML and 1.x data use) or the GS1 Web URI (`https://ref.gs1.org/cbv/BizStep-shipping`).
 * Anything else must be a URI of the user's own, outside the GS1 namespaces.
 */
import { isAbsoluteUri } from './uri.js';

export type VocabularyKind =
  | 'bizStep'
  | 'disposition'
  | 'bizTransactionType'
  | 'sourceDestinationType'
  | 'errorReason'
  | 'component'
  | 'measurementType'
  | 'sensorAlertType';

interface Vocabulary {
  /** How the kind is named in messages. */
  description: string;
  /** Where the word list is defined. */
  source: string;
  /** A word shown in messages. */
  example: string;
  words: readonly string[];
  /** CBV URN prefix, where CBV 2.0 defines one. */
  urnPrefix?: string;
  webUriPrefix: string;
  /** Namespaces only GS1 may mint in: a value there must be a known word. */
  reservedNamespaces: readonly RegExp[];
}

const CBV_NAMESPACES: readonly RegExp[] = [/^urn:epcglobal:cbv:/i, /^https?:\/\/(?:ref|ns)\.gs1\.org\/cbv\//i];
const GS1_WEB_VOCABULARY_NAMESPACES: readonly RegExp[] = [/^https?:\/\/(?:www\.)?gs1\.org\/voc\//i];

const BUSINESS_STEPS = [
  'accepting', 'arriving', 'assembling', 'collecting', 'commissioning', 'consigning', 'creating_class_instance',
  'cycle_counting', 'decommissioning', 'departing', 'destroying', 'disassembling', 'dispensing', 'encoding',
  'entering_exiting', 'holding', 'inspecting', 'installing', 'killing', 'loading', 'other', 'packing', 'picking',
  'receiving', 'removing', 'repackaging', 'repairing', 'replacing', 'reserving', 'retail_selling', 'sampling',
  'sensor_reporting', 'shipping', 'staging_outbound', 'stock_taking', 'stocking', 'storing', 'transporting',
  'unloading', 'unpacking', 'void_shipping',
] as const;

const DISPOSITIONS = [
  'active', 'available', 'completeness_inferred', 'completeness_verified', 'conformant', 'container_closed',
  'container_open', 'damaged', 'destroyed', 'dispensed', 'disposed', 'encoded', 'expired', 'in_progress',
  'in_transit', 'inactive', 'mismatch_class', 'mismatch_instance', 'mismatch_quantity', 'needs_replacement',
  'no_pedigree_match', 'non_conformant', 'non_sellable_other', 'partially_dispensed', 'recalled', 'reserved',
  'retail_sold', 'returned', 'sellable_accessible', 'sellable_not_accessible', 'stolen', 'unavailable', 'unknown',
] as const;

const BUSINESS_TRANSACTION_TYPES = [
  'bol', 'cert', 'desadv', 'inv', 'pedigree', 'po', 'poc', 'prodorder', 'recadv', 'rma', 'testprd', 'testres', 'upevt',
] as const;

const SOURCE_DESTINATION_TYPES = ['location', 'owning_party', 'possessing_party'] as const;

const ERROR_REASONS = ['did_not_occur', 'incorrect_data'] as const;

const COMPONENTS = [
  'altitude', 'axial_distance', 'azimuth', 'easting', 'elevation_angle', 'height', 'latitude', 'longitude',
  'northing', 'polar_angle', 'spherical_radius', 'x', 'y', 'z',
] as const;

const MEASUREMENT_TYPES = [
  'AbsoluteHumidity', 'AbsorbedDose', 'AbsorbedDoseRate', 'Acceleration', 'Altitude', 'AmountOfSubstance',
  'AmountOfSubstancePerUnitVolume', 'Angle', 'AngularAcceleration', 'AngularMomentum', 'AngularVelocity', 'Area',
  'Capacitance', 'Conductance', 'Conductivity', 'Count', 'Density', 'Dimensionless', 'DoseEquivalent',
  'DoseEquivalentRate', 'DynamicViscosity', 'ElectricCharge', 'ElectricCurrent', 'ElectricCurrentDensity',
  'ElectricFieldStrength', 'Energy', 'Exposure', 'Force', 'Frequency', 'Illuminance', 'Inductance', 'Irradiance',
  'KinematicViscosity', 'Length', 'LinearMomentum', 'Luminance', 'LuminousFlux', 'LuminousIntensity', 'MagneticFlux',
  'MagneticFluxDensity', 'MagneticVectorPotential', 'Mass', 'MassConcentration', 'MassFlowRate', 'MassPerAreaTime',
  'MemoryCapacity', 'MolalityOfSolute', 'MolarEnergy', 'MolarMass', 'MolarVolume', 'Power', 'Pressure',
  'Radioactivity', 'RadiantFlux', 'RadiantIntensity', 'RelativeHumidity', 'Resistance', 'Resistivity', 'SolidAngle',
  'SpecificVolume', 'Speed', 'SurfaceDensity', 'SurfaceTension', 'Temperature', 'Time', 'Torque', 'Voltage', 'Volume',
  'VolumeFlowRate', 'VolumeFraction', 'VolumetricFlux', 'Wavenumber',
] as const;

const SENSOR_ALERT_TYPES = ['ALARM_CONDITION', 'ERROR_CONDITION'] as const;

export type BusinessStep = (typeof BUSINESS_STEPS)[number];
export type Disposition = (typeof DISPOSITIONS)[number];

export const VOCABULARIES: Readonly<Record<VocabularyKind, Vocabulary>> = {
  bizStep: {
    description: 'business step',
    source: 'CBV 2.0 section 7.1',
    example: 'shipping',
    words: BUSINESS_STEPS,
    urnPrefix: 'urn:epcglobal:cbv:bizstep:',
    webUriPrefix: 'https://ref.gs1.org/cbv/BizStep-',
    reservedNamespaces: CBV_NAMESPACES,
  },
  disposition: {
    description: 'disposition',
    source: 'CBV 2.0 section 7.2',
    example: 'in_transit',
    words: DISPOSITIONS,
    urnPrefix: 'urn:epcglobal:cbv:disp:',
    webUriPrefix: 'https://ref.gs1.org/cbv/Disp-',
    reservedNamespaces: CBV_NAMESPACES,
  },
  bizTransactionType: {
    description: 'business transaction type',
    source: 'CBV 2.0 section 7.3',
    example: 'po',
    words: BUSINESS_TRANSACTION_TYPES,
    urnPrefix: 'urn:epcglobal:cbv:btt:',
    webUriPrefix: 'https://ref.gs1.org/cbv/BTT-',
    reservedNamespaces: CBV_NAMESPACES,
  },
  sourceDestinationType: {
    description: 'source/destination type',
    source: 'CBV 2.0 section 7.4',
    example: 'possessing_party',
    words: SOURCE_DESTINATION_TYPES,
    urnPrefix: 'urn:epcglobal:cbv:sdt:',
    webUriPrefix: 'https://ref.gs1.org/cbv/SDT-',
    reservedNamespaces: CBV_NAMESPACES,
  },
  errorReason: {
    description: 'error reason',
    source: 'CBV 2.0 section 7.5',
    example: 'incorrect_data',
    words: ERROR_REASONS,
    urnPrefix: 'urn:epcglobal:cbv:er:',
    webUriPrefix: 'https://ref.gs1.org/cbv/ER-',
    reservedNamespaces: CBV_NAMESPACES,
  },
  component: {
    description: 'sensor component',
    source: 'CBV 2.0',
    example: 'latitude',
    words: COMPONENTS,
    webUriPrefix: 'https://ref.gs1.org/cbv/Comp-',
    reservedNamespaces: CBV_NAMESPACES,
  },
  measurementType: {
    description: 'measurement type',
    source: 'the GS1 Web Vocabulary',
    example: 'Temperature',
    words: MEASUREMENT_TYPES,
    webUriPrefix: 'https://gs1.org/voc/',
    reservedNamespaces: GS1_WEB_VOCABULARY_NAMESPACES,
  },
  sensorAlertType: {
    description: 'sensor alert type',
    source: 'the GS1 Web Vocabulary',
    example: 'ALARM_CONDITION',
    words: SENSOR_ALERT_TYPES,
    webUriPrefix: 'https://gs1.org/voc/',
    reservedNamespaces: GS1_WEB_VOCABULARY_NAMESPACES,
  },
};

const WORD_SETS: ReadonlyMap<VocabularyKind, ReadonlySet<string>> = new Map(
  (Object.keys(VOCABULARIES) as VocabularyKind[]).map((kind) => [kind, new Set(VOCABULARIES[kind].words)]),
);

/** The bare word a standard spelling stands for, or undefined when `value` is not one. */
export function standardWord(kind: VocabularyKind, value: string): string | undefined {
  const vocabulary = VOCABULARIES[kind];
  const words = WORD_SETS.get(kind);
  if (words === undefined) return undefined;
  if (words.has(value)) return value;
  for (const prefix of [vocabulary.urnPrefix, vocabulary.webUriPrefix]) {
    if (prefix !== undefined && value.startsWith(prefix)) {
      const word = value.slice(prefix.length);
      if (words.has(word)) return word;
    }
  }
  return undefined;
}

/**
 * One spelling per standard value: its bare word, whichever of the three spellings it came in.
 * Custom values (URIs of the user's own) are returned unchanged. Agrees with
 * ledger/store/event-index.ts normalizeVocabulary for bizStep and disposition, and covers the
 * other vocabularies of an event the same way.
 */
export function normalizeVocabularyValue(kind: VocabularyKind, value: string): string {
  return standardWord(kind, value) ?? value;
}

/** The GS1 Web URI of a standard value in any spelling, or undefined for custom values. */
export function vocabularyWebUri(kind: VocabularyKind, value: string): string | undefined {
  const word = standardWord(kind, value);
  return word === undefined ? undefined : VOCABULARIES[kind].webUriPrefix + word;
}

export function isInReservedNamespace(kind: VocabularyKind, value: string): boolean {
  return VOCABULARIES[kind].reservedNamespaces.some((namespace) => namespace.test(value));
}

/**
 * Why `value` is not acceptable for this vocabulary, or undefined when it is. Context-free:
 * whether a compact IRI's prefix is declared is checked against the document's @context
 * separately (namespaces.ts).
 */
export function vocabularyValueProblem(kind: VocabularyKind, value: string): string | undefined {
  if (standardWord(kind, value) !== undefined) return undefined;
  const vocabulary = VOCABULARIES[kind];
  if (!isAbsoluteUri(value)) {
    return `must be a ${vocabulary.description} from ${vocabulary.source} (such as ${vocabulary.example}, spelled as a word or a URI) or a URI of your own; got ${quote(value)}`;
  }
  if (isInReservedNamespace(kind, value)) {
    return `must be a ${vocabulary.description} that ${vocabulary.source} defines; ${quote(value)} is in GS1's namespace but is not one`;
  }
  return undefined;
}

/** Short, safe rendering of an input string inside a message. */
export function quote(value: string): string {
  const shown = value.length > 80 ? `${value.slice(0, 77)}...` : value;
  return JSON.stringify(shown);
}
