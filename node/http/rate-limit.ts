/**
 * Requests per source address (docs/security.md, "Unauthenticated clients"): a token bucket per
 * remote address, so that one client, authenticated or not, cannot take a node's HTTP capacity
 * or make it verify signatures without end. Over the limit: 429 with Retry-After. The table of
 * addresses is bounded; the least recently seen is forgotten first (a forgotten address starts
 * again with a full bucket, which gives it no more than the burst).
 */
import type { Request, RequestHandler } from 'express';
import { TokenBucket } from '../transport/rate-limit.js';
import { ApiError, sendError } from './errors.js';

export interface AddressRateLimits {
  requestsPerSecondPerAddress: number;
  requestsBurstPerAddress: number;
}

/** Addresses whose buckets are kept at once. */
const ADDRESSES_TRACKED_MAX = 10_000;

/** The client's address as the socket sees it, IPv4-mapped IPv6 written as IPv4. */
export function remoteAddressOf(request: Pick<Request, 'socket'>): string {
  return socketAddressOf(request.socket);
}

/** A socket's peer address, IPv4-mapped IPv6 written as IPv4 (so one client has one key). */
export function socketAddressOf(socket: { remoteAddress?: string | undefined }): string {
  const address = socket.remoteAddress ?? 'unknown';
  return address.startsWith('::ffff:') ? address.slice('::ffff:'.length) : address;
}

export class AddressRateLimiter {
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(private readonly limits: AddressRateLimits) {}

  /** True when a request from `address` may pass now. */
  admit(address: string): boolean {
    let bucket = this.buckets.get(address);
    if (bucket === undefined) {
      bucket = new TokenBucket(this.limits.requestsBurstPerAddress, this.limits.requestsPerSecondPerAddress);
      if (this.buckets.size >= ADDRESSES_TRACKED_MAX) this.buckets.delete(this.buckets.keys().next().value!);
    } else {
      this.buckets.delete(address);
    }
    this.buckets.set(address, bucket);
    return bucket.take(1);
  }

  readonly middleware: RequestHandler = (request, response, next) => {
    if (this.admit(remoteAddressOf(request))) return next();
    sendError(response, new ApiError(429, 'rate-limited', `more than ${this.limits.requestsPerSecondPerAddress} requests per second from this address; slow down`, '', { 'Retry-After': '1' }));
  };
}
