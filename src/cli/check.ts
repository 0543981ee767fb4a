import type { Readable } from "node:stream";
import type { AuditLog } from "../audit/audit-log.js";
import { auditedCheck } from "../audit/audited-check.js";
import { createEngine, type Engine } from "../engine/engine.js";
import { deny, type Decision } from "../engine/decision.js";
import { parseStrictJson } from "../request/strict-json.js";
import { auditLogFromConfig } from "../runtime/node/audit-config.js";
import { CliExit, EXIT, loadPolicyOrExit } from "./load-or-exit.js";
import type { Io } from "./io.js";

export const CHECK_HELP = `usage: safeclaw check [--policy <file|dir>]... [--request '<json>'] [--explain] [--audit <sink>]

Decides requests against a policy.
  --policy <file|dir>  policy file or directory (repeatable; default: the current directory)
  --request '<json>'   decide one request and print its decision
  --explain            add the rules considered, and why each did or did not match
  --audit <sink>       record every decision: stdout, a file path, or s3://bucket/prefix
                       (default: SAFECLAW_AUDIT_SINK, then the policy's audit: block);
                       a stdout sink writes to stderr here (stdout carries the decisions)
Without --request, reads one JSON request per line on stdin (lines end at \\n
only; a CR inside a line is JSON whitespace) and prints one decision per
non-blank line, in order (a line that is not UTF-8 gets a bad_encoding deny). A request's string \`id\` is echoed as \`id\` in its
decision. A line that is not JSON, or JSON with more than one reading (a
duplicate key, a number out of range), gets a deny with an \`error\` field, and
the stream goes on. With an audit sink, each decision is printed only after its
record is durable; if it cannot be made durable and onAuditFailure is deny (the
default), the decision printed is a deny.

exit: 0 allowed (or stream done), 2 denied, 3 require_approval, 1 invalid policy, 64 usage`;

export interface CheckArgs {
  policy: string[];
  request?: string;
  explain: boolean;
  audit?: string;
}

export async function checkCommand(args: CheckArgs, io: Io, env: Record<string, string | undefined> = {}): Promise<number> {
  const { policy } = await loadPolicyOrExit(args.policy, io.stderr);
  const engine = createEngine(policy);
  let log: AuditLog | undefined;
  try {
    // stdout carries one decision per request line: a `stdout` audit sink writes to stderr
    // instead, or its records would be read as answers (and every later answer shift by three).
    log = await auditLogFromConfig({
      ...(args.audit !== undefined ? { sink: args.audit } : {}),
      env,
      policy,
      instance: { runtime: "cli" },
      chainParts: ["cli"],
      log: io.stderr,
      stdoutStream: "stderr",
    });
  } catch (e) {
    throw new CliExit(EXIT.usage, `safeclaw check: ${(e as Error).message}`);
  }
  const decide = (line: string) => decideLine(line, engine, log, args.explain, policy.digest);
  try {
    if (args.request !== undefined) {
      const d = await decide(args.request);
      io.stdout(JSON.stringify(d));
      return d.decision === "allow" ? EXIT.ok : d.decision === "deny" ? EXIT.denied : EXIT.approval;
    }
    if (!io.stdin) throw new CliExit(EXIT.usage, "safeclaw check: give --request or JSON lines on stdin");
    for await (const bytes of jsonLineBytes(io.stdin)) {
      const line = utf8(bytes);
      if (line === undefined) {
        io.stdout(JSON.stringify(await refuseEncoding(log, policy.digest)));
        continue;
      }
      if (line.trim() === "") continue;
      io.stdout(JSON.stringify(await decide(line)));
    }
    return EXIT.ok;
  } finally {
    await log?.close();
  }
}

/**
 * Lines as JSON Lines defines them: ended by \\n alone. readline would also end
 * a line at a lone \\r, which is whitespace inside JSON: one request would
 * become two answers and every later answer would shift by one. A line that
 * is not UTF-8 is passed on as text with U+FFFD, which no JSON request needs.
 */
export async function* jsonLines(input: Readable | AsyncIterable<Buffer | string>): AsyncGenerator<string> {
  const decoder = new TextDecoder("utf-8", { fatal: false });
  for await (const bytes of jsonLineBytes(input)) yield decoder.decode(bytes);
}

/** The same lines as bytes, for a reader that must refuse what is not UTF-8 rather than guess at it. */
export async function* jsonLineBytes(input: Readable | AsyncIterable<Buffer | string>): AsyncGenerator<Buffer> {
  let parts: Buffer[] = []; // the current line so far, joined only when it ends (a long line is not copied per chunk)
  for await (const raw of input as AsyncIterable<Buffer | string>) {
    const chunk = typeof raw === "string" ? Buffer.from(raw) : raw;
    let start = 0;
    for (let nl = chunk.indexOf(0x0a); nl >= 0; nl = chunk.indexOf(0x0a, start)) {
      parts.push(chunk.subarray(start, nl));
      yield parts.length === 1 ? parts[0]! : Buffer.concat(parts);
      parts = [];
      start = nl + 1;
    }
    if (start < chunk.length) parts.push(chunk.subarray(start));
  }
  if (parts.length > 0) yield Buffer.concat(parts);
}

const STRICT_UTF8 = new TextDecoder("utf-8", { fatal: true });

/** The line as text, or undefined when it is not UTF-8 (U+FFFD in its place would be a different path, key or host). */
function utf8(bytes: Buffer): string | undefined {
  try {
    return STRICT_UTF8.decode(bytes);
  } catch {
    return undefined;
  }
}

/** A line that is not UTF-8 is refused as the HTTP API refuses such a body (bad_encoding), and recorded. */
async function refuseEncoding(log: AuditLog | undefined, digest: string): Promise<Decision> {
  const d = deny("bad_encoding", "invalid request: request line is not valid UTF-8", { policy: digest });
  if (log) {
    const { durable, seq } = log.record({ type: "decision", decision: "deny", rule: null, reason: d.reason, policy: digest, error: d.error! });
    d.audit = { chain: log.chainId, seq };
    await log.flush();
    await durable.catch(() => undefined);
  }
  return d;
}

async function decideLine(line: string, engine: Engine, log: AuditLog | undefined, explain: boolean, digest: string): Promise<Decision> {
  const parsed = parseStrictJson(line);
  if (!parsed.ok) {
    // An unreadable line is still a request that was refused: it is recorded like any other.
    const d =
      parsed.problem === "syntax"
        ? deny("bad_json", `invalid request: request is ${parsed.message}`, { policy: digest })
        : deny("invalid_request", `invalid request: ${parsed.message}`, { policy: digest, ...(parsed.at !== "" ? { field: parsed.at } : {}) });
    if (log) {
      const { durable, seq } = log.record({ type: "decision", decision: "deny", rule: null, reason: d.reason, policy: digest, error: d.error! });
      d.audit = { chain: log.chainId, seq };
      await log.flush();
      await durable.catch(() => undefined);
    }
    return d;
  }
  const request = parsed.value;
  const d = log ? await auditedCheck(engine, log, request, { explain, flush: true }) : engine.check(request, { explain });
  return withRequestId(d, request);
}

/** The request's own `id`, first in its answer, so that a caller can match answers to requests. */
function withRequestId(d: Decision, request: unknown): Decision {
  if (request === null || typeof request !== "object" || !Object.hasOwn(request, "id")) return d;
  const id = (request as { id: unknown }).id;
  if (typeof id !== "string" || d.field === "id") return d;
  return { id, ...d };
}
