import { describe, expect, it } from "vitest";
import { normalizeHost, normalizeUrl } from "../src/index.js";
import { engineFromText } from "./helpers.js";

const policy = `
version: 1
defaultAction: deny
rules:
  - id: metadata
    action: network.request
    host: 169.254.169.254
    effect: deny
  - id: openai
    action: network.request
    host: api.openai.com
    effect: allow
  - id: internal
    action: network.request
    host: "*.internal"
    effect: allow
  - id: smtp
    action: network.request
    host: "smtp.*"
    effect: deny
  - id: link-local
    action: network.request
    host: 169.254.0.0/16
    effect: deny
  - id: idn
    action: network.request
    host: bücher.example
    effect: allow
  - id: any-other
    action: network.request
    host: "*"
    effect: require_approval
`;

describe("every IPv4 spelling of the metadata endpoint is the metadata endpoint", async () => {
  const e = await engineFromText(policy);
  it.each([
    "http://169.254.169.254/latest/meta-data/",
    "http://0xa9fea9fe/",
    "http://0xA9.0xFE.0xA9.0xFE/",
    "http://2852039166/",
    "http://0251.0376.0251.0376/",
    "http://169.254.43518/",
    "http://169.16689662/",
    "http://[::ffff:169.254.169.254]/",
    "http://[::ffff:a9fe:a9fe]/",
    "http://user:pass@169.254.169.254/",
    "http://169.254.169.254:80/",
  ])("%s", (url) => {
    expect(e.check({ action: "network.request", url })).toMatchObject({ decision: "deny", rule: "metadata" });
  });
  it.each(["0xa9fea9fe", "2852039166", "::ffff:169.254.169.254", "[::ffff:a9fe:a9fe]"])("bare host %s", (host) => {
    expect(e.check({ action: "network.request", host })).toMatchObject({ decision: "deny", rule: "metadata" });
  });
  // WHATWG reads these as 169.254.169.254; inet_aton does not, so curl, Python
  // and Go resolve them as DNS names: uncertain (still denied), naming the address.
  it.each([
    ["url", "http://169.254.169.254./"],
    ["url", "http://0x.1.2.3/"],
    ["url", "http://%31%36%39.254.169.254/"],
    ["host", "169.254.169.254."],
    ["host", "0x.1.2.3"],
  ])("%s %s is uncertain", (field, value) => {
    const d = e.check({ action: "network.request", [field]: value });
    expect(d).toMatchObject({ decision: "deny", error: "uncertain", field });
    expect(d.reason).toMatch(/^uncertain: /);
  });
  it("a CIDR rule covers the rest of the link-local block", () => {
    expect(e.check({ action: "network.request", url: "http://0xa9fe0001/" })).toMatchObject({ rule: "link-local" });
  });
});

describe("URL tricks do not move the host", async () => {
  const e = await engineFromText(policy);
  it.each([
    ["https://api.openai.com@evil.com/", "any-other"],
    ["https://api.openai.com:443@evil.com/v1", "any-other"],
    ["https://evil.com#@api.openai.com", "any-other"],
    ["https://evil.com?@api.openai.com", "any-other"],
    ["https://evil.com/https://api.openai.com/", "any-other"],
    ["https://API.OPENAI.COM./v1", "openai"],
    ["https://api.openai.com/v1#frag", "openai"],
  ])("%s → rule %s", (url, rule) => {
    expect(e.check({ action: "network.request", url }).rule).toBe(rule);
  });

  it.each([
    ["db.internal", "internal"],
    ["a.b.c.internal", "internal"],
    ["internal", "any-other"],
    ["evilinternal", "any-other"],
    ["internal.evil.com", "any-other"],
    ["smtp.gmail.com", "smtp"],
    ["smtp.a.b", "smtp"],
    ["smtpx.gmail.com", "any-other"],
    ["xn--bcher-kva.example", "idn"],
    ["BÜCHER.example", "idn"],
  ])("host %s → rule %s", (host, rule) => {
    expect(e.check({ action: "network.request", host }).rule).toBe(rule);
  });

  it.each([
    [{ url: "javascript:alert(1)" }, /scheme/],
    [{ url: "file:///etc/passwd" }, /scheme/],
    [{ url: "/relative/path" }, /absolute URL/],
    [{ host: "evil.com/x" }, /cannot have/],
    [{ host: "api.openai.com:443" }, /port/],
    [{ host: "[::1]:80" }, /port/],
    [{ host: "[::1]:8080" }, /port/],
    [{ host: "a@b" }, /cannot have/],
    [{ host: "" }, /empty/],
    [{ url: "https://api.openai.com/", host: "evil.com" }, /disagree/],
    [{ url: "https://api.openai.com/", port: 8443 }, /disagree/],
    [{ host: "api.openai.com", method: "GET /" }, /not an HTTP method/],
    [{ host: "api.openai.com", port: 0 }, /port/],
    [{}, /needs `url` or `host`/],
  ])("refuses %j", (fields, reason) => {
    const d = e.check({ action: "network.request", ...fields });
    expect(d.decision).toBe("deny");
    expect(d.reason).toMatch(reason);
    expect(d.error).toBe("invalid_request");
  });
});

describe("host normalization", () => {
  it.each([
    ["Example.COM", "example.com"],
    ["example.com.", "example.com"],
    ["0x7f.1", "127.0.0.1"],
    ["017700000001", "127.0.0.1"],
    ["::1", "::1"],
    ["[::ffff:127.0.0.1]", "127.0.0.1"],
    ["64:ff9b::a9fe:a9fe", "64:ff9b::a9fe:a9fe"],
    ["[FD00:EC2:0:0:0:0:0:254]", "fd00:ec2::254"],
    ["fe80::1%eth0", "fe80::1"],
    ["[fe80::1%25eth0]", "fe80::1"],
    ["münchen.de", "xn--mnchen-3ya.de"],
  ])("%s → %s", (raw, want) => {
    expect(normalizeHost(raw)).toEqual({ ok: true, host: want });
  });

  it("is idempotent", () => {
    for (const h of ["Example.COM.", "0xa9fea9fe", "münchen.de", "[::ffff:a9fe:a9fe]"]) {
      const once = normalizeHost(h);
      expect(once.ok).toBe(true);
      if (once.ok) expect(normalizeHost(once.host)).toEqual(once);
    }
  });

  it("strips credentials and fragments from the URL it keeps", () => {
    const r = normalizeUrl("https://user:secret@Example.com:443/a?b=1#frag");
    expect(r).toEqual({ ok: true, target: { url: "https://example.com/a?b=1", scheme: "https", host: "example.com", port: 443 } });
  });
});
