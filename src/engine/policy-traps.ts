import { affix, NfaBuilder } from "../match/automaton.js";
import { includes, intersects } from "../match/automaton-products.js";
import type { PatternOptions } from "../match/compiled-pattern.js";
import { NORMAL_NONROOT } from "../match/path-glob.js";
import { GLOB_META } from "../match/wildcard.js";
import { isBuiltinAction } from "../policy/action-schema.js";
import type { PolicyError } from "../policy/errors.js";
import type { Condition, RuleIR } from "../policy/ir.js";
import type { CompiledPolicy } from "./compile.js";
import { compileFieldTest } from "./compile-test.js";
import { findShadowing } from "./shadowing.js";

/**
 * Policy traps: rules that validate and still do not do what they look like
 * they do. Found after compilation, reported as warnings (errors with
 * `safeclaw validate --strict`), never changing what the policy decides:
 *
 * - an allow that is broader than it reads: no condition at all on a built-in
 *   action, or a resource pattern that matches every value (`path: "**"`,
 *   `command: "*"`, `host: "*"`, `url: "*"`, `key: "*"`);
 * - a condition on `key` that no environment variable name can meet (`AWS SECRET`,
 *   `$HOME`): requests must name variables (`[A-Za-z_][A-Za-z0-9_]*`), so the
 *   rule never matches, and a deny written that way protects nothing;
 * - a deny or require_approval that an earlier, weaker rule shadows (see
 *   shadowing.ts): wholly (it never decides) or in part (some of what it
 *   matches is decided by the earlier rule), with an example request.
 */
export function policyTraps(policy: CompiledPolicy): PolicyError[] {
  try {
    return findTraps(policy);
  } catch (e) {
    // The analysis is advice: a failure in it must not stop a server from serving or hide the policy's own errors.
    const first = policy.ir.rules[0];
    return first
      ? [warning(first, "shadowed_rule", `policy-trap analysis failed (${(e as Error)?.message ?? e}); nothing was checked`, "report this as a bug")]
      : [];
  }
}

function findTraps(policy: CompiledPolicy): PolicyError[] {
  const opts: PatternOptions = { cwd: policy.ir.cwd, caseInsensitive: policy.caseInsensitivePaths };
  const out: PolicyError[] = [];
  for (const r of policy.ir.rules) out.push(...broadAllow(r, opts), ...impossibleKeys(r, opts));
  const { found, stoppedAfter } = findShadowing(policy);
  for (const s of found) {
    const e = s.earlier;
    const at = `${e.ir.source.file}:${e.ir.source.line}`;
    if (s.kind === "never") {
      out.push(
        warning(
          s.later.ir,
          "shadowed_rule",
          `rule \`${s.later.id}\` (${s.later.effect}) never decides: the earlier rule \`${e.id}\` (${e.effect}, ${at}) matches every request it matches`,
          `move \`${s.later.id}\` above \`${e.id}\``,
        ),
      );
    } else {
      out.push(
        warning(
          s.later.ir,
          "shadowed_rule",
          `rule \`${s.later.id}\` (${s.later.effect}) does not decide everything it matches: the earlier rule \`${e.id}\` (${e.effect}, ${at}) decides some of it first, e.g. ${JSON.stringify(s.example)}`,
          `move \`${s.later.id}\` above \`${e.id}\`, or narrow \`${e.id}\``,
        ),
      );
    }
  }
  if (stoppedAfter !== undefined && policy.rules[0]) {
    out.push(
      warning(
        policy.rules[0].ir,
        "shadowed_rule",
        `shadowing analysis stopped after ${stoppedAfter} rule pairs (its budget); later rules were not checked`,
        "split the policy, or check it in parts",
      ),
    );
  }
  return out.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line || a.column - b.column));
}

function warning(r: RuleIR, code: PolicyError["code"], message: string, help: string): PolicyError {
  return { code, message, help, file: r.source.file, line: r.source.line, column: r.source.column, severity: "warning" };
}

