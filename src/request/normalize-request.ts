import { ACTION_SCHEMA, requestFields, type FieldSpec } from "../policy/action-schema.js";
import { canonicalAction } from "../policy/actions.js";
import type { Subject } from "./subject.js";
import type { AnalyzeOptions } from "../shell/command-checks.js";
import { shellSubjects } from "./shell-subjects.js";
import { hostForms, printable } from "../net/host-name.js";
import { normalizePath } from "./normalize-path.js";
import { normalizeHostTarget, normalizeUrl } from "./normalize-url.js";
import { handshakeScheme, handshakeUrl, hostFormUrl } from "./host-form-url.js";
import { wellFormed } from "./strict-json.js";
import { treeTemplates } from "./tree-template.js";
import { templateSource } from "../match/template.js";

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

export type RequestResult =
  { ok: true; request: NormalizedRequest } | { ok: false; code: "invalid_request" | "uncertain"; reason: string; field?: string; action?: string };

// The request fields of each built-in action, from the action schema, precomputed
// so that the per-request shape check allocates nothing.
const FIELDS = new Map<string, ReadonlyMap<string, FieldSpec>>(Object.keys(ACTION_SCHEMA).map((a) => [a, new Map(Object.entries(requestFields(a)))]));
const CUSTOM_FIELDS = new Map(Object.entries(requestFields("custom.action")));

export const MAX_COMMAND_LENGTH = ACTION_SCHEMA["shell.execute"].fields.command.max;
const MAX_CONTEXT_JSON = 65_536;
const MAX_OBJECT_DEPTH = 100;
const METHOD = /^[A-Za-z]{1,32}$/;

/** A request the engine cannot take as it is: which field, and why. */
class Bad extends Error {
  constructor(
    message: string,
    readonly field?: string,
    readonly code: "invalid_request" | "uncertain" = "invalid_request",
  ) {
    super(message);
  }
}

/** What request normalization takes from the policy. */
export interface RequestOptions {
  cwd?: string;
  /** directories whose programs are the same as their bare names (policy `commandPaths`) */
  commandPaths?: readonly string[];
  /** assignments a command may carry (policy `shell.allowAssignments`) */
  allowAssignments?: readonly string[];
  /**
   * Check the words of programs the engine does not model as files they may
   * touch (`jq . .env`). Only deny and require_approval rules can act on
   * those, so the compiled policy turns this on when it has such a rule for
   * files; off by default.
   */
  possibleFiles?: boolean;
  /** the same for URL words (`python fetch.py http://169.254.169.254/`), turned on by deny rules on the network */
  possibleNetwork?: boolean;
}

export function normalizeRequest(input: unknown, opts: RequestOptions = {}): RequestResult {
  if (input === null || typeof input !== "object" || Array.isArray(input)) {
    return {
      ok: false,
      code: "invalid_request",
      reason: `request must be a JSON object, got ${input === null ? "null" : Array.isArray(input) ? "an array" : typeof input}`,
    };
  }
  // Every read is of an own property: a polluted Object.prototype (`agent`, `path`) never fills a field in.
  const r = input as Record<string, unknown>;
  if (!Object.hasOwn(r, "action")) return { ok: false, code: "invalid_request", reason: "request has no `action`", field: "action" };
  const name = r.action;
  if (typeof name !== "string") return { ok: false, code: "invalid_request", reason: "`action` must be a string", field: "action" };
  if (name.length > 256 || CONTROL.test(name) || !wellFormed(name))
    return { ok: false, code: "invalid_request", reason: `\`action\` \`${printable(name.slice(0, 256))}\` is not an action name`, field: "action" };
  const parsed = canonicalAction(name);
  if (!parsed.ok) return { ok: false, code: "invalid_request", reason: parsed.message + (parsed.help ? ` (${parsed.help})` : ""), field: "action" };
  if (parsed.wildcard) return { ok: false, code: "invalid_request", reason: `\`${name}\` is a pattern; a request names one action`, field: "action" };
  const action = parsed.action;
  try {
    return { ok: true, request: build(action, r, opts) };
  } catch (e) {
    if (!(e instanceof Bad)) throw e;
    const out: RequestResult = { ok: false, code: e.code, reason: e.message, action };
    if (e.field !== undefined) out.field = e.field;
    return out;
  }
}

