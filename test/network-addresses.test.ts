import { describe, expect, it } from "vitest";
import { compileHostPattern } from "../src/match/host-pattern.js";
import { embeddedIPv4 } from "../src/net/embedded-ipv4.js";
import { parseAddress } from "../src/net/ip-address.js";
import { engineFromText, errorsOf } from "./helpers.js";

const check = (e: Awaited<ReturnType<typeof engineFromText>>, req: Record<string, unknown>) => e.check({ action: "network.request", ...req });

describe("bracketed IPv6 host patterns are addresses, not character classes (issue 11)", async () => {
  const e = await engineFromText(`
version: 1
defaultAction: deny
rules:
  - { id: aws-v6-metadata, action: network.request, host: "[fd00:ec2::254]", effect: deny }
  - { id: loopback-v6, action: network.request, host: "[::1]", effect: deny }
  - { id: rest, action: network.request, host: "*", effect: allow }
`);
  it.each([
    ["http://[fd00:ec2::254]/latest/meta-data/", "aws-v6-metadata"],
    ["http://[FD00:EC2::254]/latest/meta-data/", "aws-v6-metadata"],
    ["http://[fd00:ec2:0:0:0:0:0:254]/", "aws-v6-metadata"],
    ["http://[fd00:0ec2::0254]/", "aws-v6-metadata"],
    ["http://[fd00:ec2::254%25eth0]/", "aws-v6-metadata"],
    ["http://[fd00:ec2::254]:80/", "aws-v6-metadata"],
    ["http://[::1]/", "loopback-v6"],
    ["http://[0:0:0:0:0:0:0:1]/", "loopback-v6"],
    ["http://[::0:1]/", "loopback-v6"],
    ["http://[::1%25lo]:8080/", "loopback-v6"],
  ])("%s → %s", (url, rule) => {
    expect(check(e, { url })).toMatchObject({ decision: "deny", rule });
  });
  it.each([
    ["fd00:ec2::254", "aws-v6-metadata"],
    ["[fd00:ec2::254]", "aws-v6-metadata"],
    ["fd00:ec2::254%eth0", "aws-v6-metadata"],
    ["0::1", "loopback-v6"],
  ])("bare host %s → %s", (host, rule) => {
    expect(check(e, { host })).toMatchObject({ decision: "deny", rule });
  });
  it("the characters of the class do not match as hosts any more", () => {
    expect(check(e, { host: "f" })).toMatchObject({ decision: "allow", rule: "rest" });
    expect(check(e, { host: "1" })).toMatchObject({ decision: "allow", rule: "rest" }); // `1` is 0.0.0.1, not ::1
  });
});

describe("CIDR blocks of both families", async () => {
  const e = await engineFromText(`
version: 1
defaultAction: allow
rules:
  - { id: aws-v6, action: network.request, host: "fd00:ec2::/32", effect: deny }
  - { id: link-local-v6, action: network.request, host: "fe80::/10", effect: deny }
  - { id: loopback-v6, action: network.request, host: "::1/128", effect: deny }
  - { id: link-local, action: network.request, host: "169.254.0.0/16", effect: deny }
  - { id: ten, action: network.request, host: "[::ffff:10.0.0.0]/104", effect: deny }
  - { id: nat64, action: network.request, host: "64:ff9b::/96", effect: require_approval }
`);
  it.each([
    ["http://[fd00:ec2::1]/", "aws-v6"],
    ["http://[fd00:ec2:ffff:ffff::]/", "aws-v6"],
    ["http://[fe80::1%25eth0]/", "link-local-v6"],
    ["http://[febf::1]/", "link-local-v6"],
    ["http://[::1]/", "loopback-v6"],
    ["http://169.254.1.1/", "link-local"],
    ["http://[::ffff:169.254.1.1]/", "link-local"],
    ["http://10.9.8.7/", "ten"],
  ])("%s → %s", (url, rule) => {
    expect(check(e, { url })).toMatchObject({ decision: "deny", rule });
  });
  it.each(["http://[fd00:ec3::1]/", "http://[fec0::1]/", "http://[::2]/", "http://169.255.0.1/", "http://11.0.0.1/"])("%s is outside every block", (url) => {
    expect(check(e, { url })).toMatchObject({ decision: "allow", rule: null });
  });
});