// What a resource pattern that matches everything leaves open, per field, for the message.
const RESOURCE_FIELDS: Record<string, string> = {
  path: "every path (/etc/shadow, ~/.ssh, every .env included)",
  command: "every command (rm -rf /, curl ... | sh included)",
  host: "every host (169.254.169.254 and localhost included)",
  url: "every URL (cloud metadata and localhost included)",
  key: "every environment variable (AWS_SECRET_ACCESS_KEY included)",
};
const ANY_STRING = affix("", "any", "");
const EVERYTHING_PROBES: Record<string, readonly string[]> = { host: ["169.254.169.254", "localhost", "evil.example", "::1", "fd00:ec2::254"] };

function broadAllow(r: RuleIR, opts: PatternOptions): PolicyError[] {
  if (r.effect !== "allow") return [];
  const builtins = r.actions.filter((a) => a === "*" || a.endsWith(".*") || isBuiltinAction(a));
  if (builtins.length === 0) return []; // a custom action allowed outright is what it says
  if (r.when.length === 0) {
    return [
      warning(
        r,
        "broad_allow",
        `rule \`${r.id}\` allows every \`${builtins.join(", ")}\` request: it has no condition at all`,
        "add a condition on what it may touch (`path:`, `command:`, `host:`, `key:`, `server:`/`tool:`), or make it `require_approval`",
      ),
    ];
  }
  const out: PolicyError[] = [];
  const visit = (c: Condition) => {
    if (c.kind === "all") return c.conditions.forEach(visit);
    if (c.kind !== "field" || !Object.hasOwn(RESOURCE_FIELDS, c.field)) return;
    if (matchesEverything(c, opts)) {
      out.push(
        warning(
          r,
          "broad_allow",
          `rule \`${r.id}\` allows ${RESOURCE_FIELDS[c.field]}: its \`${c.field}\` condition matches every value`,
          `allow the ${c.field === "path" ? "directories" : "values"} it is meant for, and deny the rest above it`,
        ),
      );
    }
  };
  r.when.forEach(visit);
  return out;
}

/** The names a request's `key` can be (normalize-request.ts: POSIX names). */
const ENV_NAMES = (() => {
  const b = new NfaBuilder();
  const s = b.state();
  const rest = b.state();
  const first = [0x41, 0x5a, 0x5f, 0x5f, 0x61, 0x7a];
  b.edges(s, first, rest);
  b.edges(rest, [0x30, 0x39, ...first], rest);
  b.accepting(rest);
  return b.build(s);
})();

function impossibleKeys(r: RuleIR, opts: PatternOptions): PolicyError[] {
  const out: PolicyError[] = [];
  const visit = (c: Condition) => {
    if (c.kind === "all") return c.conditions.forEach(visit);
    if (c.kind !== "field" || c.field !== "key") return;
    // A literal name (most key conditions) is a name or not, without building its automaton.
    if (c.test.op === "glob" && !GLOB_META.test(c.test.pattern) && ENV_NAME.test(c.test.pattern)) return;
    const m = compileFieldTest(c.test, c.field, opts);
    if (m.nfa && intersects(m.nfa, ENV_NAMES) === false) {
      out.push(
        warning(
          r,
          "never_matches",
          `rule \`${r.id}\` never matches: no environment variable name (letters, digits, \`_\`) fits its \`key\` condition, and requests can only name such variables`,
          "write the variable's name, e.g. `AWS_SECRET_ACCESS_KEY`, or a pattern such as `AWS_*`",
        ),
      );
    }
  };
  r.when.forEach(visit);
  return out;
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

// Values of the sets `matchesEverything` compares with: a test that refuses one does not match everything.
const SOME_PATHS = ["/zq", "/zq/.zq/zq"];
const SOME_STRINGS = ["", "zq"];

/** Does a field condition accept every value the field can have? */
function matchesEverything(c: Extract<Condition, { kind: "field" }>, opts: PatternOptions): boolean {
  const m = compileFieldTest(c.test, c.field, opts);
  // Most conditions refuse a plain value: settled without building their automata (m.test is exact on values).
  if (c.field !== "host" && (c.field === "path" ? SOME_PATHS : SOME_STRINGS).some((v) => !m.test(v))) return false;
  if (m.nfa) return includes(c.field === "path" ? NORMAL_NONROOT : ANY_STRING, m.nfa) === true; // every path but `/` is every file: `**/*` counts
  const probes = EVERYTHING_PROBES[c.field];
  return probes !== undefined && c.test.op === "glob" && probes.every((p) => m.test(p));
}
