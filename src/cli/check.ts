import { createInterface } from "node:readline";
import type { AuditLog } from "../audit/audit-log.js";
import { auditedCheck } from "../audit/audited-check.js";
import { createEngine, type Engine } from "../engine/engine.js";
import { deny, type Decision } from "../engine/decision.js";
import { auditLogFromConfig } from "../runtime/node/audit-config.js";
import { CliExit, EXIT, loadPolicyOrExit } from "./load-or-exit.js";
import type { Io } from "./io.js";

export const CHECK_HELP = `usage: safeclaw check [--policy <file|dir>]... [--request '<json>'] [--explain] [--audit <sink>]

Decides requests against a policy.
  --policy <file|dir>  policy file or directory (repeatable; default: the current directory)
  --request '<json>'   decide one request and print its decision
  --explain            add the rules considered, and why each did or did not match
  --audit <sink>       record every decision: stdout, a file path, or s3://bucket/prefix
                       (default: SAFECLAW_AUDIT_SINK, then the policy's audit: block)
Without --request, reads one JSON request per line on stdin and prints one
decision per line, in order. A line that is not JSON gets a deny with an
\`error\` field, and the stream goes on. With an audit sink, each decision is
printed only after its record is durable; if it cannot be made durable and
onAuditFailure is deny (the default), the decision printed is a deny.

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
    log = await auditLogFromConfig({ ...(args.audit !== undefined ? { sink: args.audit } : {}), env, policy, instance: { runtime: "cli" }, chainParts: ["cli"], log: io.stderr });
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
    const lines = createInterface({ input: io.stdin, crlfDelay: Infinity });
    for await (const line of lines) {
      if (line.trim() === "") continue;
      io.stdout(JSON.stringify(await decide(line)));
    }
    return EXIT.ok;
  } finally {
    await log?.close();
  }
}

async function decideLine(line: string, engine: Engine, log: AuditLog | undefined, explain: boolean, digest: string): Promise<Decision> {
  let request: unknown;
  try {
    request = JSON.parse(line);
  } catch (e) {
    // An unparseable line is still a request that was refused: it is recorded like any other.
    request = { unparseable: line.slice(0, 200) };
    const d = deny("bad_json", `invalid request: request is not valid JSON: ${(e as Error).message}`, { policy: digest });
    if (log) {
      const { durable, seq } = log.record({ type: "decision", decision: "deny", rule: null, reason: d.reason, policy: digest, error: "bad_json" });
      d.audit = { chain: log.chainId, seq };
      await log.flush();
      await durable.catch(() => undefined);
    }
    return d;
  }
  if (!log) return engine.check(request, { explain });
  return auditedCheck(engine, log, request, { explain, flush: true });
}
