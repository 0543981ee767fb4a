import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { normalizeUrl } from "../src/request/normalize-url.js";
import { curlHosts, goHost, pythonReadings, type Reading } from "./network-readers.js";

/**
 * Differential test: for every URL the engine accepts (not uncertain, not
 * invalid), curl, Python's urllib and Go's net/url (its rules, see
 * network-readers.ts) must connect to the host the engine decided on, or refuse
 * the URL. A reader that connects elsewhere is a bypass. One curl and one Python
 * process serve all URLs, so the run takes a few seconds.
 */

// Pieces attackers combine: userinfo and `@`, `\`, percent-encoding, brackets,
// zone ids, odd ports, IPv4 spellings, IDN, trailing dots, delimiters.
const hostPiece = fc.constantFrom(
  "api.openai.com",
  "API.OpenAI.com.",
  "evil.com",
  "127.0.0.1",
  "169.254.169.254",
  "0xa9fea9fe",
  "2852039166",
  "0251.0376.0251.0376",
  "169.254.43518",
  "1.2.3",
  "0x7f.1",
  "1.2.3.4.",
  "0x.1.2.3",
  "08.1.1.1",
  "[::1]",
  "[::ffff:169.254.169.254]",
  "[::ffff:a9fe:a9fe]",
  "[fd00:ec2::254]",
  "[fd00:ec2:0::254]",
  "[fe80::1%25eth0]",
  "[fe80::1%eth0]",
  "[64:ff9b::a9fe:a9fe]",
  "[2002:a9fe:a9fe::1]",
  "bücher.example",
  "BÜCHER.example",
  "faß.de",
  "xn--bcher-kva.example",
  "ｅｘａｍｐｌｅ．com",
  "exa\u200dmple.com",
  "a_b.internal",
  "%31%36%39.254.169.254",
  "api%2Eopenai%2Ecom",
  "localhost",
  "x.localhost",
  "metadata.google.internal",
  "[::1]x",
  "",
);
const userPiece = fc.constantFrom("", "user@", "user:pass@", "api.openai.com@", "a@b@", "%40@", "u%3Ap@", "[::1]@", "a:b:c@", "evil.com\\@", "@");
const portPiece = fc.constantFrom("", ":80", ":443", ":8080", ":0", ":0080", ":", ":65535", ":65536", ":80:80", ":+80", ": 80");
const schemePiece = fc.constantFrom("http://", "https://", "HTTP://", "http:/", "http:", "http:///", "http:\\\\", "ws://", "ftp://");
const tailPiece = fc.constantFrom(
  "/",
  "",
  "/latest/meta-data/",
  "?@evil.com",
  "#@evil.com",
  "/\\@evil.com",
  "/a b",
  "/%2e%2e/x",
  "\\@127.0.0.1:9/",
  "@127.0.0.1/",
  "\t",
  "/x\ny",
  "/ü",
);
const glitch = fc.constantFrom("", "\t", "\n", "\r", " ", "\u0000", "\u00a0", "\u202e", "\\", "@", "%", "#", "?", "[", "]");

// Mostly plausible URLs, one odd piece at a time, so both sides of the line get exercised.
const often = <T>(plain: T, odd: fc.Arbitrary<T>) => fc.oneof({ arbitrary: fc.constant(plain), weight: 3 }, { arbitrary: odd, weight: 1 });
const url = fc
  .tuple(often("http://", schemePiece), often("", userPiece), hostPiece, often("", portPiece), often("/", tailPiece), often("", glitch), fc.nat({ max: 40 }))
  .map(([scheme, user, host, port, tail, g, at]) => {
    const u = scheme + user + host + port + tail;
    const i = Math.min(at, u.length);
    return u.slice(0, i) + g + u.slice(i);
  });

const TABLE = [
  "http://api.openai.com\\@127.0.0.1:9/",
  "https://evil.com\\@api.openai.com/",
  "http://[fd00:ec2::254]/latest/meta-data/",
  "http://user:pass@169.254.169.254/",
  "https://api.openai.com@evil.com/",
  "https://evil.com#@api.openai.com",
  "https://evil.com?@api.openai.com",
  "http://[fe80::1%25eth0]:8080/",
  "http://0xa9fea9fe/",
  "http://bücher.example/",
  "http://faß.de/",
  "http://a@b@c/",
  "http:evil.com/",
  "http:/evil.com/",
  "http://example.com:/",
];

const SAMPLES = [...TABLE, ...fc.sample(url, { numRuns: 400, seed: 20251201 })];

interface Row {
  url: string;
  engine: { host: string; port: number } | { refused: string };
  curl: Reading;
  python: Reading;
  go: Reading;
}

let rows: Row[] = [];

beforeAll(async () => {
  const curl = await curlHosts(SAMPLES);
  const go = SAMPLES.map(goHost);
  const extra = [...curl.map((c) => c.host ?? ""), ...go.map((g) => g.host ?? "")];
  const py = pythonReadings(SAMPLES, extra);
  rows = SAMPLES.map((u, i) => {
    const e = normalizeUrl(u);
    const c = curl[i]!;
    const g = go[i]!;
    return {
      url: u,
      engine: e.ok ? { host: e.target.host, port: e.target.port } : { refused: e.reason },
      curl: c.host !== undefined ? { host: py.normalized[i] ?? undefined, port: c.port } : { error: c.error },
      go: g.host !== undefined ? { host: py.normalized[SAMPLES.length + i] ?? undefined } : { error: g.error },
      python: py.python[i]!,
    };
  });
}, 120_000);

describe("URLs the engine accepts are read the same by curl, Python and Go", () => {
  it("generates a mix of accepted and refused URLs (the test is not vacuous)", () => {
    const accepted = rows.filter((r) => "host" in r.engine).length;
    expect(accepted).toBeGreaterThan(40);
    expect(rows.length - accepted).toBeGreaterThan(40);
  });

  for (const reader of ["curl", "python", "go"] as const) {
    it(`${reader} connects to the engine's host (or refuses the URL)`, () => {
      const disagreements = rows
        .filter(
          (r) =>
            "host" in r.engine &&
            r[reader].host !== undefined &&
            (r[reader].host !== r.engine.host || (r[reader].port != null && r[reader].port !== r.engine.port)),
        )
        .map((r) => ({ url: r.url, engine: r.engine, [reader]: r[reader] }));
      expect(disagreements).toEqual([]);
    });
  }

  it("curl and Python accept most URLs the engine accepts (agreement is not by refusal)", () => {
    const accepted = rows.filter((r) => "host" in r.engine);
    const curlRefused = accepted.filter((r) => r.curl.host === undefined).map((r) => r.url);
    const pyRefused = accepted.filter((r) => r.python.host == null).map((r) => r.url);
    expect(curlRefused.length).toBeLessThan(accepted.length / 10);
    expect(pyRefused.length).toBeLessThan(accepted.length / 10);
  });

  it("the issue's backslash URL is uncertain, though WHATWG alone would say api.openai.com", () => {
    const r = rows.find((x) => x.url === "http://api.openai.com\\@127.0.0.1:9/")!;
    expect(r.engine).toMatchObject({ refused: expect.stringMatching(/^uncertain: /) });
    expect(r.curl.host).toBe("127.0.0.1");
    expect(r.python.host).toBe("127.0.0.1");
    expect(new URL(r.url).hostname).toBe("api.openai.com");
  });
});
