import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { loadPolicy, type CompiledPolicy } from "../src/index.js";
import { decideSubjects } from "../src/engine/evaluate.js";
import { accepts } from "../src/match/automaton.js";
import { intersection, difference } from "../src/match/automaton-products.js";
import { compilePattern } from "../src/match/compiled-pattern.js";
import { foldCase } from "../src/match/fold.js";
import { pathTemplateNfa } from "../src/match/path-template.js";
import { isConcrete, template, type Template, type TemplatePart } from "../src/match/template.js";
import { templateNfa } from "../src/match/template-nfa.js";
import { normalizePath } from "../src/request/normalize-path.js";
import { resolvePathTemplate } from "../src/request/path-template.js";
import type { Subject } from "../src/request/subject.js";

/**
 * Soundness of run-time values: a templated subject's decision is never more
 * permissive than the decision of any string it stands for; the index finds
 * exactly what a walk over every rule finds; may/must agree with the strings
 * themselves.
 */
const RANK = { allow: 0, require_approval: 1, deny: 2 } as const;

const effect = fc.constantFrom("allow", "deny", "require_approval");
const pathCond = fc.constantFrom(
  'path: "/app/**"',
  'path: "**/.env"',
  'path: "/app/*/x"',
  'path: "/app/a*"',
  'path: "/**"',
  'path: "/app/{a,b}/**"',
  'path: "/app/.*"',
  'path: "**/*.ts"',
  'path: "/app"',
  'path: ["/etc/**", "/app/b/**"]',
  "path: {eq: /app/a.ts}",
  "path: {startsWith: /app/a}",
  "path: {endsWith: .ts}",
  "path: {contains: /b/}",
  'path: {not: "/app/**"}',
  "path: {notIn: [/app/x, /x]}",
  'path: {matches: "^/app/[ab]"}',
  'path: {all: [{glob: "/app/**"}, {not: {endsWith: .env}}]}',
);
const commandCond = fc.constantFrom(
  'command: "git *"',
  'command: "git status*"',
  'command: "rm *"',
  'command: "*rm*"',
  'command: "{ls,cat} *"',
  'command: "ls"',
  'command: ["ls", "ls *"]',
  'command: "terraform destroy*"',
  'command: "terraform *"',
  'command: {not: "git *"}',
  "command: {startsWith: git s}",
  "command: {eq: git status}",
  "command: {in: [ls, cat x]}",
  'command: {matches: "^rm"}',
);
const rule = (cond: fc.Arbitrary<string>, action: string) => fc.tuple(cond, effect).map(([c, e]) => `  - {action: ${action}, ${c}, effect: ${e}}`);

async function compile(lines: string[], def: string, extra = ""): Promise<CompiledPolicy> {
  const r = await loadPolicy([{ name: "p.yaml", text: `defaultAction: ${def}\n${extra}rules:\n${lines.join("\n")}\n` }]);
  if (!r.ok) throw new Error(r.errors.map((e) => e.message).join("\n"));
  return r.policy;
}

// Templates: literal pieces and holes; instantiations fill each hole with a string of its kind.
const pathPiece = fc.constantFrom("/app/", "/app/a", "src/", "/", ".", "..", ".env", "x", "a.ts", "b", "B", "É", "e\u0301");
const commandPiece = fc.constantFrom("git ", "git", "status", " ", "rm", " -rf", "terraform ", "destroy", "ls", "cat ", "x");
const hole = fc.constantFrom<TemplatePart>(
  { hole: "any", source: "$X" },
  { hole: "segment", source: "*" },
  { hole: "name", source: "*" },
  { hole: "below", source: "**" },
);
const holeText = (kind: "any" | "segment" | "name" | "below") =>
  fc.string({
    unit: fc.constantFrom(...(kind === "any" || kind === "below" ? ["a", "b", "/", ".", " ", "x", "E"] : ["a", "b", ".", " ", "x", "E"])),
    maxLength: 4,
  });

function templateArb(piece: fc.Arbitrary<string>, lead?: string): fc.Arbitrary<Template> {
  return fc.array(fc.oneof(piece, hole), { minLength: 1, maxLength: 5 }).map((parts) => template(lead ? [lead, ...parts] : parts));
}

/** A template with each hole replaced by one of its strings. */
function instantiate(t: Template): fc.Arbitrary<string> {
  return fc
    .tuple(...t.map((p) => (typeof p === "string" ? fc.constant(p) : holeText(p.hole))))
    .filter((xs) => nameHolesHold(t, xs))
    .map((xs) => xs.join(""));
}

