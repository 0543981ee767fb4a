import ipaddr from "ipaddr.js";

/**
 * One address space for both families, as a dual-stack socket sees it: an IPv4
 * address a.b.c.d is the IPv6 address ::ffff:a.b.c.d, so one range test covers
 * both and `::ffff:10.0.0.0/104` is `10.0.0.0/8`. Text is read here only after
 * the WHATWG host parser has canonicalized it (see host-name.ts), so the lenient
 * spellings ipaddr.js also accepts never reach it from a request.
 */
export type IpAddress = ipaddr.IPv6;

export interface IpRange {
  base: IpAddress;
  /** prefix length in the 128-bit space (an IPv4 /8 is /104) */
  bits: number;
  /** as written canonically, for messages: `10.0.0.0/8`, `fd00:ec2::/32` */
  text: string;
}

const DOTTED_QUAD = /^(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** The address of a canonical host (`10.0.0.1`, `fd00:ec2::254`), or undefined for a name. */
export function parseAddress(host: string): IpAddress | undefined {
  if (DOTTED_QUAD.test(host)) return ipaddr.IPv4.parse(host).toIPv4MappedAddress();
  if (!host.includes(":") || !ipaddr.IPv6.isValid(host)) return undefined;
  const a = ipaddr.IPv6.parse(host);
  delete a.zoneId;
  return a;
}

/** The canonical text of an address: dotted quad for IPv4 (and IPv4-mapped), RFC 5952 otherwise. */
export function formatAddress(a: IpAddress): string {
  return a.isIPv4MappedAddress() ? a.toIPv4Address().toString() : a.toRFC5952String();
}

export function inRange(a: IpAddress, r: IpRange): boolean {
  return a.match(r.base, r.bits);
}

export type RangeResult = { ok: true; range: IpRange } | { ok: false; reason: string };

/**
 * `10.0.0.0/8`, `fd00:ec2::/32`, `[fe80::]/10`. The base must be written in its
 * plain form with no host bits set: `010.0.0.0/8` (octal 8) or `10.1.2.3/8` are
 * refused with the block they would mean, since a typo in a range is a hole.
 */
export function parseRange(text: string): RangeResult {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([0-9A-Fa-f:.]+))\/(\d{1,3})$/.exec(text);
  if (!m) return { ok: false, reason: `\`${text}\` is not a CIDR block (write e.g. 10.0.0.0/8 or fd00:ec2::/32)` };
  const baseText = m[1] ?? m[2]!;
  const bits = Number(m[3]);
  const v4 = !baseText.includes(":");
  if (v4 && m[1] !== undefined) return { ok: false, reason: `\`${text}\`: only IPv6 addresses are bracketed` };
  if (v4) {
    if (!DOTTED_QUAD.test(baseText))
      return { ok: false, reason: `\`${text}\`: the base of an IPv4 CIDR block is four decimal numbers 0-255 without leading zeros` };
    if (bits > 32) return { ok: false, reason: `\`${text}\`: an IPv4 prefix length is at most 32` };
  } else {
    if (!ipaddr.IPv6.isValid(baseText)) return { ok: false, reason: `\`${text}\`: \`${baseText}\` is not an IPv6 address` };
    if (bits > 128) return { ok: false, reason: `\`${text}\`: an IPv6 prefix length is at most 128` };
  }
  const base = v4 ? ipaddr.IPv4.parse(baseText).toIPv4MappedAddress() : ipaddr.IPv6.parse(baseText);
  const bits128 = v4 ? bits + 96 : bits;
  const network = ipaddr.IPv6.networkAddressFromCIDR(`${base.toString()}/${bits128}`);
  const canonical = v4 ? `${network.toIPv4Address().toString()}/${bits}` : `${network.toRFC5952String()}/${bits}`;
  if (network.toString() !== base.toString()) return { ok: false, reason: `\`${text}\` has bits set after the prefix; write ${canonical}` };
  return { ok: true, range: { base: network, bits: bits128, text: canonical } };
}

/** Parses a range known to be valid (the built-in tables). */
export function range(text: string): IpRange {
  const r = parseRange(text);
  if (!r.ok) throw new Error(r.reason);
  return r.range;
}
