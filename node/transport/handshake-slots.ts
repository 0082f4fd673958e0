/**
 * Who may hold the acceptor's handshakes in progress (docs/security.md, "Peer port"). Until its
 * hello arrives, a connection is only an address, so it is counted by address:
 *
 * - Addresses that configured peers dial from (the hosts in the peer address book) have slots of
 *   their own, reservedHandshakesPerPeer for each peer there: connections from anywhere else can
 *   never take them, so a flood from other addresses cannot keep a validator from its peers.
 * - Every other address shares pendingHandshakesMax, and each may hold at most
 *   pendingHandshakesPerAddressMax of it, so one flooding address cannot take the pool either.
 *
 * An attacker on a peer's own host competes with that peer for its reserved slots only.
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { TransportLimits } from './limits.js';
import type { TransportLogger } from './logger.js';

/** An address as sockets report it, with IPv4-mapped IPv6 (`::ffff:1.2.3.4`) written as IPv4. */
export function normalizedAddress(address: string | undefined): string {
  if (address === undefined) return 'unknown';
  return address.startsWith('::ffff:') && isIP(address.slice('::ffff:'.length)) === 4 ? address.slice('::ffff:'.length) : address;
}

/** The host of `host:port`, without the brackets of an IPv6 literal. */
function hostOf(address: string): string {
  const host = address.slice(0, address.lastIndexOf(':'));
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

interface Holder {
  address: string;
  reserved: boolean;
}

export class HandshakeSlots {
  private readonly holders = new Map<object, Holder>();
  private readonly perAddress = new Map<string, number>();
  private unreserved = 0;
  /** Slots per address that configured peers dial from. */
  private reservations = new Map<string, number>();
  private reservationGeneration = 0;

  constructor(
    private readonly limits: Pick<TransportLimits, 'pendingHandshakesMax' | 'pendingHandshakesPerAddressMax' | 'reservedHandshakesPerPeer'>,
    private readonly logger: TransportLogger,
  ) {}

  /** Reserves slots for the hosts of these peers; names are resolved in the background. */
  reserveFor(peers: ReadonlyArray<{ id: string; address: string }>): void {
    const generation = ++this.reservationGeneration;
    const reservations = new Map<string, number>();
    this.reservations = reservations;
    const peersPerHost = new Map<string, number>();
    for (const peer of peers) {
      const host = hostOf(peer.address);
      peersPerHost.set(host, (peersPerHost.get(host) ?? 0) + 1);
    }
    const reserve = (address: string, peerCount: number) => {
      const slots = Math.max(peerCount * this.limits.reservedHandshakesPerPeer, this.limits.pendingHandshakesPerAddressMax);
      reservations.set(address, (reservations.get(address) ?? 0) + slots);
    };
    for (const [host, peerCount] of peersPerHost) {
      if (isIP(host) !== 0) reserve(normalizedAddress(host), peerCount);
      else if (host === 'localhost') for (const address of ['127.0.0.1', '::1']) reserve(address, peerCount);
      else {
        lookup(host, { all: true }).then(
          (results) => {
            if (generation !== this.reservationGeneration) return;
            for (const result of results) reserve(normalizedAddress(result.address), peerCount);
          },
          (error: Error) => this.logger.warn({ host, error: error.message }, 'cannot resolve a peer host; its handshakes get no reserved slots until the peers are set again'),
        );
      }
    }
  }

  /** Which limit a new connection from `address` would exceed, or undefined if it may start a handshake. */
  refusal(address: string): string | undefined {
    const fromAddress = this.perAddress.get(address) ?? 0;
    const reserved = this.reservations.get(address);
    if (reserved !== undefined) return fromAddress >= reserved ? 'reservedHandshakesPerPeer' : undefined;
    if (fromAddress >= this.limits.pendingHandshakesPerAddressMax) return 'pendingHandshakesPerAddressMax';
    if (this.unreserved >= this.limits.pendingHandshakesMax) return 'pendingHandshakesMax';
    return undefined;
  }

  add(connection: object, address: string): void {
    const reserved = this.reservations.has(address);
    this.holders.set(connection, { address, reserved });
    this.perAddress.set(address, (this.perAddress.get(address) ?? 0) + 1);
    if (!reserved) this.unreserved++;
  }

  /** The connection's handshake ended (admitted, refused or closed); a no-op for one not held. */
  delete(connection: object): void {
    const holder = this.holders.get(connection);
    if (holder === undefined) return;
    this.holders.delete(connection);
    const remaining = (this.perAddress.get(holder.address) ?? 1) - 1;
    if (remaining === 0) this.perAddress.delete(holder.address);
    else this.perAddress.set(holder.address, remaining);
    if (!holder.reserved) this.unreserved--;
  }

  get size(): number {
    return this.holders.size;
  }
}
