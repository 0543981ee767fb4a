import * as cedar from "@cedar-policy/cedar-wasm/nodejs";
import { newEnforcer, newModelFromString, StringAdapter } from "casbin";
import { normalizeRequest } from "../../src/index.js";

/**
 * The same rule table as policy-gen.ts, written for Cedar (wasm, stateful API,
 * policies parsed once) and Casbin (regexMatch with allow/deny effects). The
 * peers get the request already normalized (host out of the URL, command as
 * text): their timings exclude normalization, ours include it.
 */
export interface PeerRequest {
  action: string;
  field: "path" | "host" | "command" | "key";
  value: string;
}

const ACTION: Record<number, string> = { 0: "file.read", 1: "network.request", 2: "network.request", 3: "shell.execute", 4: "env.read" };

function rule(i: number): { action: string; field: PeerRequest["field"]; like: string; regex: string; allow: boolean } {
  const kind = i % 5;
  const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  switch (kind) {
    case 0:
      return { action: ACTION[0]!, field: "path", like: `/srv/app${i}/*`, regex: `^${esc(`/srv/app${i}/`)}.*$`, allow: true };
    case 1:
      return { action: ACTION[1]!, field: "host", like: `api${i}.example.com`, regex: `^${esc(`api${i}.example.com`)}$`, allow: true };
    case 2:
      return { action: ACTION[2]!, field: "host", like: `*.bad${i}.example`, regex: `^.+${esc(`.bad${i}.example`)}$`, allow: false };
    case 3:
      return { action: ACTION[3]!, field: "command", like: `tool${i} plan*`, regex: `^${esc(`tool${i} plan`)}.*$`, allow: true };
    default:
      return { action: ACTION[4]!, field: "key", like: `SECRET_${i}`, regex: `^${esc(`SECRET_${i}`)}$`, allow: false };
  }
}

export function toPeerRequest(req: unknown): PeerRequest {
  const n = normalizeRequest(req);
  if (!n.ok) throw new Error(`benchmark request is invalid: ${n.reason}`);
  const s = n.request.subjects[0]!;
  const field = s.path !== undefined ? "path" : s.host !== undefined ? "host" : s.command !== undefined ? "command" : "key";
  return { action: s.action, field, value: String(s[field]) };
}

export function cedarEngine(n: number): (r: PeerRequest) => boolean {
  const policies: string[] = [];
  for (let i = 0; i < n; i++) {
    const r = rule(i);
    const cond = r.like.includes("*") ? `context.${r.field} like "${r.like}"` : `context.${r.field} == "${r.like}"`;
    policies.push(`${r.allow ? "permit" : "forbid"}(principal, action == Action::"${r.action}", resource) when { ${cond} };`);
  }
  const id = `bench-${n}`;
  const parsed = cedar.preparsePolicySet(id, { staticPolicies: policies.join("\n") });
  if (parsed.type !== "success") throw new Error(`cedar could not parse the policy: ${JSON.stringify(parsed)}`);
  return (r) => {
    const a = cedar.statefulIsAuthorized({
      principal: { type: "Agent", id: "a" },
      action: { type: "Action", id: r.action },
      resource: { type: "Resource", id: "r" },
      context: { [r.field]: r.value },
      entities: [],
      preparsedPolicySetId: id,
    });
    if (a.type !== "success") throw new Error(`cedar failed: ${JSON.stringify(a)}`);
    return a.response.decision === "allow";
  };
}

const CASBIN_MODEL = `
[request_definition]
r = act, obj
[policy_definition]
p = act, obj, eft
[policy_effect]
e = some(where (p.eft == allow)) && !some(where (p.eft == deny))
[matchers]
m = r.act == p.act && regexMatch(r.obj, p.obj)
`;

export async function casbinEngine(n: number): Promise<(r: PeerRequest) => boolean> {
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    const r = rule(i);
    lines.push(`p, ${r.action}, ${r.regex}, ${r.allow ? "allow" : "deny"}`);
  }
  const e = await newEnforcer(newModelFromString(CASBIN_MODEL), new StringAdapter(lines.join("\n")));
  return (r) => e.enforceSync(r.action, r.value);
}

/** The physical limit of a decision here: one map lookup and one string comparison. */
export function floorEngine(n: number): (r: PeerRequest) => boolean {
  const allowed = new Map<string, string>();
  for (let i = 0; i < n; i++) {
    const r = rule(i);
    if (r.allow) allowed.set(r.like, r.action);
  }
  return (r) => allowed.get(r.value) === r.action;
}