function build(action: string, r: Record<string, unknown>, opts: RequestOptions): NormalizedRequest {
  const fields = FIELDS.get(action) ?? CUSTOM_FIELDS;
  for (const k in r) {
    if (Object.hasOwn(r, k) && !fields.has(k))
      throw new Bad(`field \`${printable(k)}\` does not belong to a \`${action}\` request (fields: ${[...fields.keys()].join(", ")})`, k);
  }
  const max = (k: string) => fields.get(k)?.max ?? 1024;
  // No prototype: a polluted Object.prototype.agent is not an agent the rules see.
  const base = { __proto__: null, action } as unknown as Subject;
  const agent = optString(r, "agent", max("agent"));
  if (agent !== undefined) base.agent = agent;
  const context = own(r, "context");
  if (context !== undefined) base.context = jsonObject(context, "context");
  const args = own(r, "arguments");
  if (args !== undefined) base.arguments = jsonObject(args, "arguments");
  const id = optString(r, "id", max("id"));
  const out: NormalizedRequest = { action, subjects: [] };
  if (id !== undefined) out.id = id;
  const ownCwd = optString(r, "cwd", max("cwd"));
  // The request's cwd is checked here, for every action, whether or not a path is resolved against it.
  if (ownCwd !== undefined) {
    if (!ownCwd.startsWith("/")) throw new Bad(`cwd: cwd \`${printable(ownCwd)}\` must be absolute`, "cwd");
    resolve(ownCwd, undefined, "cwd");
  }
  const cwd = ownCwd ?? opts.cwd;

  switch (action) {
    case "file.read":
    case "file.write":
    case "file.delete": {
      base.path = resolve(reqString(r, "path", max("path")), cwd, "path");
      const recursive = optFlag(r, "recursive");
      const names = optString(r, "names", max("names"));
      if (names !== undefined && recursive !== true) throw new Bad("`names` narrows a recursive request; send it with `recursive: true`", "names");
      out.subjects.push(base);
      // The path itself (a file searched, or the directory listed), and every file below it.
      if (recursive === true) {
        for (const t of treeTemplates(base.path, names))
          out.subjects.push({ __proto__: null, ...base, path: templateSource(t), templates: { path: t } } as unknown as Subject);
      }
      break;
    }
    case "env.read": {
      const key = reqString(r, "key", max("key"));
      if (!ENV_NAME.test(key))
        throw new Bad(
          `\`key\` \`${printable(key.slice(0, 256))}\` is not an environment variable name (letters, digits and \`_\`, not starting with a digit; no \`=\`, \`*\`, \`$\`, spaces)`,
          "key",
        );
      base.key = key;
      out.subjects.push(base);
      break;
    }
    case "mcp.call": {
      base.server = reqString(r, "server", max("server"));
      base.tool = reqString(r, "tool", max("tool"));
      out.subjects.push(base);
      break;
    }
    case "network.request":
      out.subjects.push(...network(r, base, max));
      break;
    case "shell.execute": {
      const sh = shell(reqString(r, "command", max("command")), cwd, base, opts);
      out.subjects.push(...sh.subjects);
      break;
    }
    default:
      out.subjects.push(base);
  }
  return out;
}

