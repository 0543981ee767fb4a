import { parseArgs } from "node:util";
import type { Decision } from "../engine/decision.js";
import { strictest } from "../engine/decision.js";
import type { SafeClawGate } from "../sdk/gate.js";
import { Gate } from "../sdk/remote-gate.js";
import { mapToolCall } from "../sdk/tool-mapping.js";
import { decideRequests } from "../sdk/decide-requests.js";
import type { AuditLog } from "../audit/audit-log.js";
import { stdioGateFromFiles } from "../sdk/file-gate.js";
import type { Io } from "./io.js";
import { CliExit, EXIT } from "./load-or-exit.js";
import { ConfigError, parseAgentName } from "../runtime/runtime-config.js";
import { parseStrictJson } from "../request/strict-json.js";
import { hookGuardSource } from "../runtime/node/hook-guard.js";
import { withEventContext } from "../sdk/claude-code-context.js";
import { approvalNote } from "../sdk/approval-message.js";
import { loadPolicy } from "../engine/load-policy.js";
import { createEngine } from "../engine/engine.js";
import { formatPolicyError } from "../policy/errors.js";

/**
 * The settings command the README and help show: the project's installed binary by path
 * (npx could resolve a registry package of the same name), and exit 2 with a reason when
 * it cannot start: Claude Code runs a tool whose hook exits with anything but 0 or 2.
 */
export const CLAUDE_CODE_HOOK_COMMAND = `"$CLAUDE_PROJECT_DIR"/node_modules/.bin/safeclaw hook claude-code --policy "$CLAUDE_PROJECT_DIR/safeclaw.config.yaml" || { echo "SafeClaw hook could not run; denied" >&2; exit 2; }`;

export const HOOK_HELP = `usage: safeclaw hook claude-code (--policy <file|dir> | --endpoint <url> [--token <t>]) [--agent <name>]

A Claude Code PreToolUse hook: reads the hook event (JSON) on stdin and prints
{"hookSpecificOutput": {"hookEventName": "PreToolUse", "permissionDecision":
"allow" | "deny" | "ask", "permissionDecisionReason": "..."}} on stdout.
require_approval becomes "ask". Anything that goes wrong is a "deny".
The token may also come from SAFECLAW_TOKEN, the endpoint from SAFECLAW_ENDPOINT.
Every request carries agent <name>: --agent, else SAFECLAW_AGENT, else
"claude-code" (never taken from the hook event: a session id is not an
identity, and a new one would reset per-agent rate limits). With a token that
names an agent (SAFECLAW_API_TOKENS=name:token on the server), give that name.

Only PreToolUse events are answered: an event that names another
hook_event_name exits 2 with the reason on stderr (Claude Code's blocking
answer), as does an unknown hook kind. The event's session_id and tool_use_id
go into each request's context and the audit record (context, not identity).

.claude/settings.json (the project's own binary, never a name npx could fetch;
the \`|| ... exit 2\` turns a launcher that cannot start into a deny):
  {"hooks": {"PreToolUse": [{"matcher": "*", "hooks": [{"type": "command",
    "command": ${JSON.stringify(CLAUDE_CODE_HOOK_COMMAND)}}]}]}}`;

const TO_CLAUDE = { allow: "allow", deny: "deny", require_approval: "ask" } as const;