/**
 * A `name` hole never leaves its path segment empty, `.` or `..` (a shell glob never expands so);
 * a `below` hole (a walk's names, `/` included) never leaves any segment it touches so.
 */
function nameHolesHold(t: Template, xs: readonly string[]): boolean {
  const text = xs.join("");
  let at = 0;
  for (let i = 0; i < t.length; i++) {
    const start = at;
    at += xs[i]!.length;
    const p = t[i]!;
    if (typeof p === "string" || (p.hole !== "name" && p.hole !== "below")) continue;
    const from = text.lastIndexOf("/", start - 1) + 1;
    const slash = text.indexOf("/", at);
    const segs = text.slice(from, slash < 0 ? text.length : slash).split("/");
    if (segs.some((seg) => seg === "" || seg === "." || seg === "..")) return false;
  }
  return true;
}

const text = (t: Template) => t.map((p) => (typeof p === "string" ? p : p.source)).join("");
const decide = (policy: CompiledPolicy, s: Subject) => decideSubjects(policy, s.action, [s], { nowMs: 0 });

/** The definition of the templated walk, without the index: every rule of the action in order. */
function linear(policy: CompiledPolicy, s: Subject): { decision: string; rule: string | null } {
  let worst: { decision: keyof typeof RANK; rule: string | null } | undefined;
  let stopped = false;
  for (const i of policy.bucket(s.action).members) {
    const r = policy.rules[i]!;
    if (!r.may(s, 0)) continue;
    if (!worst || RANK[r.effect] > RANK[worst.decision]) worst = { decision: r.effect, rule: r.id };
    if (r.must(s, 0)) {
      stopped = true;
      break;
    }
  }
  if (!stopped) {
    const def = s.possible ? "allow" : policy.ir.defaultAction;
    if (!worst || RANK[def] > RANK[worst.decision]) worst = { decision: def, rule: null };
  }
  return worst!;
}

describe("a templated decision is never more permissive than any of its values", () => {
  it("commands", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(rule(commandCond, "shell.execute"), { minLength: 1, maxLength: 8 }),
        fc.constantFrom("allow", "deny"),
        templateArb(commandPiece),
        fc.boolean(),
        async (lines, def, t, possible) => {
          const policy = await compile(lines, def);
          const s: Subject = { action: "shell.execute", command: text(t), templates: { command: t }, ...(possible ? { possible } : {}) };
          const d = decide(policy, s);
          // A template without holes is its text, decided first-match; otherwise the walk's definition.
          const { templates: _, ...plain } = s;
          expect(d).toMatchObject(isConcrete(t) ? { decision: decide(policy, plain).decision, rule: decide(policy, plain).rule } : linear(policy, s));
          const values = fc.sample(instantiate(t), { numRuns: 12 });
          for (const v of values) {
            const c = decide(policy, { action: "shell.execute", command: v, ...(possible ? { possible } : {}) });
            expect(RANK[d.decision], `${text(t)} → ${d.decision}, but \`${v}\` → ${c.decision}`).toBeGreaterThanOrEqual(RANK[c.decision]);
          }
        },
      ),
      { numRuns: 250 },
    );
  });

  for (const ci of [false, true]) {
    it(`paths${ci ? " (case-insensitive policy)" : ""}`, async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(rule(pathCond, "file.read"), { minLength: 1, maxLength: 8 }),
          fc.constantFrom("allow", "deny"),
          templateArb(pathPiece, "/"),
          fc.boolean(),
          async (lines, def, t, possible) => {
            const policy = await compile(lines, def, ci ? "paths: {caseInsensitive: true}\n" : "");
            const s: Subject = { action: "file.read", path: text(t), templates: { path: t }, ...(possible ? { possible } : {}) };
            const d = decide(policy, s);
            for (const v of fc.sample(instantiate(t), { numRuns: 12 })) {
              const n = normalizePath(v);
              if (!n.ok) continue;
              const c = decide(policy, { action: "file.read", path: n.path, ...(possible ? { possible } : {}) });
              if (c.error === "uncertain") continue; // a Windows name quirk in a case-insensitive policy: refused whatever the rules say
              expect(RANK[d.decision], `${text(t)} → ${d.decision} (${d.rule}), but \`${n.path}\` → ${c.decision} (${c.rule})`).toBeGreaterThanOrEqual(
                RANK[c.decision],
              );
            }
          },
        ),
        { numRuns: 250 },
      );
    });
  }
});

