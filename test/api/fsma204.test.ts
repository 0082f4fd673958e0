/**
 * The FSMA 204 spreadsheet writer (api/http/fsma204.ts) on its own: RFC 4180 quoting, the
 * apostrophe that keeps spreadsheet formulas from running (OWASP, CSV injection), GTINs from
 * EPC URIs (EPC Tag Data Standard), and the rows of shipping and receiving events.
 */
import { describe, expect, it } from 'vitest';
import { csvField, fsma204Rows, toCsv, FSMA204_COLUMNS } from '../../api/http/fsma204.js';
import { gtinOf } from '../../ledger/store/identifiers.js';
import { parseCsv } from './support/csv.js';

describe('FSMA 204 CSV', () => {
  it('quotes fields with quotes, commas, line breaks or outer spaces, and doubles quotes (RFC 4180)', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "cheese"')).toBe('"say ""cheese"""');
    expect(csvField('two\r\nlines')).toBe('"two\r\nlines"');
    expect(csvField(' padded ')).toBe('" padded "');
    expect(csvField(42)).toBe('42');
    expect(csvField(-3)).toBe('-3');
  });

  it('keeps text that a spreadsheet would run as a formula from running', () => {
    for (const formula of ['=HYPERLINK("http://evil")', '+1+1', '-2+3', '@SUM(A1)', '\tTAB']) expect(csvField(formula).replace(/^"/, '')).toMatch(/^'/);
  });

  it('derives GTIN-14 with its check digit from SGTIN and LGTIN URIs, and nothing from others', () => {
    expect(gtinOf('urn:epc:id:sgtin:0614141.107346.2017')).toBe('10614141073464');
    expect(gtinOf('urn:epc:class:lgtin:4012345.012345.998877')).toBe('04012345123456');
    expect(gtinOf('urn:epc:id:sscc:0614141.1234567890')).toBeUndefined();
    expect(gtinOf('urn:epc:class:lgtin:0614141.0012345.LOT')).toBeUndefined();
  });

  it('writes one row per lot or item of a shipment, with the reference documents, and none for other events', () => {
    const shipment = {
      type: 'ObjectEvent',
      action: 'OBSERVE',
      eventTime: '2026-03-01T23:30:00-05:00',
      eventTimeZoneOffset: '-05:00',
      bizStep: 'urn:epcglobal:cbv:bizstep:shipping',
      epcList: ['urn:epc:id:sgtin:0614141.107346.2017'],
      quantityList: [{ epcClass: 'urn:epc:class:lgtin:4012345.012345.998877', quantity: 200, uom: 'KGM' }],
      bizLocation: { id: 'urn:epc:id:sgln:0614141.00777.0' },
      bizTransactionList: [
        { type: 'urn:epcglobal:cbv:btt:po', bizTransaction: 'urn:epcglobal:cbv:bt:0614141000005:PO-1' },
        { type: 'bol', bizTransaction: 'urn:example:bol:9,9' },
      ],
      destinationList: [{ type: 'owning_party', destination: 'urn:epc:id:pgln:0614145.00001' }],
    };
    const rows = fsma204Rows({
      event: shipment,
      eventId: 'urn:uuid:1',
      txId: 'f'.repeat(64),
      recordedBy: 'urn:epc:id:pgln:0614141.00001',
      describeParty: (id) => (id.endsWith('0614145.00001') ? `Corner Grocer (${id})` : id),
      sourceOf: () => 'urn:epc:id:pgln:0614141.00001',
      productOf: (id) => (id.startsWith('urn:epc:id:sgtin:') ? 'Romaine lettuce, whole heads' : undefined),
    });
    expect(rows).toHaveLength(2);
    // The maker's master data names the product; without it, the GTIN does.
    expect(rows.map((row) => row['Product Description'])).toEqual(['GTIN 04012345123456', 'Romaine lettuce, whole heads']);
    expect(rows[0]).toMatchObject({
      'Critical Tracking Event': 'Shipping',
      'Traceability Lot Code': 'urn:epc:class:lgtin:4012345.012345.998877',
      'Product Description': 'GTIN 04012345123456',
      Quantity: 200,
      'Unit of Measure': 'KGM',
      'Ship-From Location': 'urn:epc:id:sgln:0614141.00777.0',
      'Ship-To Location': 'Corner Grocer (urn:epc:id:pgln:0614145.00001)',
      'Ship Date': '2026-03-01',
      'Event Time (UTC)': '2026-03-02T04:30:00.000Z',
      'Reference Document Type': 'po; bol',
      'Reference Document Number': 'urn:epcglobal:cbv:bt:0614141000005:PO-1; urn:example:bol:9,9',
    });
    const table = parseCsv(toCsv(rows));
    expect(table[0]).toEqual([...FSMA204_COLUMNS]);
    expect(table[1]![FSMA204_COLUMNS.indexOf('Reference Document Number')]).toBe('urn:epcglobal:cbv:bt:0614141000005:PO-1; urn:example:bol:9,9');
    expect(fsma204Rows({ event: { ...shipment, bizStep: 'storing' }, eventId: 'x', txId: 'y', recordedBy: undefined, describeParty: (id) => id, sourceOf: () => undefined, productOf: () => undefined })).toEqual([]);
  });

  it('writes every event time in one form, UTC to the millisecond, whatever precision and zone the event used', () => {
    const row = (eventTime: string) =>
      fsma204Rows({
        event: { type: 'ObjectEvent', action: 'OBSERVE', eventTime, eventTimeZoneOffset: '+00:00', bizStep: 'shipping', epcList: ['urn:epc:id:sgtin:0614141.107346.1'] },
        eventId: 'e',
        txId: 't',
        recordedBy: undefined,
        describeParty: (id) => id,
        sourceOf: () => undefined,
        productOf: () => undefined,
      })[0]!['Event Time (UTC)'];
    expect([row('2026-03-01T08:00:00Z'), row('2026-03-01T09:00:00.5+01:00'), row('2026-03-01T08:00:00.123456Z')]).toEqual(['2026-03-01T08:00:00.000Z', '2026-03-01T08:00:00.500Z', '2026-03-01T08:00:00.123Z']);
  });
});