export async function hookCommand(args: string[], io: Io, env: Record<string, string | undefined>): Promise<number> {
  const [kind, ...rest] = args;
  // Exit 2, not the usage code: a hook that exits 64 lets Claude Code run the tool.
  if (kind !== "claude-code") throw new CliExit(EXIT.denied, `safeclaw hook: unknown hook \`${kind ?? ""}\` (supported: claude-code)\n\n${HOOK_HELP}`);
  const answer = (d: Pick<Decision, "decision" | "reason"> & Partial<Pick<Decision, "approval">> & { rule?: string | null }) => {
    // "ask" shows the reason to the user, "deny" to the model: the approval a server created is named to each in its words.
    const note = approvalNote(d, d.decision === "require_approval" ? "user" : "agent");
    const reason =
      d.decision === "allow"
        ? `SafeClaw: allowed${d.rule ? ` by ${d.rule}` : ""}`
        : `SafeClaw${d.rule ? ` (${d.rule})` : ""}: ${d.reason}${note && `.${note}`}`;
    io.stdout(
      JSON.stringify({ hookSpecificOutput: { hookEventName: "PreToolUse", permissionDecision: TO_CLAUDE[d.decision], permissionDecisionReason: reason } }),
    );
    return EXIT.ok;
  };
  let values: Record<string, unknown>;
  try {
    values = parseArgs({
      args: rest,
      options: { policy: { type: "string", multiple: true, short: "p" }, endpoint: { type: "string" }, token: { type: "string" }, agent: { type: "string" } },
      strict: true,
    }).values;
  } catch (e) {
    // A usage error exits non-zero, and Claude Code lets a tool call go ahead when a
    // hook exits with anything but 0 (with an answer) or 2: a mistyped flag must be a deny.
    io.stderr(`safeclaw hook: ${(e as Error).message}`);
    return answer({ decision: "deny", reason: `the hook is misconfigured (${(e as Error).message}); denied` });
  }
  let agent: string;
  try {
    agent = parseAgentName(
      (values.agent as string | undefined) ?? (env.SAFECLAW_AGENT || undefined) ?? "claude-code",
      values.agent !== undefined ? "--agent" : "SAFECLAW_AGENT",
    );
  } catch (e) {
    if (e instanceof ConfigError) return answer({ decision: "deny", reason: `${e.message}; denied` });
    throw e;
  }
  try {
    let text = "";
    if (io.stdin) for await (const chunk of io.stdin) text += chunk;
    // Read strictly, as every other door does: a duplicated key (`file_path` twice) is one path to us and another to a first-wins reader.
    const parsed = parseStrictJson(text);
    if (!parsed.ok)
      return answer({
        decision: "deny",
        reason: parsed.problem === "syntax" ? "hook input is not JSON; denied" : `hook input has more than one reading (${parsed.message}); denied`,
      });
    const event = parsed.value as {
      hook_event_name?: unknown;
      tool_name?: unknown;
      tool_input?: unknown;
      cwd?: unknown;
      session_id?: unknown;
      tool_use_id?: unknown;
    } | null;
    // A PreToolUse answer to another event is read as nothing (or as that event's own
    // fields): exit 2 blocks what the event guards, where it guards anything, and says why.
    // An event without the field is read as PreToolUse (the decision is made the same way).
    if (event !== null && typeof event === "object" && event.hook_event_name !== undefined && event.hook_event_name !== "PreToolUse") {
      io.stderr(
        `SafeClaw: \`safeclaw hook claude-code\` answers PreToolUse events only, not ${JSON.stringify(event.hook_event_name)}; register it under hooks.PreToolUse. Denied.`,
      );
      return EXIT.denied;
    }
    if (typeof event?.tool_name !== "string") return answer({ decision: "deny", reason: "hook input has no tool_name; denied" });
    const endpoint = (values.endpoint as string | undefined) ?? env.SAFECLAW_ENDPOINT;
    const policies = (values.policy as string[] | undefined) ?? [];
    let gate: SafeClawGate;
    let audit: AuditLog | undefined;
    const projectDir = env.CLAUDE_PROJECT_DIR || (typeof event.cwd === "string" ? event.cwd : undefined);
    const guardInput = {
      policies,
      cwd: io.cwd,
      ...(projectDir ? { projectDir } : {}),
      ...(env.HOME ? { home: env.HOME } : {}),
      ...(env.CLAUDE_CONFIG_DIR ? { claudeConfigDir: env.CLAUDE_CONFIG_DIR } : {}),
    };
    const ctx = { ...(typeof event.cwd === "string" ? { cwd: event.cwd } : {}), agent };
    const requests = withEventContext(mapToolCall(event.tool_name, event.tool_input, ctx), event);
    if (policies.length > 0) {
      const guard = (auditFile: string | undefined) => hookGuardSource({ ...guardInput, ...(auditFile ? { auditFile } : {}) });
      const g = await stdioGateFromFiles(policies, { env, instance: { runtime: "claude-code-hook" }, chainParts: ["hook"], log: io.stderr, guard });
      if (!g.ok && g.problem === "invalid-policy") return answer({ decision: "deny", reason: `policy is invalid (${g.errors.join("; ")}); denied` });
      if (!g.ok)
        return answer({ decision: "deny", reason: "audit to stdout is not possible inside a hook (stdout is the answer); use a file or s3:// sink; denied" });
      gate = g.gate;
      audit = g.audit;
    } else if (endpoint) {
      // The endpoint's policy cannot name this machine's settings files: they are guarded here,
      // before asking (a guarded write is denied without a remote record; stderr says so).
      const local = await loadPolicy([hookGuardSource(guardInput, "allow")]);
      if (!local.ok) return answer({ decision: "deny", reason: `the hook's guard does not load (${local.errors.map(formatPolicyError).join("; ")}); denied` });
      const guarded = strictest(requests.map((q) => createEngine(local.policy).check(q)));
      if (guarded.decision !== "allow") {
        io.stderr(`safeclaw hook: ${guarded.reason} (decided locally, not sent to ${endpoint})`);
        return answer(guarded);
      }
      const token = (values.token as string | undefined) ?? env.SAFECLAW_TOKEN;
      gate = new Gate({ endpoint, ...(token ? { token } : {}) });
    } else return answer({ decision: "deny", reason: "the hook has neither --policy nor --endpoint; denied" });

    const verdict = await decideRequests(gate, requests);
    await audit?.close();
    return answer(verdict);
  } catch (e) {
    return answer({ decision: "deny", reason: `hook failed (${(e as Error).message}); denied` });
  }
}
