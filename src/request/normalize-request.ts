import { canonicalAction, isBuiltinAction } from "../policy/actions.js";
import type { Subject } from "../engine/subject.js";
import { analyzeCommand } from "../shell/command-checks.js";
import { printable } from "./normalize-host.js";
import { normalizePath } from "./normalize-path.js";
import { normalizeHostTarget, normalizeUrl } from "./normalize-url.js";

/**
 * Checks a request's shape and brings it to normal form. Anything it does not
 * understand (an unknown field, a wrong type, a field that does not belong to
 * the action, a path with a NUL byte, a command it cannot parse) is an error,
 * which the evaluator turns into a deny that names the problem.
 */
export interface NormalizedRequest {
  action: string;
  id?: string;
  /** what the rules are tested against; all must be allowed */
  subjects: Subject[];
}

export type RequestResult = { ok: true; request: NormalizedRequest } | { ok: false; reason: string; action?: string };

const COMMON = ["action", "id", "agent", "context"];
const FIELDS_BY_ACTION: Record<string, readonly string[]> = {
  "file.read": ["path", "cwd"],
  "file.write": ["path", "cwd"],
  "file.delete": ["path", "cwd"],
  "shell.execute": ["command", "cwd"],
  "network.request": ["url", "host", "port", "method", "scheme"],
  "env.read": ["key"],
  "mcp.call": ["server", "tool", "arguments"],
};
const CUSTOM_FIELDS = ["arguments"];
// Precomputed so the per-request shape check allocates nothing.
const ALLOWED = new Map(Object.entries(FIELDS_BY_ACTION).map(([a, f]) => [a, new Set([...COMMON, ...f])]));
const ALLOWED_CUSTOM = new Set([...COMMON, ...CUSTOM_FIELDS]);

export const MAX_COMMAND_LENGTH = 65_536;
const MAX_SHORT = 1024;
const MAX_CONTEXT_JSON = 65_536;
const METHOD = /^[A-Za-z]{1,32}$/;

class Bad extends Error {}

export function normalizeRequest(input: unknown, opts: { cwd?: string } = {}): RequestResult {
  if (input === null || typeof input !== "object" || Array.isArray(input)) {
    return { ok: false, reason: `request must be a JSON object, got ${input === null ? "null" : Array.isArray(input) ? "an array" : typeof input}` };
  }
  const r = input as Record<string, unknown>;
  if (!Object.hasOwn(r, "action")) return { ok: false, reason: "request has no `action`" };
  if (typeof r.action !== "string") return { ok: false, reason: "`action` must be a string" };
  const parsed = canonicalAction(r.action);
  if (!parsed.ok) return { ok: false, reason: parsed.message + (parsed.help ? ` (${parsed.help})` : "") };
  if (parsed.wildcard) return { ok: false, reason: `\`${r.action}\` is a pattern; a request names one action` };
  const action = parsed.action;
  try {
    return { ok: true, request: build(action, r, opts) };
  } catch (e) {
    if (e instanceof Bad) return { ok: false, reason: e.message, action };
    throw e;
  }
}

function build(action: string, r: Record<string, unknown>, opts: { cwd?: string }): NormalizedRequest {
  const allowed = (isBuiltinAction(action) ? ALLOWED.get(action) : undefined) ?? ALLOWED_CUSTOM;
  for (const k in r) {
    if (Object.hasOwn(r, k) && !allowed.has(k)) throw new Bad(`field \`${printable(k)}\` does not belong to a \`${action}\` request (fields: ${[...allowed].join(", ")})`);
  }
  const base: Subject = { action };
  const agent = optString(r, "agent", MAX_SHORT);
  if (agent !== undefined) base.agent = agent;
  if (r.context !== undefined) base.context = jsonObject(r.context, "context");
  if (r.arguments !== undefined) base.arguments = jsonObject(r.arguments, "arguments");
  const id = optString(r, "id", 128);
  const out: NormalizedRequest = { action, subjects: [] };
  if (id !== undefined) out.id = id;
  const cwd = optString(r, "cwd", 4096) ?? opts.cwd;

  switch (action) {
    case "file.read":
    case "file.write":
    case "file.delete": {
      base.path = resolve(reqString(r, "path", 4096), cwd, "path");
      out.subjects.push(base);
      break;
    }
    case "env.read": {
      const key = reqString(r, "key", 256);
      if (key.length === 0 || /[=\u0000]/.test(key)) throw new Bad("`key` must be a non-empty name without `=` or NUL");
      base.key = key;
      out.subjects.push(base);
      break;
    }
    case "mcp.call": {
      base.server = reqString(r, "server", MAX_SHORT);
      base.tool = reqString(r, "tool", MAX_SHORT);
      out.subjects.push(base);
      break;
    }
    case "network.request":
      out.subjects.push(network(r, base));
      break;
    case "shell.execute":
      out.subjects.push(...shell(reqString(r, "command", MAX_COMMAND_LENGTH), cwd, base));
      break;
    default:
      out.subjects.push(base);
  }
  return out;
}