describe("an IPv4 address inside IPv6 is that IPv4 host too: both forms must be allowed", async () => {
  const e = await engineFromText(`
version: 1
defaultAction: deny
rules:
  - { id: metadata, action: network.request, host: "169.254.169.254", effect: deny }
  - { id: nat64-prefix, action: network.request, host: "64:ff9b::/96", effect: require_approval }
  - { id: web, action: network.request, host: "8.8.8.8", effect: allow }
  - { id: v6, action: network.request, host: "2000::/3", effect: allow }
`);
  // 169.254.169.254 = a9fe:a9fe; its Teredo obfuscation is 5601:5601
  it.each([
    ["NAT64 well-known prefix", "http://[64:ff9b::a9fe:a9fe]/"],
    ["NAT64 with a dotted tail", "http://[64:ff9b::169.254.169.254]/"],
    ["local-use NAT64 /96", "http://[64:ff9b:1::a9fe:a9fe]/"],
    ["local-use NAT64 /64", "http://[64:ff9b:1:0:a9:fea9:fe00:0]/"],
    ["6to4", "http://[2002:a9fe:a9fe::1]/"],
    ["Teredo client", "http://[2001:0:4136:e378:8000:63bf:5601:5601]/"],
    ["IPv4-compatible", "http://[::a9fe:a9fe]/"],
    ["IPv4-translated", "http://[::ffff:0:a9fe:a9fe]/"],
    ["IPv4-mapped", "http://[::ffff:a9fe:a9fe]/"],
  ])("%s: %s is denied by the metadata rule", (_attack, url) => {
    expect(check(e, { url })).toMatchObject({ decision: "deny", rule: "metadata" });
  });
  it("a rule on the IPv6 form still sees it (the stricter of the two decides)", () => {
    expect(check(e, { url: "http://[64:ff9b::808:808]/" })).toMatchObject({ decision: "require_approval", rule: "nat64-prefix" });
    expect(check(e, { url: "http://[2002:808:808::1]/" })).toMatchObject({ decision: "allow" });
  });
  it("an allow of the IPv6 range does not cover the IPv4 host inside it", () => {
    // 2002:a00:1:: is 6to4 for 10.0.0.1, which no rule allows
    expect(check(e, { url: "http://[2002:a00:1::]/" })).toMatchObject({ decision: "deny", rule: null });
  });
  it.each([
    ["64:ff9b::a9fe:a9fe", ["169.254.169.254"]],
    ["2002:a9fe:a9fe::", ["169.254.169.254"]],
    ["2001:0:4136:e378:8000:63bf:5601:5601", ["169.254.169.254"]],
    ["::1", []],
    ["::", []],
    ["2001:db8::1", []],
  ])("embeddedIPv4(%s) = %j", (addr, want) => {
    expect(embeddedIPv4(parseAddress(addr)!).map((x) => x.ipv4)).toEqual(want);
  });
});

describe("built-in host sets", async () => {
  const e = await engineFromText(`
version: 1
defaultAction: allow
rules:
  - { id: metadata, action: network.request, host: "@metadata", effect: deny }
  - { id: loopback, action: network.request, host: "@loopback", effect: deny }
  - { id: private, action: network.request, host: "@private", effect: deny }
`);
  it.each([
    ["http://169.254.169.254/", "metadata"],
    ["http://[fd00:ec2::254]/", "metadata"],
    ["http://169.254.170.2/v2/credentials/x", "metadata"],
    ["http://169.254.170.23/v1/credentials", "metadata"],
    ["http://metadata.google.internal/computeMetadata/v1/", "metadata"],
    ["http://METADATA.google.internal./", "metadata"],
    ["http://metadata/computeMetadata/v1/", "metadata"],
    ["http://[fd20:ce::254]/", "metadata"],
    ["http://100.100.100.200/latest/meta-data/", "metadata"],
    ["http://168.63.129.16/machine", "metadata"],
    ["http://[64:ff9b::a9fe:a9fe]/", "metadata"],
    ["http://localhost:8080/", "loopback"],
    ["http://app.localhost/", "loopback"],
    ["http://127.1.2.3/", "loopback"],
    ["http://[::1]/", "loopback"],
    ["http://0.0.0.0:8080/", "loopback"],
    ["http://[::]/", "loopback"],
    ["http://[::ffff:127.0.0.1]/", "loopback"],
    ["http://10.0.0.1/", "private"],
    ["http://172.31.255.255/", "private"],
    ["http://192.168.1.1/", "private"],
    ["http://100.64.0.1/", "private"],
    ["http://169.254.1.1/", "private"],
    ["http://[fc00::1]/", "private"],
    ["http://[fe80::1%25en0]/", "private"],
    ["http://224.0.0.1/", "private"],
    ["http://[2002:a00:1::]/", "private"],
  ])("%s → %s", (url, rule) => {
    expect(check(e, { url })).toMatchObject({ decision: "deny", rule });
  });
  it.each([
    "http://8.8.8.8/",
    "http://[2606:4700::1111]/",
    "http://localhost.evil.com/",
    "http://metadata.google.internal.evil.com/",
    "http://172.32.0.1/",
    "http://evil-localhost/",
  ])("%s is in no set", (url) => {
    expect(check(e, { url })).toMatchObject({ decision: "allow", rule: null });
  });
});

