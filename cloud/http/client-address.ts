/**
 * The client address that per-address rate limits are keyed by. It is the socket's peer, unless that
 * peer is one of TRUSTED_PROXIES (the load balancer): then it is read from X-Forwarded-For, right to
 * left, skipping every hop that is itself a trusted proxy — the first untrusted hop is the client.
 * Entries left of it were written by that client and are never believed, so a spoofed header from an
 * untrusted peer (or a spoofed prefix behind a trusted one) changes nothing.
 */
import { BlockList, isIP } from 'node:net';
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context } from 'hono';
import type { AppEnv } from './context';

/** Finds the client address of a request. */
export type ClientAddress = (c: Context<AppEnv>) => string;

const MAPPED_V4 = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i;

/** One address in canonical form (IPv4-mapped IPv6 as IPv4; ports and brackets dropped), or undefined. */
export function normalizeAddress(raw: string): string | undefined {
  let text = raw.trim();
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(text);
  if (bracketed?.[1]) text = bracketed[1];
  else if (/^\d{1,3}(?:\.\d{1,3}){3}:\d+$/.test(text)) text = text.slice(0, text.lastIndexOf(':'));
  const mapped = MAPPED_V4.exec(text);
  if (mapped?.[1]) text = mapped[1];
  const family = isIP(text);
  if (family === 0) return undefined;
  return family === 6 ? text.toLowerCase() : text;
}

/** A matcher for a list of IPs and CIDRs (already validated by config.ts). */
export function trustedProxyMatcher(entries: readonly string[]): (address: string) => boolean {
  if (entries.length === 0) return () => false;
  const list = new BlockList();
  for (const entry of entries) {
    const [address = '', prefix] = entry.split('/');
    const type = isIP(address) === 6 ? 'ipv6' : 'ipv4';
    if (prefix === undefined) list.addAddress(address, type);
    else list.addSubnet(address, Number(prefix), type);
  }
  return (address) => {
    const family = isIP(address);
    return family !== 0 && list.check(address, family === 6 ? 'ipv6' : 'ipv4');
  };
}

/**
 * The client address given the socket peer and the X-Forwarded-For header. With no trusted proxies
 * (the default) the header is ignored.
 */
export function resolveClientAddress(
  peer: string,
  forwardedFor: string | undefined,
  trusted: (address: string) => boolean,
): string {
  let client = normalizeAddress(peer) ?? peer;
  if (!trusted(client) || !forwardedFor) return client;
  const hops = forwardedFor.split(',');
  for (let index = hops.length - 1; index >= 0; index--) {
    const hop = normalizeAddress(hops[index] ?? '');
    // A hop that is not an address was not written by a proxy we trust: stop at the last good one.
    if (!hop) return client;
    client = hop;
    if (!trusted(hop)) return hop;
  }
  return client;
}

/** Builds the request → client address function of the app (tests without a socket get 'local'). */
export function createClientAddress(trustedProxies: readonly string[]): ClientAddress {
  const trusted = trustedProxyMatcher(trustedProxies);
  return (c) => {
    let peer: string | undefined;
    try {
      peer = getConnInfo(c).remote.address;
    } catch {
      return 'local'; // app.request() in tests: no socket
    }
    if (!peer) return 'unknown';
    return resolveClientAddress(peer, c.req.header('x-forwarded-for'), trusted);
  };
}
