import { describe, expect, it } from "vitest";
import { loadBundle, makeBundle, type PolicyBundle } from "../src/engine/bundle.js";
import { createEngine } from "../src/engine/engine.js";
import { canonicalJson } from "../src/crypto/canonical-json.js";
import { sha256Hex } from "../src/crypto/sha256.js";
import { decisionView, policyDigest } from "../src/policy/digest.js";
import type { PolicyIR } from "../src/policy/ir.js";
import { parsePolicy, type PolicySource } from "../src/policy/parse-policy.js";

/**
 * The policy digest names what decides and what is audited, and nothing else:
 * file names, comments and key order do not change it; every field of the
 * normalized policy does. A bundle edited after `safeclaw build` in any such
 * field no longer hashes to its digest and is refused.
 */
const POLICY = `# the team's policy
version: 1
defaultAction: deny
cwd: /srv/app
audit:
  sink: file
  path: /data/audit.log
  onAuditFailure: deny
rules:
  - action: file.read
    path: "src/**"
    effect: allow
  - id: no-metadata
    action: network.request
    host: 169.254.169.254
    effect: deny
    reason: "Block instance metadata access"
    rateLimit: { maxRequests: 5, window: "1 minute" }
`;

function ir(sources: PolicySource[]): PolicyIR {
  const p = parsePolicy(sources);
  if (!p.ok) throw new Error(p.errors.map((e) => `${e.file}:${e.line}:${e.column} ${e.message}`).join("\n"));
  return p.ir;
}

const digestOf = (sources: PolicySource[]) => policyDigest(ir(sources));
const base = () => digestOf([{ name: "safeclaw.config.yaml", text: POLICY }]);

describe("the policy digest", () => {
  it.each<[string, PolicySource[]]>([
    ["renaming the file", [{ name: "policies/renamed.yaml", text: POLICY }]],
    ["comments and blank lines", [{ name: "safeclaw.config.yaml", text: POLICY.replace("# the team's policy\n", "\n# edited comment\n\n") }]],
    ["key order inside a rule", [{ name: "x.yaml", text: POLICY.replace('    path: "src/**"\n    effect: allow', '    effect: allow\n    path: "src/**"') }]],
    [
      "spellings of the same thing (file:read, decision:)",
      [{ name: "x.yaml", text: POLICY.replace("action: file.read", "action: file:read").replace("    effect: allow", "    decision: allow") }],
    ],
    [
      "the same policy embedded in a ConfigMap",
      [
        {
          name: "k8s/configmap.yaml",
          text: `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: p}\ndata:\n  safeclaw.policy.yaml: |\n${POLICY.replace(/^/gm, "    ")}`,
        },
      ],
    ],
  ])("does not change with %s", async (_what, sources) => {
    expect(await digestOf(sources)).toBe(await base());
  });

  it.each<[string, string, string]>([
    ["defaultAction", "defaultAction: deny", "defaultAction: allow"],
    ["cwd", "cwd: /srv/app", "cwd: /srv/other"],
    ["audit.onAuditFailure", "onAuditFailure: deny", "onAuditFailure: allow"],
    ["audit.path", "path: /data/audit.log", "path: /tmp/audit.log"],
    ["a rule's reason", '"Block instance metadata access"', '"edited"'],
    ["a rule's effect", "effect: deny", "effect: allow"],
    ["a rule's condition", '"src/**"', '"**"'],
    ["a rate limit", "maxRequests: 5", "maxRequests: 500"],
    ["an explicit id", "id: no-metadata", "id: other-name"],
    ["the order of the rules", "  - action: file.read", "  - action: file.read\n    path: /nothing/**\n    effect: deny\n  - action: file.read"],
  ])("changes with %s", async (_what, from, to) => {
    expect(POLICY).toContain(from);
    expect(await digestOf([{ name: "safeclaw.config.yaml", text: POLICY.replace(from, to) }])).not.toBe(await base());
  });
});

/** An edit to what a bundle decides, made the way anyone could: decode its policy, change it, encode it canonically again. */
const editPolicy = (edit: (ir: PolicyIR) => void) => (b: PolicyBundle) => {
  const decoded = JSON.parse(b.policy) as PolicyIR;
  edit(decoded);
  b.policy = canonicalJson(decoded);
};