function network(r: Record<string, unknown>, base: Subject, max: (k: string) => number): Subject[] {
  const url = optString(r, "url", max("url"));
  const host = optString(r, "host", max("host"));
  const scheme = optString(r, "scheme", max("scheme"));
  let port: number | undefined;
  const rawPort = own(r, "port");
  if (rawPort !== undefined) {
    if (typeof rawPort !== "number" || !Number.isInteger(rawPort) || rawPort < 1 || rawPort > 65535)
      throw new Bad("`port` must be an integer from 1 to 65535", "port");
    port = rawPort;
  }
  if (url === undefined && host === undefined) throw new Bad("a `network.request` needs `url` or `host`", "url");
  const target = url !== undefined ? normalizeUrl(url) : normalizeHostTarget(host!, port, scheme);
  if (!target.ok) throw new Bad(target.reason, target.field ?? (url !== undefined ? "url" : "host"), target.uncertain ? "uncertain" : "invalid_request");
  const t = target.target;
  if (url !== undefined) {
    // A request that names two different destinations is not one we can vouch for.
    if (host !== undefined) {
      const h = normalizeHostTarget(host, undefined, undefined);
      if (!h.ok) throw new Bad(h.reason, "host");
      if (h.target.host !== t.host) throw new Bad(`\`host\` (${h.target.host}) and the host of \`url\` (${t.host}) disagree`, "host");
    }
    if (port !== undefined && port !== t.port) throw new Bad(`\`port\` (${port}) and the port of \`url\` (${t.port}) disagree`, "port");
    if (scheme !== undefined && scheme.toLowerCase() !== t.scheme) throw new Bad(`\`scheme\` and the scheme of \`url\` disagree`, "scheme");
  }
  const subject = base;
  subject.host = t.host;
  subject.port = t.port;
  subject.scheme = t.scheme;
  // A host-form request may carry any URL on the host: `url` rules see that set (below).
  if (t.url !== undefined) subject.url = t.url;
  const method = optString(r, "method", max("method"));
  if (method !== undefined) {
    if (!METHOD.test(method)) throw new Bad(`\`method\` \`${printable(method)}\` is not an HTTP method`, "method");
    subject.method = method.toUpperCase();
  }
  // An IPv6 address that carries an IPv4 address (NAT64, 6to4, Teredo) is also
  // a request to that IPv4 host, and a path a server may read as another path
  // (`%2F`, `..;/`) is also a request for that path: every form must be allowed.
  // A ws:// or wss:// connection is also the http(s) GET of its handshake (the same
  // port: ws and http default to 80, wss and https to 443).
  const hsScheme = handshakeScheme(t.scheme);
  const urls = t.url === undefined ? [] : [t.url, ...(t.serverUrl !== undefined ? [t.serverUrl] : [])];
  const readingUrls = urls.flatMap((u) => {
    const hs = handshakeUrl(u);
    return hs === undefined ? [u] : [u, hs];
  });
  // A host-form reading is the template of one scheme (or, with no `scheme` sent, of every scheme).
  const hostFormOf = (h: string, sch: string) => hostFormUrl(sch, h, t.port, scheme !== undefined);
  const formSchemes = [t.scheme, ...(hsScheme !== undefined ? [hsScheme] : [])];
  // The IPv4 form of the request is a request for the same URL at that IPv4 host, so `url` rules see it too.
  const at = (url: string, h: string) => url.replace(`//[${t.host}]`, `//${h}`);
  const forms = hostForms(t.host);
  const readings = t.url === undefined ? formSchemes.length : readingUrls.length;
  // the common case (one host form, one reading): the subject itself, no copies
  if (forms.length === 1 && readings === 1) {
    if (t.url === undefined) subject.templates = { url: hostFormOf(t.host, t.scheme) };
    return [subject];
  }
  return forms.flatMap((h): Subject[] => {
    const form: Subject = h === t.host ? subject : { ...subject, host: h };
    if (t.url === undefined) return formSchemes.map((sch) => ({ ...form, templates: { url: hostFormOf(h, sch) } }));
    return readingUrls.map((u) => ({ ...form, url: h === t.host ? u : at(u, h) }));
  });
}

function shell(command: string, cwd: string | undefined, base: Subject, opts: RequestOptions): { subjects: Subject[] } {
  if (command.trim().length === 0) throw new Bad("`command` is empty", "command");
  if (command.includes("\u0000")) throw new Bad("`command` contains a NUL byte", "command");
  const like = (): Subject => {
    const s: Subject = { action: "shell.execute" };
    if (base.agent !== undefined) s.agent = base.agent;
    if (base.context !== undefined) s.context = base.context;
    return s;
  };
  const shellOpts: AnalyzeOptions = {};
  if (opts.commandPaths !== undefined) shellOpts.commandPaths = opts.commandPaths;
  if (opts.allowAssignments !== undefined) shellOpts.allowAssignments = opts.allowAssignments;
  if (opts.possibleFiles !== undefined) shellOpts.possibleFiles = opts.possibleFiles;
  if (opts.possibleNetwork !== undefined) shellOpts.possibleNetwork = opts.possibleNetwork;
  const r = shellSubjects(command, cwd, like, shellOpts);
  if (!r.ok) throw new Bad(r.code === "uncertain" ? r.reason : r.reason.replace(/^invalid request: /, ""), "command", r.code);
  return { subjects: r.subjects };
}

function resolve(raw: string, cwd: string | undefined, what: string, field = what): string {
  const p = normalizePath(raw, cwd);
  if (!p.ok) throw p.code === "uncertain" ? new Bad(p.reason, field, "uncertain") : new Bad(`${what}: ${p.reason}`, field);
  return p.path;
}

/** An own property of the request, or undefined: never one inherited from a prototype. */
function own(r: Record<string, unknown>, k: string): unknown {
  return Object.hasOwn(r, k) ? r[k] : undefined;
}

function reqString(r: Record<string, unknown>, k: string, max: number): string {
  const v = optString(r, k, max);
  if (v === undefined) throw new Bad(`a \`${printable(String(r.action))}\` request needs \`${k}\``, k);
  return v;
}

