/**
 * Size limits of EPCIS 2.0 input (EPCIS 2.0 JSON/JSON-LD binding). The standard sets
 * none; a ledger must, so that one oversized document cannot stall every validator. Every
 * validator applies the same numbers, so changing one is a protocol change.
 */

export const EPCIS_LIMITS = {
  /** Events in one EPCISDocument or EPCISQueryDocument eventList. */
  eventsPerDocumentMax: 10_000,
  /** Identifiers in one epcList, childEPCs, inputEPCList, outputEPCList or correctiveEventIDs. */
  epcsPerListMax: 10_000,
  /**
   * Entries in any other list: quantity lists, bizTransactionList, source and destination lists,
   * sensorElementList, sensorReport, certificationInfo, persistentDisposition set/unset, master data.
   */
  listItemsMax: 1_000,
  /** Any one string or member name, in UTF-16 code units. */
  stringLengthMax: 4_096,
  /** Nesting of arrays and objects inside one extension value or @context object, in levels. */
  extensionDepthMax: 16,
  /** Arrays, objects and scalars inside one extension value or @context object, counted together. */
  extensionValuesMax: 10_000,
  /** Members of one object (standard members and extensions together). */
  objectMembersMax: 1_000,
  /** Entries in one @context array. */
  contextEntriesMax: 64,
  /** Errors reported for one input; the rest are summarised, not listed. */
  errorsReportedMax: 100,
} as const;
