import type { IpAddress } from "./ip-address.js";

/**
 * The IPv4 hosts an IPv6 address carries inside it. A packet to such an address
 * can end up at that IPv4 host (a NAT64 gateway, a 6to4 relay, a Teredo relay,
 * a stack that still routes IPv4-compatible addresses), so the request is also
 * checked as a request to each of them. IPv4-mapped addresses (::ffff:0:0/96)
 * are not listed: they *are* the IPv4 address and are written as one already.
 */
export interface Embedding {
  ipv4: string;
  /** which convention put it there, for reasons and docs */
  via: "ipv4-compatible" | "ipv4-translated" | "nat64" | "nat64-local" | "6to4" | "teredo";
}

export function embeddedIPv4(a: IpAddress): Embedding[] {
  const b = a.toByteArray();
  const p = a.parts;
  const out: Embedding[] = [];
  const add = (via: Embedding["via"], bytes: number[]) => {
    const ipv4 = bytes.join(".");
    if (!out.some((e) => e.ipv4 === ipv4)) out.push({ ipv4, via });
  };
  const zero = (from: number, to: number) => b.slice(from, to).every((x) => x === 0);
  // ::a.b.c.d (RFC 4291, deprecated); `::` and `::1` are not IPv4 addresses.
  if (zero(0, 12) && !zero(12, 15)) add("ipv4-compatible", b.slice(12));
  // ::ffff:0:a.b.c.d (RFC 6145/2765 IPv4-translated)
  if (zero(0, 8) && p[4] === 0xffff && p[5] === 0) add("ipv4-translated", b.slice(12));
  // 64:ff9b::/96, the well-known NAT64 prefix (RFC 6052), used with /96 only
  if (p[0] === 0x64 && p[1] === 0xff9b && zero(4, 12)) add("nat64", b.slice(12));
  // 64:ff9b:1::/48 (RFC 8215): the operator picks a prefix of /48 to /96 inside
  // it, which we cannot know, so every RFC 6052 position that fits is a candidate.
  if (p[0] === 0x64 && p[1] === 0xff9b && p[2] === 1) {
    add("nat64-local", b.slice(12)); // /96
    if (b[8] === 0) {
      add("nat64-local", [b[6]!, b[7]!, b[9]!, b[10]!]); // /48
      add("nat64-local", [b[7]!, b[9]!, b[10]!, b[11]!]); // /56
      add("nat64-local", [b[9]!, b[10]!, b[11]!, b[12]!]); // /64
    }
  }
  // 2002:AABB:CCDD::/48, 6to4 (RFC 3056)
  if (p[0] === 0x2002) add("6to4", b.slice(2, 6));
  // 2001:0::/32, Teredo (RFC 4380): the client's address, bit-inverted, in the last 32 bits
  if (p[0] === 0x2001 && p[1] === 0)
    add(
      "teredo",
      b.slice(12).map((x) => x ^ 0xff),
    );
  return out;
}
