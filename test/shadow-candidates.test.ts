import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { loadPolicy } from "../src/engine/load-policy.js";
import { findShadowing } from "../src/engine/shadowing.js";

/**
 * The shadowing analysis finds the earlier rules to compare with a later one
 * through their literal keys (engine/shadow-candidates.ts) instead of a scan
 * of every earlier rule. It must find exactly what the scan finds: generated
 * policies whose keys meet in every way keys can (a host and its suffix, a
 * suffix under another, a label, a path under another, equal env keys and
 * command words, unkeyed patterns, lists, `any:` branches).
 */
const HOSTS = ["a.example.com", "b.example.com", "example.com", "*.example.com", "*.com", "*.b.example.com", "smtp.*", "a.*", "*", "x.org"];
const PATHS = ["/srv/**", "/srv/app/**", "/srv/app/x.txt", "/srv", "/etc/**", "**/.env", "/srv/*/y", "/", "/srv/app/{a,b}/**"];
const KEYS = ["AWS_SECRET", "AWS_*", "HOME", "*"];
const COMMANDS = ["git push*", "git *", "git", "rm -rf*", "*", "ls *"];

const condition = fc.oneof(
  fc.record({ action: fc.constant("network.request"), field: fc.constant("host"), values: fc.subarray(HOSTS, { minLength: 1, maxLength: 2 }) }),
  fc.record({ action: fc.constant("file.read"), field: fc.constant("path"), values: fc.subarray(PATHS, { minLength: 1, maxLength: 2 }) }),
  fc.record({ action: fc.constant("env.read"), field: fc.constant("key"), values: fc.subarray(KEYS, { minLength: 1, maxLength: 2 }) }),
  fc.record({ action: fc.constant("shell.execute"), field: fc.constant("command"), values: fc.subarray(COMMANDS, { minLength: 1, maxLength: 2 }) }),
);
const rule = fc.record({ c: condition, effect: fc.constantFrom("allow", "deny", "require_approval"), anyOf: fc.boolean(), wide: fc.boolean() });

interface GenRule {
  c: { action: string; field: string; values: string[] };
  effect: string;
  anyOf: boolean;
  wide: boolean;
}

const yaml = (rules: GenRule[]) =>
  "rules:\n" +
  rules
    .map((r, i) => {
      const action = r.wide ? r.c.action.split(".")[0] + ".*" : r.c.action;
      const when = r.anyOf
        ? `any: [${r.c.values.map((v) => `{${r.c.field}: '${v}'}`).join(", ")}]`
        : `${r.c.field}: [${r.c.values.map((v) => `'${v}'`).join(", ")}]`;
      return `- {id: r${i}, action: ${action}, ${when}, effect: ${r.effect}}`;
    })
    .join("\n") +
  "\n";

describe("shadowing found through keys", () => {
  it("finds exactly what the scan of every earlier rule finds", async () => {
    let loaded = 0;
    let withFindings = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(rule, { minLength: 2, maxLength: 24 }), async (rules) => {
        const r = await loadPolicy([{ name: "p.yaml", text: yaml(rules) }]);
        if (!r.ok) return; // e.g. a pattern list the validator refuses
        loaded++;
        if (findShadowing(r.policy).found.length > 0) withFindings++;
        const shape = (x: ReturnType<typeof findShadowing>) => ({
          stoppedAfter: x.stoppedAfter,
          found: x.found.map((s) => [s.kind, s.later.id, s.earlier.id, JSON.stringify(s.example)]),
        });
        expect(shape(findShadowing(r.policy))).toEqual(shape(findShadowing(r.policy, { scan: true })));
      }),
      { numRuns: 300 },
    );
    // Not vacuous: most policies load, and many of them have shadowed rules to find.
    expect(loaded).toBeGreaterThan(200);
    expect(withFindings).toBeGreaterThan(50);
  });

  it("still finds a shadowed deny in a table of thousands of disjoint rules, without the scan's budget", async () => {
    const lines = ["- {id: wide, action: network.request, host: '*.example.com', effect: allow}"];
    for (let i = 0; i < 3000; i++) lines.push(`- {id: h${i}, action: network.request, host: 'api${i}.other.net', effect: ${i % 2 ? "deny" : "allow"}}`);
    lines.push("- {id: late, action: network.request, host: 'secret.example.com', effect: deny}");
    const r = await loadPolicy([{ name: "p.yaml", text: `rules:\n${lines.join("\n")}\n` }]);
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    const { found, stoppedAfter } = findShadowing(r.policy);
    expect(stoppedAfter).toBeUndefined();
    expect(found.map((s) => [s.kind, s.later.id, s.earlier.id])).toEqual([["never", "late", "wide"]]);
  });
});