describe("a policy bundle", () => {
  const bundle = async () =>
    JSON.parse(JSON.stringify(await makeBundle(ir([{ name: "safeclaw.config.yaml", text: POLICY }]), "2026-11-23T00:00:00.000Z"))) as PolicyBundle;

  it("loads as built, with the digest of its policy", async () => {
    const b = await bundle();
    const { policy } = await loadBundle(b);
    expect(policy.digest).toBe(await base());
    expect(b.digest).toBe(await base());
  });

  it("carries the digested bytes: the canonical JSON of the decision view", async () => {
    const b = await bundle();
    const built = ir([{ name: "safeclaw.config.yaml", text: POLICY }]);
    expect(b.policy).toBe(canonicalJson(decisionView(built)));
    expect("sha256:" + (await sha256Hex(b.policy))).toBe(b.digest);
  });

  it("loads to the same policy the files give, source positions included", async () => {
    const { policy } = await loadBundle(await bundle());
    expect(policy.ir).toEqual(ir([{ name: "safeclaw.config.yaml", text: POLICY }]));
  });

  it("is refused when its policy is re-encoded other than as built (the digest covers the bytes)", async () => {
    const b = await bundle();
    b.policy = JSON.stringify(JSON.parse(b.policy), null, 1);
    await expect(loadBundle(b)).rejects.toThrow(/digest mismatch.*rebuild it/);
  });

  // Rules compile on first use. Validation refuses what cannot compile, so only a bundle edited by
  // hand and re-digested can carry such an operand: a decision that reaches it is a deny, never an allow.
  it.each<[string, unknown]>([
    ["a path glob", { op: "glob", pattern: "/app/+(a|b)" }],
    ["a regex", { op: "matches", regex: "(" }],
  ])("denies, never allows, a request that reaches a re-digested rule whose %s cannot compile", async (_what, test) => {
    const b = await bundle();
    const decoded = JSON.parse(b.policy) as PolicyIR;
    decoded.rules.unshift({ id: "broken", actions: ["file.read"], effect: "deny", when: [{ kind: "field", field: "path", test }] } as never);
    b.policy = canonicalJson(decoded);
    b.digest = "sha256:" + (await sha256Hex(b.policy));
    const engine = createEngine((await loadBundle(b)).policy);
    // `src/**` under cwd /srv/app is allowed by the next rule; the broken rule comes first.
    expect(engine.check({ action: "file.read", path: "/srv/app/src/a.ts" })).toMatchObject({ decision: "deny", error: "internal_error" });
    // A request the broken rule's action does not cover is decided as before.
    expect(engine.check({ action: "network.request", host: "169.254.169.254" })).toMatchObject({ decision: "deny", rule: "no-metadata" });
  });

  // Each edit an attacker (or a careless hand) could make to a built bundle to change what it decides or records.
  it.each<[string, (b: PolicyBundle) => void]>([
    ["audit.onAuditFailure flipped to allow (a failing audit sink no longer denies)", editPolicy((p) => (p.audit!.onAuditFailure = "allow"))],
    ["the audit sink moved to stdout", editPolicy((p) => (p.audit!.sink = "stdout"))],
    ["the audit block removed", editPolicy((p) => delete p.audit)],
    ["cwd moved (relative path patterns now match elsewhere)", editPolicy((p) => (p.cwd = "/"))],
    ["a rule's reason rewritten", editPolicy((p) => (p.rules[1]!.reason = "nothing to see"))],
    ["defaultAction flipped to allow", editPolicy((p) => (p.defaultAction = "allow"))],
    ["a rule's effect flipped", editPolicy((p) => (p.rules[1]!.effect = "allow"))],
    ["a rule dropped", editPolicy((p) => p.rules.splice(1, 1))],
    ["a rule's id renamed (the audit trail would name another rule)", editPolicy((p) => (p.rules[1]!.id = "innocent"))],
    ["a field the validator never writes, added to a rule", editPolicy((p) => Object.assign(p.rules[0]!, { extra: true }))],
  ])("is refused when edited: %s", async (_what, edit) => {
    const b = await bundle();
    edit(b);
    await expect(loadBundle(b)).rejects.toThrow(/digest mismatch.*rebuild it/);
  });

  it.each<[string, (b: PolicyBundle) => void]>([
    ["builtAt", (b) => (b.builtAt = "2030-01-01T00:00:00.000Z")],
    ["the source file names", (b) => ((b.sources = ["elsewhere.yaml"]), (b.files = ["elsewhere.yaml"]))],
    ["source positions", (b) => (b.positions[0] = [0, 99, 1])],
    ["source positions removed", (b) => ((b.positions = []), (b.files = []))],
  ])("still loads when only informational fields change: %s", async (_what, edit) => {
    const b = await bundle();
    edit(b);
    expect((await loadBundle(b)).policy.digest).toBe(b.digest);
  });

  it.each([
    ["1 (its digest did not cover audit:)", "safeclaw-policy-bundle/1"],
    ["2 (the policy as an object tree)", "safeclaw-policy-bundle/2"],
  ])("refuses a bundle of format %s and says to rebuild it", async (_what, format) => {
    const b = { ...(await bundle()), format };
    await expect(loadBundle(b)).rejects.toThrow(/built by an older safeclaw; rebuild it with `safeclaw build`/);
  });

  it.each([
    null,
    42,
    {},
    { format: "safeclaw-policy-bundle/3", digest: "sha256:x", policy: { rules: [] } },
    { format: "safeclaw-policy-bundle/3", digest: "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a", policy: "{}" },
  ])("refuses what is not a bundle: %j", async (b) => {
    await expect(loadBundle(b)).rejects.toThrow(/not a safeclaw-policy-bundle\/3 policy bundle/);
  });
});
