import { parseArgs } from "node:util";
import type { ApprovalView } from "../approval/approval-view.js";
import { APPROVAL_ID, APPROVAL_STATUSES, type ApprovalStatus } from "../approval/state-store.js";
import { clip, targetSummary, visible } from "../approval/target-summary.js";
import { ApprovalsClient, type ApiResult } from "../sdk/approvals-client.js";
import type { Io } from "./io.js";
import { CliExit, EXIT } from "./load-or-exit.js";

export const APPROVALS_HELP = `usage: safeclaw approvals <list|show|approve|reject> [options]

Reads and decides the approvals a require_approval rule asked for, over the
server's approvals API (an approver token: SAFECLAW_APPROVER_TOKENS on the server).

  approvals list [--status pending|approved|rejected|expired|used] [--limit N] [--json]
      newest first: id, status, agent, action, target, rule, age (N: 1-1000, default 50)
  approvals show <id> [--json]
      everything the approval holds, the request as it was decided included
  approvals approve <id> [--reason <text>] [--by <name>]
      the agent's retry with "approval": "<id>" is then allowed, once
  approvals reject <id> --reason <text> [--by <name>]
      the agent's retry is denied with the reason

  --endpoint <url>  the server (default SAFECLAW_ENDPOINT)
  --token <t>       an approver token (default SAFECLAW_APPROVER_TOKEN; never printed)
  --by <name>       who decides, when the token does not name an approver
  --json            the API's answer as JSON on stdout

exit 0 ok, 1 the API said no or could not be reached (the message names the
HTTP status and the API's error; deciding twice says who decided first),
64 usage (a missing or malformed argument, an id that is not apr_ + 26 characters)`;

type Values = Record<string, string | boolean | (string | boolean)[] | undefined>;

export async function approvalsCommand(args: string[], io: Io, env: Record<string, string | undefined>): Promise<number> {
  const [sub, ...rest] = args;
  if (!sub || !["list", "show", "approve", "reject"].includes(sub))
    throw new CliExit(EXIT.usage, `safeclaw approvals: unknown subcommand \`${sub ?? ""}\`\n\n${APPROVALS_HELP}`);
  const { values, positionals } = parse(rest, {
    endpoint: { type: "string" },
    token: { type: "string" },
    json: { type: "boolean" },
    ...(sub === "list" ? { status: { type: "string" }, limit: { type: "string" } } : {}),
    ...(sub === "approve" || sub === "reject" ? { reason: { type: "string" } } : {}),
    ...(sub === "approve" || sub === "reject" ? { by: { type: "string" } } : {}),
  });
  const endpoint = (values.endpoint as string | undefined) ?? env.SAFECLAW_ENDPOINT;
  if (!endpoint) throw new CliExit(EXIT.usage, "safeclaw approvals: no server: give --endpoint <url> or set SAFECLAW_ENDPOINT");
  if (!/^https?:\/\//i.test(endpoint)) throw new CliExit(EXIT.usage, "safeclaw approvals: --endpoint must be an http:// or https:// URL");
  const token = (values.token as string | undefined) ?? (env.SAFECLAW_APPROVER_TOKEN || undefined);
  const client = new ApprovalsClient({ endpoint, ...(token ? { token } : {}) });
  if (sub === "list") {
    if (positionals.length > 0) throw new CliExit(EXIT.usage, `safeclaw approvals list: unexpected argument \`${positionals[0]}\``);
    return list(client, values, io);
  }
  const id = idOf(sub, positionals);
  if (sub === "show") return show(client, id, values, io);
  return decide(client, sub as "approve" | "reject", id, values, io);
}

function parse(args: string[], options: NonNullable<Parameters<typeof parseArgs>[0]>["options"]) {
  try {
    return parseArgs({ args, options: options ?? {}, allowPositionals: true, strict: true });
  } catch (e) {
    throw new CliExit(EXIT.usage, `safeclaw approvals: ${(e as Error).message}`);
  }
}

function idOf(sub: string, positionals: string[]): string {
  if (positionals.length !== 1) throw new CliExit(EXIT.usage, `safeclaw approvals ${sub}: give one approval id (apr_...)`);
  const id = positionals[0]!;
  if (!APPROVAL_ID.test(id))
    throw new CliExit(EXIT.usage, `safeclaw approvals ${sub}: \`${clip(visible(id), 60)}\` is not an approval id (apr_ and 26 lower-case base32 characters)`);
  return id;
}

/** An API error as exit 1 with a message a person can act on. */
function fail<T>(r: ApiResult<T>, what: string): never {
  if (r.ok) throw new Error("not a failure");
  let hint = "";
  if (r.status === 401) hint = " (check --token or SAFECLAW_APPROVER_TOKEN: an approver token)";
  else if (r.status === 403 && r.code === "forbidden") hint = " (an agent token cannot do this: use an approver token)";
  else if (r.approval && r.code === "already_decided") {
    const a = r.approval;
    hint = `: ${a.id} was already ${a.status}${a.decidedBy ? ` by ${visible(a.decidedBy)}` : ""}${a.decidedAt ? ` at ${a.decidedAt}` : ""}`;
  } else if (r.approval && r.code === "expired") hint = `: ${r.approval.id} expired at ${r.approval.expiresAt}`;
  throw new CliExit(EXIT.invalid, `safeclaw approvals: ${what}: ${visible(r.message)}${hint}`);
}

async function list(client: ApprovalsClient, values: Values, io: Io): Promise<number> {
  const status = values.status as string | undefined;
  if (status !== undefined && !(APPROVAL_STATUSES as readonly string[]).includes(status))
    throw new CliExit(EXIT.usage, `safeclaw approvals list: --status must be one of ${APPROVAL_STATUSES.join(", ")}`);
  const limitText = (values.limit as string | undefined) ?? "50";
  if (!/^\d{1,4}$/.test(limitText) || Number(limitText) < 1 || Number(limitText) > 1000)
    throw new CliExit(EXIT.usage, "safeclaw approvals list: --limit must be a whole number from 1 to 1000");
  const limit = Number(limitText);
  // The API gives at most 100 a page: follow `next` until the limit is reached.
  const all: ApprovalView[] = [];
  let cursor: string | undefined;
  let more = false;
  do {
    const r = await client.list({
      ...(status ? { status: status as ApprovalStatus } : {}),
      limit: Math.min(100, limit - all.length),
      ...(cursor ? { cursor } : {}),
    });
    if (!r.ok) fail(r, "list");
    all.push(...r.value.approvals);
    cursor = r.value.next;
    // An empty page with a `next` would loop forever: a server that does that has nothing more to show.
    more = cursor !== undefined && r.value.approvals.length > 0;
  } while (more && all.length < limit);
  if (values.json) {
    io.stdout(JSON.stringify({ approvals: all.slice(0, limit) }, null, 2));
    return EXIT.ok;
  }
  if (all.length === 0) {
    io.stdout(`no approvals${status ? ` with status ${status}` : ""}`);
    return EXIT.ok;
  }
  io.stdout(table(all.slice(0, limit), Date.now()));
  if (more) io.stderr(`safeclaw approvals: more than ${limit}; give --limit (up to 1000) or --status to see others`);
  return EXIT.ok;
}

function table(rows: ApprovalView[], now: number): string {
  const cells = rows.map((a) => [
    a.id,
    a.status,
    cell(a.agent ?? "-", 20),
    cell(a.action ?? "-", 24),
    cell(targetSummary(a.request, 40) || "-", 40),
    cell(a.rule ?? "-", 24),
    age(now - Date.parse(a.createdAt)),
  ]);
  const head = ["ID", "STATUS", "AGENT", "ACTION", "TARGET", "RULE", "AGE"];
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => [...c[i]!].length)));
  const line = (c: string[]) =>
    c
      .map((v, i) => (i === c.length - 1 ? v : v + " ".repeat(widths[i]! - [...v].length)))
      .join("  ")
      .trimEnd();
  return [line(head), ...cells.map(line)].join("\n");
}

