/**
 * Which IP addresses a fetch must never reach unless their host was explicitly allowed:
 * loopback, private (RFC 1918 / ULA), link-local (incl. cloud metadata 169.254.169.254),
 * carrier-grade NAT, multicast, documentation and other special-purpose ranges (IANA
 * special-purpose registries, RFC 6890).
 */
import { BlockList, isIP } from 'node:net';

const v4Special = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8], // "this" network
  ['10.0.0.0', 8], // private
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8], // loopback
  ['169.254.0.0', 16], // link-local, cloud metadata
  ['172.16.0.0', 12], // private
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.0.2.0', 24], // TEST-NET-1
  ['192.88.99.0', 24], // 6to4 relay anycast
  ['192.168.0.0', 16], // private
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24], // TEST-NET-2
  ['203.0.113.0', 24], // TEST-NET-3
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, broadcast
] as const) {
  v4Special.addSubnet(net, bits, 'ipv4');
}

const v6Special = new BlockList();
for (const [net, bits] of [
  ['::', 128], // unspecified
  ['::1', 128], // loopback
  ['100::', 64], // discard-only
  ['2001:db8::', 32], // documentation
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link-local
  ['fec0::', 10], // site-local (deprecated)
  ['ff00::', 8], // multicast
] as const) {
  v6Special.addSubnet(net, bits, 'ipv6');
}

/** The IPv4 address embedded in an IPv4-mapped (`::ffff:a.b.c.d`) or NAT64 (`64:ff9b::a.b.c.d`) address. */
function embeddedV4(ip: string): string | null {
  const m = /^(?:::ffff:|64:ff9b::)(?:0:)?((?:\d{1,3}\.){3}\d{1,3})$/i.exec(ip);
  if (m) return m[1]!;
  const hex = /^(?:::ffff:|64:ff9b::)([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(ip);
  if (!hex) return null;
  const hi = parseInt(hex[1]!, 16);
  const lo = parseInt(hex[2]!, 16);
  return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
}

/**
 * True when `ip` (IPv4 or IPv6 literal, brackets allowed) is not a public unicast address.
 * Anything that does not parse as an IP counts as special (fail closed).
 */
export function isSpecialAddress(ip: string): boolean {
  const a = ip.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  const family = isIP(a);
  if (family === 4) return v4Special.check(a, 'ipv4');
  if (family !== 6) return true;
  const v4 = embeddedV4(a);
  if (v4) return isSpecialAddress(v4);
  return v6Special.check(a, 'ipv6');
}
