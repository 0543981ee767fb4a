import { inRange, parseAddress, range, type IpRange } from "./ip-address.js";

/**
 * Built-in host sets a rule can name (`host: "@metadata"`), so that a policy
 * does not have to know every cloud's magic address. A set is exact names,
 * name suffixes (`.localhost` = any name under it) and address ranges; the
 * README lists the contents and where each entry comes from.
 */
export interface HostSet {
  names: readonly string[];
  suffixes: readonly string[];
  ranges: readonly string[];
}

const METADATA: HostSet = {
  names: [
    "metadata.google.internal", // GCP
    "metadata", // GCP, the short name resolved on instances
    "metadata.goog", // GCP
    "instance-data", // AWS, resolves to the IMDS on EC2
    "instance-data.ec2.internal", // AWS
  ],
  suffixes: [],
  ranges: [
    "169.254.169.254/32", // AWS, GCP, Azure, OCI, OpenStack, DigitalOcean, Hetzner, ... instance metadata
    "fd00:ec2::254/128", // AWS IMDS over IPv6 (Nitro)
    "169.254.170.2/32", // AWS ECS task metadata and credentials
    "169.254.170.23/32", // AWS EKS Pod Identity agent
    "fd00:ec2::23/128", // AWS EKS Pod Identity agent over IPv6
    "169.254.169.253/32", // AWS Route 53 Resolver (VPC DNS)
    "fd00:ec2::253/128", // AWS VPC DNS over IPv6
    "169.254.169.123/32", // AWS Time Sync
    "fd00:ec2::123/128", // AWS Time Sync over IPv6
    "fd20:ce::254/128", // GCP metadata over IPv6
    "100.100.100.200/32", // Alibaba Cloud metadata
    "168.63.129.16/32", // Azure WireServer (host agent, extension settings)
    "169.254.42.42/32", // Scaleway metadata
    "fd00:42::42/128", // Scaleway metadata over IPv6
  ],
};

const LOOPBACK: HostSet = {
  names: ["localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"],
  suffixes: ["localhost"], // RFC 6761: every name under .localhost is loopback
  ranges: [
    "127.0.0.0/8",
    "::1/128",
    "0.0.0.0/32", // connecting to 0.0.0.0 reaches this machine on Linux and macOS
    "::/128", // so does ::
  ],
};

// Every address that is not a globally reachable unicast address (IANA IPv4 and
// IPv6 special-purpose registries), plus the loopback names.
const PRIVATE: HostSet = {
  names: LOOPBACK.names,
  suffixes: LOOPBACK.suffixes,
  ranges: [
    "0.0.0.0/8", // "this network"
    "10.0.0.0/8", // RFC 1918
    "100.64.0.0/10", // carrier-grade NAT (RFC 6598), also Alibaba's metadata
    "127.0.0.0/8", // loopback
    "169.254.0.0/16", // link-local, every cloud's metadata
    "172.16.0.0/12", // RFC 1918
    "192.0.0.0/24", // IETF protocol assignments (incl. 192.0.0.192, Oracle's legacy metadata)
    "192.0.2.0/24", // TEST-NET-1
    "192.88.99.0/24", // 6to4 relay anycast
    "192.168.0.0/16", // RFC 1918
    "198.18.0.0/15", // benchmarking
    "198.51.100.0/24", // TEST-NET-2
    "203.0.113.0/24", // TEST-NET-3
    "224.0.0.0/4", // multicast
    "240.0.0.0/4", // reserved, and 255.255.255.255 broadcast
    "::/128", // unspecified
    "::1/128", // loopback
    "100::/64", // discard-only
    "2001:db8::/32", // documentation
    "3fff::/20", // documentation (RFC 9637)
    "5f00::/16", // SRv6 SIDs (RFC 9602)
    "fc00::/7", // unique local, incl. fd00:ec2::254 and fd20:ce::254
    "fe80::/10", // link-local
    "fec0::/10", // site-local (deprecated, still routed by some networks)
    "ff00::/8", // multicast
  ],
};

const SETS: Record<string, HostSet> = { metadata: METADATA, loopback: LOOPBACK, private: PRIVATE };

export const HOST_SET_NAMES = Object.keys(SETS).map((k) => "@" + k);

export function hostSet(name: string): HostSet | undefined {
  return Object.hasOwn(SETS, name) ? SETS[name] : undefined;
}

/** A membership test for a set, over canonical hosts (see host-name.ts). */
export function hostSetTest(set: HostSet): (host: string) => boolean {
  const names = new Set(set.names);
  const suffixes = set.suffixes.map((s) => "." + s);
  const ranges: IpRange[] = set.ranges.map(range);
  return (host) => {
    if (names.has(host)) return true;
    for (const s of suffixes) if (host.endsWith(s)) return true;
    if (ranges.length === 0) return false;
    const a = parseAddress(host);
    if (!a) return false;
    for (const r of ranges) if (inRange(a, r)) return true;
    return false;
  };
}
