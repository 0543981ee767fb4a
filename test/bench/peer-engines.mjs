// The peers of the table benchmark (test/bench/tables.mjs), built from a table's
// engine-neutral rule list (test/bench/tables.ts). Each engine is a function of one
// peer subject { action, value, ctx } -> allowed; a request is allowed by a peer
// when every one of its subjects is (the engine's own rule for command lines).
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);

/**
 * What a peer is given for a request: its subjects as safeclaw normalizes them
 * (host out of the URL, one subject per command of a command line), each with the
 * table's field for its action. A request no peer can be given the same meaning is
 * left out for the peers, with the reason counted: refused by normalization
 * (safeclaw denies it as invalid or uncertain), a subject whose field holds a
 * run-time template, a `possible` subject (no default applies), a subject lacking
 * the table's field (a host-form request where the rules test `url`).
 */
export function peerView(table, normalizeRequest, req) {
  const n = normalizeRequest(req);
  if (!n.ok) return { skip: `refused by normalization (${n.code ?? "invalid"})` };
  const subjects = [];
  for (const s of n.request.subjects) {
    const field = table.fields[s.action];
    if (s.possible) return { skip: "a possible subject" };
    if (field === undefined) {
      subjects.push({ action: s.action, value: "", ctx: {} }); // no rule for this action: every engine denies
      continue;
    }
    if (s.templates?.[field] !== undefined) return { skip: `a run-time template in ${field}` };
    const value = s[field];
    if (typeof value !== "string") return { skip: `no ${field} in a ${s.action} subject` };
    const ctx = { [field]: value };
    if (field === "path") {
      const slash = value.lastIndexOf("/");
      ctx.dir = slash === 0 ? "/" : value.slice(0, slash);
      ctx.base = value.slice(slash + 1);
    }
    subjects.push({ action: s.action, value, ctx });
  }
  if (subjects.length === 0) return { skip: "no subject" };
  return { subjects };
}
/** A peer's answer for a request: every subject allowed (the engine's own rule for command lines). */
export const allSubjects = (f) => (subjects) => {
  for (const s of subjects) if (!f(s)) return false;
  return true;
};

/**
 * Cedar (wasm), stateful API: the policy set is parsed once (preparsePolicySet) and
 * each call names it, the fastest mode the package offers; the request still
 * crosses into wasm as JSON on every call. Cedar is deny-overrides; a first-match
 * table is written so the answers equal first match: a deny becomes
 * `forbid ... when { it } unless { any earlier allow that can match the same }`,
 * allows stay plain permits (proof in the report: the first matching rule decides
 * either way).
 */
/**
 * `a || b || ...` as a balanced tree: Cedar's evaluator recurses on the left-nested
 * chain a flat `||` of ~125 terms parses to, and overflows the wasm stack.
 */
function anyOf(conds) {
  if (conds.length === 1) return `(${conds[0]})`;
  const mid = conds.length >> 1;
  return `(${anyOf(conds.slice(0, mid))} || ${anyOf(conds.slice(mid))})`;
}

export function cedarEngine(table, id = `t-${process.pid}`, only) {
  const cedar = require("@cedar-policy/cedar-wasm/nodejs");
  const rules = only === undefined ? table.rules : table.rules.slice(0, only);
  const text = rules
    .map((r) => {
      const head = `${r.allow ? "permit" : "forbid"}(principal, action == Action::"${r.action}", resource)`;
      const unless = !r.allow && table.firstMatch && r.yieldsTo?.length ? ` unless { ${anyOf(r.yieldsTo.map((j) => table.rules[j].cedar))} }` : "";
      return `${head} when { ${r.cedar} }${unless};`;
    })
    .join("\n");
  const parsed = cedar.preparsePolicySet(id, { staticPolicies: text });
  if (parsed.type !== "success") throw new Error(`cedar could not parse the policy: ${JSON.stringify(parsed).slice(0, 500)}`);
  const principal = { type: "Agent", id: "a" };
  const resource = { type: "Resource", id: "r" };
  return (s) => {
    const a = cedar.statefulIsAuthorized({
      principal,
      action: { type: "Action", id: s.action },
      resource,
      context: s.ctx,
      entities: [],
      preparsedPolicySetId: id,
    });
    if (a.type !== "success") throw new Error(`cedar failed: ${JSON.stringify(a)}`);
    return a.response.decision === "allow";
  };
}

// Deny-overrides for tables whose allows and denies never meet; for first-match
// tables the model the Casbin docs give for priorities: a priority column (here the
// rule's position), `priority(p.eft) || deny`, policies sorted by it at load.
const MODEL = `
[request_definition]
r = act, obj
[policy_definition]
p = act, obj, eft
[policy_effect]
e = some(where (p.eft == allow)) && !some(where (p.eft == deny))
[matchers]
m = r.act == p.act && regexMatch(r.obj, p.obj)
`;
const PRIORITY_MODEL = `
[request_definition]
r = act, obj
[policy_definition]
p = priority, act, obj, eft
[policy_effect]
e = priority(p.eft) || deny
[matchers]
m = r.act == p.act && regexMatch(r.obj, p.obj)
`;

/** Casbin through its CommonJS entry (`require`) or its ESM entry (`import`). */
export async function casbinEngine(table, entry) {
  const casbin = entry === "cjs" ? require("casbin") : await import("casbin");
  const lines = table.rules.map((r, i) => {
    if (r.regex.includes(",")) throw new Error(`a regex with a comma does not fit Casbin's CSV policy line: ${r.regex}`);
    return table.firstMatch ? `p, ${i}, ${r.action}, ${r.regex}, ${r.allow ? "allow" : "deny"}` : `p, ${r.action}, ${r.regex}, ${r.allow ? "allow" : "deny"}`;
  });
  const e = await casbin.newEnforcer(casbin.newModelFromString(table.firstMatch ? PRIORITY_MODEL : MODEL), new casbin.StringAdapter(lines.join("\n")));
  return (s) => e.enforceSync(s.action, s.value);
}
