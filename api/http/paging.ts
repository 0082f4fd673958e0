/**
 * Where an EPCISQueryDocument names its next page (EPCIS 2.0 REST binding: the Link header with
 * rel="next"; for clients that read only the body, this extension member, in the custodia
 * namespace the document declares in its @context).
 */
export const NEXT_PAGE_MEMBER = 'custodia:nextPageToken';