// Control characters (C0, DEL, C1) in a name-like field: a NUL ends the string
// for C consumers, CR/LF forge lines in logs, and terminals act on the rest.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
// A command line legitimately holds tabs and newlines (they are shell syntax); nothing else.
const COMMAND_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;
// POSIX: an environment variable name is letters, digits and `_`, not starting with a digit.
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
// Fields where a stray control character is not a malformed request but a reading
// that consumers disagree on (URL parsers drop tabs and newlines): uncertain.
const UNCERTAIN_CONTROL = new Set(["url", "host"]);

function optFlag(r: Record<string, unknown>, k: string): boolean | undefined {
  const v = own(r, k);
  if (v === undefined) return undefined;
  if (typeof v !== "boolean") throw new Bad(`\`${k}\` must be true or false, got ${v === null ? "null" : Array.isArray(v) ? "an array" : typeof v}`, k);
  return v;
}

function optString(r: Record<string, unknown>, k: string, max: number): string | undefined {
  const v = own(r, k);
  if (v === undefined) return undefined;
  if (typeof v !== "string") throw new Bad(`\`${k}\` must be a string, got ${v === null ? "null" : Array.isArray(v) ? "an array" : typeof v}`, k);
  if (v.length > max) throw new Bad(`\`${k}\` is longer than ${max} characters`, k);
  // Other control characters in paths are checked segment by segment by normalizePath, which names the segment.
  const control = (k === "path" || k === "cwd" ? /\u0000/ : k === "command" ? COMMAND_CONTROL : CONTROL).exec(v);
  if (control) {
    const c = `U+${control[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, "0")}`;
    if (control[0] === "\u0000") throw new Bad(`\`${k}\` contains a NUL byte`, k);
    if (k === "command")
      throw new Bad(
        `uncertain: \`command\` contains the control character ${c}; shells, terminals and logs read it differently (only tab and newline are taken)`,
        k,
        "uncertain",
      );
    if (UNCERTAIN_CONTROL.has(k)) throw new Bad(`uncertain: \`${k}\` contains the control character ${c}, which consumers read differently`, k, "uncertain");
    throw new Bad(`\`${k}\` contains the control character ${c}`, k);
  }
  if (!wellFormed(v)) throw new Bad(`\`${k}\` holds a lone surrogate (not well-formed Unicode); consumers would replace or reject it`, k);
  return v;
}

/**
 * Free-form request data (`context`, `arguments`) must be plain JSON, as the
 * rules and the audit record read it: plain objects and arrays, strings,
 * finite numbers, booleans, null. In-process callers can hand over anything
 * (Infinity, a Date, a function, a cycle); such a value is refused here, not
 * silently turned into something else by JSON.stringify.
 */
function jsonObject(v: unknown, k: string): Record<string, unknown> {
  if (v === null || typeof v !== "object" || Array.isArray(v)) throw new Bad(`\`${k}\` must be an object`, k);
  const problem = notPlainJson(v, k, 0);
  if (problem) throw new Bad(problem, k);
  const size = JSON.stringify(v).length;
  if (size > MAX_CONTEXT_JSON) throw new Bad(`\`${k}\` is larger than ${MAX_CONTEXT_JSON} bytes of JSON`, k);
  return v as Record<string, unknown>;
}

function notPlainJson(v: unknown, at: string, depth: number): string | undefined {
  switch (typeof v) {
    case "string":
      return wellFormed(v) ? undefined : `\`${at}\` holds a lone surrogate (not well-formed Unicode)`;
    case "number":
      return Number.isFinite(v) ? undefined : `\`${at}\` is ${v}, which JSON cannot carry`;
    case "boolean":
      return undefined;
    case "object": {
      if (v === null) return undefined;
      if (depth >= MAX_OBJECT_DEPTH) return `\`${at}\` is nested deeper than ${MAX_OBJECT_DEPTH} levels (or is circular)`;
      if (Array.isArray(v)) {
        for (let i = 0; i < v.length; i++) {
          const p = notPlainJson(v[i], `${at}[${i}]`, depth + 1);
          if (p) return p;
        }
        return undefined;
      }
      const proto = Object.getPrototypeOf(v);
      if (proto !== Object.prototype && proto !== null) return `\`${at}\` is not plain JSON (an object of a class)`;
      for (const key of Object.keys(v)) {
        if (!wellFormed(key)) return `a key in \`${at}\` holds a lone surrogate`;
        const p = notPlainJson((v as Record<string, unknown>)[key], `${at}.${key}`, depth + 1);
        if (p) return p;
      }
      return undefined;
    }
    default:
      return `\`${at}\` is not plain JSON (${typeof v})`;
  }
}