const cell = (text: string, max: number) => clip(visible(text), max);

/** How long ago, in the largest unit that fits: 42s, 5m, 3h, 2d. */
export function age(ms: number): string {
  if (!Number.isFinite(ms)) return "?";
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86400) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}

async function show(client: ApprovalsClient, id: string, values: Values, io: Io): Promise<number> {
  const r = await client.get(id);
  if (!r.ok) fail(r, `show ${id}`);
  const a = r.value;
  if (values.json) {
    io.stdout(JSON.stringify(a, null, 2));
    return EXIT.ok;
  }
  const rows: Array<[string, string | undefined]> = [
    ["id", a.id],
    ["status", a.status],
    ["agent", a.agent],
    ["action", a.action],
    ["target", targetSummary(a.request, 200) || undefined],
    ["rule", a.rule ?? "(none)"],
    ["reason", a.reason],
    ["policy", a.policy],
    ["created", `${a.createdAt} (${age(Date.now() - Date.parse(a.createdAt))} ago)`],
    ["expires", a.expiresAt],
    ["decided by", a.decidedBy],
    ["decided at", a.decidedAt],
    ["decision reason", a.decisionReason],
    ["used at", a.usedAt],
    ["grant", a.grant],
  ];
  for (const [k, v] of rows) if (v !== undefined) io.stdout(`${(k + ":").padEnd(17)}${visible(v)}`);
  // JSON.stringify escapes control characters, so the request cannot write to the terminal either.
  io.stdout(`request:\n${JSON.stringify(a.request, null, 2).replace(/[\u007f-\u009f\u2028\u2029]/g, (c) => visible(c))}`);
  return EXIT.ok;
}

async function decide(client: ApprovalsClient, sub: "approve" | "reject", id: string, values: Values, io: Io): Promise<number> {
  const reason = values.reason as string | undefined;
  const by = values.by as string | undefined;
  if (sub === "reject" && !reason?.trim())
    throw new CliExit(EXIT.usage, "safeclaw approvals reject: give --reason <text> (the agent reads it, and so does the audit trail)");
  const r = await client.decide(id, { decision: sub, ...(by !== undefined ? { by } : {}), ...(reason !== undefined ? { reason } : {}) });
  if (!r.ok) fail(r, `${sub} ${id}`);
  const a = r.value;
  if (values.json) io.stdout(JSON.stringify(a, null, 2));
  else
    io.stdout(
      `${a.id} ${a.status}${a.decidedBy ? ` by ${visible(a.decidedBy)}` : ""}` +
        (a.status === "approved" ? `; the agent's retry with "approval": "${a.id}" is allowed once, until ${a.expiresAt}` : ""),
    );
  return EXIT.ok;
}