describe("the index finds for templated subjects exactly what a walk over every rule finds", () => {
  it("paths and commands", async () => {
    const prefixes = fc.constantFrom("/app/a/", "/app/", "/app/b/x", "/etc/", "/", "/app/a/../");
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.oneof(
            rule(pathCond, "file.read"),
            rule(fc.constantFrom('path: "/app/a/**"', 'path: "/app/b/x/*"', 'path: "/etc/*"', "path: {in: [/app/a/b, /etc/x]}"), "file.read"),
          ),
          { minLength: 1, maxLength: 12 },
        ),
        fc.array(rule(commandCond, "shell.execute"), { minLength: 1, maxLength: 8 }),
        fc.constantFrom("allow", "deny"),
        fc.tuple(prefixes, templateArb(pathPiece)).map(([p, t]) => template([p, ...t])),
        templateArb(commandPiece),
        async (pathLines, commandLines, def, raw, tc) => {
          const policy = await compile([...pathLines, ...commandLines], def);
          // The engine only ever sees a path template as a request resolves it (`//` and `.`
          // segments gone, `..` applied or refused): compare index and walk on that form.
          const resolved = resolvePathTemplate(raw, undefined);
          if (!resolved.ok || !("template" in resolved)) return;
          const tp = resolved.template;
          const ps: Subject = { action: "file.read", path: text(tp), templates: { path: tp } };
          const cs: Subject = { action: "shell.execute", command: text(tc), templates: { command: tc } };
          for (const s of [ps, cs]) {
            const d = decide(policy, s);
            if (d.error || isConcrete((s.templates!.path ?? s.templates!.command)!)) continue;
            expect({ decision: d.decision, rule: d.rule }).toEqual(linear(policy, s));
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("may and must agree with the strings a template stands for", () => {
  const cmdPatterns = ["git *", "git status*", "*rm*", "{ls,cat} *", "ls", "a?b", "[ab]*x", "*/*", "* *"];
  it("string globs: a matching value means may; a failing value means not must; witnesses are real", () => {
    fc.assert(
      fc.property(fc.constantFrom(...cmdPatterns), templateArb(fc.constantFrom("git ", "ls", " ", "a", "b", "x", "/", "status", "rm")), (pattern, t) => {
        const r = compilePattern("command", pattern);
        if (!r.ok) throw new Error(r.reason);
        const p = r.pattern;
        const may = p.may(t);
        const must = p.must(t);
        for (const v of fc.sample(instantiate(t), { numRuns: 20 })) {
          if (p.test(v)) expect(may, `${pattern} vs \`${v}\``).toBe(true);
          else expect(must, `${pattern} vs \`${v}\``).toBe(false);
        }
        const lang = templateNfa(t);
        const w = intersection(lang, p.nfa!);
        if (typeof w === "string") expect(p.test(w) && accepts(lang, w)).toBe(true);
        const cx = difference(lang, p.nfa!);
        if (typeof cx === "string") expect(!p.test(cx) && accepts(lang, cx)).toBe(true);
        expect(may).toBe(w !== null);
        expect(must).toBe(cx === null);
      }),
      { numRuns: 2000 },
    );
  });

  const pathPatterns = ["/app/**", "**/.env", "/app/*/x", "/app/a*", "/**", "/app/{a,b}/**", "/app/.*", "**/*.ts", "/app", "/", "/*"];
  for (const ci of [false, true]) {
    it(`path globs${ci ? ", folded" : ""}: the same, on normalized values`, () => {
      fc.assert(
        fc.property(fc.constantFrom(...pathPatterns), templateArb(pathPiece, "/"), (pattern, t) => {
          const r = compilePattern("path", pattern, { caseInsensitive: ci });
          if (!r.ok) throw new Error(r.reason);
          const p = r.pattern;
          const may = p.may(t);
          const must = p.must(t);
          for (const v of fc.sample(instantiate(t), { numRuns: 20 })) {
            const n = normalizePath(v);
            if (!n.ok) continue;
            const value = ci ? foldCase(n.path) : n.path;
            if (p.test(value)) expect(may, `${pattern} vs \`${value}\``).toBe(true);
            else expect(must, `${pattern} vs \`${value}\``).toBe(false);
          }
          const lang = pathTemplateNfa(t, { caseInsensitive: ci });
          const w = intersection(lang, p.nfa!);
          if (typeof w === "string") expect(p.test(w)).toBe(true);
          // The shortcuts (a sample value, a covering subtree) answer as the automata do.
          expect(may).toBe(w !== null);
          expect(must).toBe(difference(lang, p.nfa!) === null);
        }),
        { numRuns: 2000 },
      );
    });
  }
});
