/**
 * Where a webhook may deliver (docs/epcis.md, "Subscriptions"; docs/security.md). A
 * subscription's `dest` is chosen by a participant, so unless the operator allows it
 * (`api.webhooks.privateDestinations`), a destination on a loopback, private, link-local,
 * shared, multicast or reserved address is refused: when the subscription is made if the URL
 * names such an address or `localhost`, and again at every delivery for the addresses its name
 * resolves to, so that a name re-pointed later (DNS rebinding) reaches no internal service either.
 */
import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { BlockList, isIP } from 'node:net';

const INTERNAL = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  INTERNAL.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::', 127],
  ['::ffff:0:0', 96],
  ['64:ff9b::', 96],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const) {
  INTERNAL.addSubnet(network, prefix, 'ipv6');
}

export function isInternalAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return true;
  return INTERNAL.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/** Why a destination URL may not be used, or undefined when it may. */
export function destinationRefusal(url: URL, privateDestinations: boolean): string | undefined {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'dest must be an http or https URL';
  if (url.username !== '' || url.password !== '') return 'dest must not carry credentials; use signatureToken';
  if (privateDestinations) return undefined;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (host === 'localhost' || host.endsWith('.localhost')) return 'dest names this machine; this validator delivers only to public addresses';
  if (isIP(host) !== 0 && isInternalAddress(host)) return `dest names an internal address (${host}); this validator delivers only to public addresses`;
  return undefined;
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/** A dns.lookup for http.request that refuses internal addresses unless they are allowed. */
export function guardedLookup(privateDestinations: boolean) {
  return (hostname: string, options: LookupOptions, callback: LookupCallback): void => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error !== null) return callback(error, []);
      const allowed = privateDestinations ? addresses : addresses.filter((entry) => !isInternalAddress(entry.address));
      if (allowed.length === 0) {
        const refused: NodeJS.ErrnoException = new Error(`${hostname} resolves only to internal addresses; this validator delivers only to public addresses`);
        refused.code = 'EDESTINATION';
        return callback(refused, []);
      }
      if (options.all === true) return callback(null, allowed);
      callback(null, allowed[0]!.address, allowed[0]!.family);
    });
  };
}