function network(r: Record<string, unknown>, base: Subject): Subject {
  const url = optString(r, "url", 8192);
  const host = optString(r, "host", MAX_SHORT);
  const scheme = optString(r, "scheme", 16);
  let port: number | undefined;
  if (r.port !== undefined) {
    if (typeof r.port !== "number" || !Number.isInteger(r.port) || r.port < 1 || r.port > 65535) throw new Bad("`port` must be an integer from 1 to 65535");
    port = r.port;
  }
  if (url === undefined && host === undefined) throw new Bad("a `network.request` needs `url` or `host`");
  const target = url !== undefined ? normalizeUrl(url) : normalizeHostTarget(host!, port, scheme);
  if (!target.ok) throw new Bad(target.reason);
  const t = target.target;
  if (url !== undefined) {
    // A request that names two different destinations is not one we can vouch for.
    if (host !== undefined) {
      const h = normalizeHostTarget(host, undefined, undefined);
      if (!h.ok) throw new Bad(h.reason);
      if (h.target.host !== t.host) throw new Bad(`\`host\` (${h.target.host}) and the host of \`url\` (${t.host}) disagree`);
    }
    if (port !== undefined && port !== t.port) throw new Bad(`\`port\` (${port}) and the port of \`url\` (${t.port}) disagree`);
    if (scheme !== undefined && scheme.toLowerCase() !== t.scheme) throw new Bad(`\`scheme\` and the scheme of \`url\` disagree`);
  }
  const subject = base;
  subject.host = t.host;
  subject.port = t.port;
  subject.scheme = t.scheme;
  if (t.url !== undefined) subject.url = t.url;
  const method = optString(r, "method", 32);
  if (method !== undefined) {
    if (!METHOD.test(method)) throw new Bad(`\`method\` \`${printable(method)}\` is not an HTTP method`);
    subject.method = method.toUpperCase();
  }
  return subject;
}

function shell(command: string, cwd: string | undefined, base: Subject): Subject[] {
  if (command.trim().length === 0) throw new Bad("`command` is empty");
  if (command.includes("\u0000")) throw new Bad("`command` contains a NUL byte");
  const a = analyzeCommand(command);
  if (!a.ok) throw new Bad(a.reason);
  const out: Subject[] = [];
  const like = (action: string): Subject => {
    const s: Subject = { action };
    if (base.agent !== undefined) s.agent = base.agent;
    if (base.context !== undefined) s.context = base.context;
    return s;
  };
  for (const command of a.analysis.checks) {
    const s = like("shell.execute");
    s.command = command;
    out.push(s);
  }
  for (const [action, paths] of [["file.read", a.analysis.reads], ["file.write", a.analysis.writes], ["file.delete", a.analysis.deletes]] as const) {
    for (const p of paths) {
      const s = like(action);
      s.path = resolve(p, cwd, "a file the command names");
      s.viaRedirection = true;
      out.push(s);
    }
  }
  return out;
}

function resolve(raw: string, cwd: string | undefined, what: string): string {
  const p = normalizePath(raw, cwd);
  if (!p.ok) throw new Bad(`${what}: ${p.reason}`);
  return p.path;
}

function reqString(r: Record<string, unknown>, k: string, max: number): string {
  if (r[k] === undefined) throw new Bad(`a \`${r.action}\` request needs \`${k}\``);
  return optString(r, k, max)!;
}

function optString(r: Record<string, unknown>, k: string, max: number): string | undefined {
  const v = r[k];
  if (v === undefined) return undefined;
  if (typeof v !== "string") throw new Bad(`\`${k}\` must be a string, got ${v === null ? "null" : Array.isArray(v) ? "an array" : typeof v}`);
  if (v.length > max) throw new Bad(`\`${k}\` is longer than ${max} characters`);
  return v;
}

function jsonObject(v: unknown, k: string): Record<string, unknown> {
  if (v === null || typeof v !== "object" || Array.isArray(v)) throw new Bad(`\`${k}\` must be an object`);
  let size: number;
  try {
    size = JSON.stringify(v).length;
  } catch {
    throw new Bad(`\`${k}\` is not plain JSON`);
  }
  if (size > MAX_CONTEXT_JSON) throw new Bad(`\`${k}\` is larger than ${MAX_CONTEXT_JSON} bytes of JSON`);
  return v as Record<string, unknown>;
}
