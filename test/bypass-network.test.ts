import fc from "fast-check";
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

// A request by `host` (no `url`) connects to that host and port and may carry any URL
// there, so `url` rules see it as every URL `scheme://host[:port]/...`: a url deny on
// some path denies it, a url allow must cover every path (request/host-form-url.ts).
const urlPolicy = `
version: 1
defaultAction: deny
rules:
  - id: no-secret-org
    action: network.request
    effect: deny
    url: "https://api.github.com/repos/secret-org/**"
  - id: no-imds-url
    action: network.request
    effect: deny
    url: "https://169.254.169.254/latest/**"
  - id: no-root-eq
    action: network.request
    effect: deny
    url: { eq: "https://eq.example.com/" }
  - id: approve-admin
    action: network.request
    effect: require_approval
    url: "https://ops.example.com/admin*"
  - id: no-host-form-here
    action: network.request
    effect: deny
    host: strict.example.com
    url: { exists: false }
  - id: only-public-path
    action: network.request
    effect: allow
    url: "https://docs.example.com/public/**"
  - id: whole-host
    action: network.request
    effect: allow
    url: "https://wide.example.com/**"
  - id: whole-host-prefix
    action: network.request
    effect: allow
    url: { startsWith: "https://prefix.example.com/" }
  - id: all-but-admin
    action: network.request
    effect: allow
    host: partial.example.com
    not: { url: "https://partial.example.com/admin/**" }
  - id: hosts
    action: network.request
    effect: allow
    host: [api.github.com, ops.example.com, eq.example.com, strict.example.com, "64:ff9b::a9fe:a9fe", 169.254.169.254]
`;

describe("a host-form request is every URL on its host", async () => {
  const e = await engineFromText(urlPolicy);
  it.each([
    // [what the attacker tries, request, decision, rule]
    ["host form steps around a url deny", { host: "api.github.com" }, "deny", "no-secret-org"],
    ["host form in another spelling", { host: "API.GitHub.COM." }, "deny", "no-secret-org"],
    ["host form with the default port and scheme written out", { host: "api.github.com", port: 443, scheme: "HTTPS" }, "deny", "no-secret-org"],
    ["host form of a NAT64 address embedding a url-denied IPv4 host", { host: "64:ff9b::a9fe:a9fe" }, "deny", "no-imds-url"],
    ["host form against an `eq` on the root URL", { host: "eq.example.com" }, "deny", "no-root-eq"],
    ["host form against a require_approval url", { host: "ops.example.com" }, "require_approval", "approve-admin"],
    ["host form where the policy denies host-form requests (url exists: false)", { host: "strict.example.com" }, "deny", "no-host-form-here"],
    ["host form allowed by a url allow on one path only", { host: "docs.example.com" }, "deny", null],
    ["host form under `not: url`, which some URL fails", { host: "partial.example.com" }, "deny", null],
    ["host form where a url allow covers every path", { host: "wide.example.com", scheme: "https" }, "allow", "whole-host"],
    ["host form where a url startsWith covers every path", { host: "prefix.example.com", scheme: "https" }, "allow", "whole-host-prefix"],
    ["host form without a scheme, which may speak plain http to the port", { host: "wide.example.com" }, "deny", null],
    ["host form without a scheme on port 80 under an https-only allow", { host: "wide.example.com", port: 80 }, "deny", null],
    ["websocket handshake under an https url allow only", { url: "wss://wide.example.com/x" }, "deny", null],
    ["websocket host form under an https url allow only", { host: "wide.example.com", scheme: "wss" }, "deny", null],
    ["host form on another port than the url allow names", { host: "wide.example.com", port: 8443 }, "deny", null],
  ])("%s", (_attack, fields, decision, rule) => {
    expect(e.check({ action: "network.request", ...fields })).toMatchObject({ decision, rule });
  });

  it("the same URLs sent as `url` are decided path by path", () => {
    const at = (url: string) => e.check({ action: "network.request", url }).decision;
    expect(at("https://api.github.com/repos/other-org/x")).toBe("allow");
    expect(at("https://api.github.com/repos/secret-org/x")).toBe("deny");
    expect(at("https://docs.example.com/public/a")).toBe("allow");
    expect(at("https://strict.example.com/x")).toBe("allow");
    expect(at("https://partial.example.com/x")).toBe("allow");
  });

  it("url rules name a scheme and port: a host form on another one is not theirs, as a URL on it is not", () => {
    // `http://api.github.com/repos/secret-org/x` is not under `https://api.github.com/...` either
    expect(e.check({ action: "network.request", host: "api.github.com", port: 8443 })).toMatchObject({ decision: "allow", rule: "hosts" });
    expect(e.check({ action: "network.request", url: "https://api.github.com:8443/repos/secret-org/x" })).toMatchObject({ decision: "allow", rule: "hosts" });
  });

  it("the reason says why a host form is denied and what to send instead", () => {
    expect(e.check({ action: "network.request", host: "api.github.com", scheme: "https" }).reason).toBe(
      "rule no-secret-org (deny): some URL under `https://api.github.com/` could match it (a request by `host` names no path: it may carry any URL there; send `url` to have the path checked)",
    );
    expect(e.check({ action: "network.request", host: "docs.example.com", scheme: "https" }).reason).toMatch(
      /^no rule matches every URL under `https:\/\/docs\.example\.com\/` .*send `url`.*; the policy default is deny$/,
    );
  });

  it("host rules decide host forms as before", async () => {
    const hostOnly = await engineFromText(policy);
    expect(hostOnly.check({ action: "network.request", host: "api.openai.com" })).toMatchObject({ decision: "allow", rule: "openai" });
    expect(hostOnly.check({ action: "network.request", host: "169.254.169.254" })).toMatchObject({ decision: "deny", rule: "metadata" });
  });

  // Any URL on the host is one of the URLs the host form stands for: the host form's
  // decision is never more permissive than the decision for that URL sent as `url`.
  it("a host form is never allowed where some URL on the host is not (property)", () => {
    const SEVERITY = { allow: 0, require_approval: 1, deny: 2 } as const;
    const hosts = [
      "api.github.com",
      "ops.example.com",
      "docs.example.com",
      "wide.example.com",
      "prefix.example.com",
      "partial.example.com",
      "eq.example.com",
      "strict.example.com",
    ];
    const segment = fc.constantFrom("repos", "secret-org", "public", "admin", "adminx", "x", "", "latest");
    fc.assert(
      fc.property(fc.constantFrom(...hosts), fc.array(segment, { maxLength: 4 }), (host, segs) => {
        const byHost = e.check({ action: "network.request", host }).decision;
        const byUrl = e.check({ action: "network.request", url: `https://${host}/${segs.join("/")}` }).decision;
        expect(SEVERITY[byHost]).toBeGreaterThanOrEqual(SEVERITY[byUrl]);
      }),
      { numRuns: 400 },
    );
  });
});