describe("host pattern traps are refused at validation with file:line:col", () => {
  it.each([
    ["@metdata", /not a built-in host set.*@metadata/],
    ["10.0.0.0/33", /at most 32/],
    ["fd00:ec2::/129", /at most 128/],
    ["010.0.0.0/8", /without leading zeros/],
    ["10.1.2.3/8", /write 10\.0\.0\.0\/8/],
    ["fd00:ec2::1/32", /write fd00:ec2::\/32/],
    ["fd00:zz::/32", /not a CIDR block/],
    ["fd00:ec2:::/32", /not an IPv6 address/],
    ["evil.com/x", /not a CIDR block/],
    ["010.*", /decimal/],
    ["0x0a.*", /decimal/],
    ["fd00:*", /CIDR block/],
    ["[fd00:ec2::254", /./],
    ["api.%6fpenai.com", /percent-encoded/],
    ["ap*.bü*cher.example", /punycode/],
  ])("host: %s", (pattern, reason) => {
    const errors = errorsOf(`version: 1\nrules:\n  - id: r\n    action: network.request\n    host: "${pattern}"\n    effect: deny\n`, "policy.yaml");
    const err = errors.find((x) => x.line === 5)!;
    expect(err).toMatchObject({ file: "policy.yaml", line: 5, column: 11 });
    expect(err.message).toMatch(reason);
  });
  it.each([
    "[fd00:ec2::254]",
    "fd00:ec2::/32",
    "[fe80::]/10",
    "::1/128",
    "169.254.0.0/16",
    "@metadata",
    "@loopback",
    "@private",
    "*.bücher.example",
    "api-*.EXAMPLE.com.",
    "fe80::1%eth0",
  ])("host: %s is accepted", (pattern) => {
    expect(compileHostPattern(pattern).ok).toBe(true);
  });
  it.each([
    ["10.*", "10.1.2.3", true],
    ["10.*", "10.evil.com", false],
    ["192.168.*.*", "192.168.0.1", true],
    ["*.254", "169.254.169.254", true],
    ["*.254", "x.254.example", false],
  ])("address glob %s on %s: %s (canonical IPv4 text only, never a name)", (pattern, host, want) => {
    const m = compileHostPattern(pattern);
    expect(m.ok && m.matcher.test(host)).toBe(want);
  });
  it("hostname globs stay case-insensitive, trailing-dot and IDN aware", () => {
    const m = compileHostPattern("api-*.BÜCHER.example.");
    expect(m.ok && m.matcher.test("api-v1.xn--bcher-kva.example")).toBe(true);
  });
});

describe("the host form takes the schemes the url form takes (issue 11)", async () => {
  const e = await engineFromText(`
version: 1
defaultAction: allow
rules: []
`);
  it.each(["gopher", "file", "javascript", "data", "dict", "ldap"])("scheme %s is refused and names the field", (scheme) => {
    expect(check(e, { host: "example.com", scheme })).toMatchObject({ decision: "deny", error: "invalid_request", field: "scheme" });
    expect(check(e, { url: `${scheme}://example.com/` })).toMatchObject({ decision: "deny", error: "invalid_request", field: "url" });
  });
  it.each(["http", "HTTPS", "ws", "wss", "ftp"])("scheme %s is accepted in both forms", (scheme) => {
    expect(check(e, { host: "example.com", scheme })).toMatchObject({ decision: "allow" });
    expect(check(e, { url: `${scheme}://example.com/` })).toMatchObject({ decision: "allow" });
  });
});
