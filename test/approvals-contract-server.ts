import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { ApprovalView } from "../src/approval/approval-view.js";
import { APPROVAL_ID } from "../src/approval/state-store.js";

/**
 * The approvals API as docs/the issue-15 contract describes it, for client
 * tests that must not depend on the server's implementation (the CLI's
 * messages, paging, exit codes). Tests against the real server live in
 * test/approvals-e2e.test.ts. Tokens: `alice-token` (approver alice),
 * `anon-token` (unnamed approver), `agent-token` (agent ci-bot).
 */
export interface ContractServer {
  url: string;
  approvals: Map<string, ApprovalView>;
  /** every request's method, URL and authorization header */
  seen: Array<{ method: string; url: string; auth: string | undefined; body: string }>;
  close(): void;
}

const APPROVERS: Record<string, string | undefined> = { "alice-token": "alice", "anon-token": undefined };
const AGENTS: Record<string, string> = { "agent-token": "ci-bot" };

export function view(n: number, over: Partial<ApprovalView> = {}): ApprovalView {
  const id = `apr_${String(n).padStart(26, "0")}`;
  return {
    id,
    status: "pending",
    request: { action: "shell.execute", command: `terraform apply -target=mod.${n}`, agent: "ci-bot" },
    rule: "approve-infra",
    reason: "infrastructure changes need a human",
    agent: "ci-bot",
    action: "shell.execute",
    policy: "sha256:abc",
    createdAt: new Date(Date.now() - (n + 1) * 60_000).toISOString(),
    expiresAt: new Date(Date.now() + 15 * 60_000).toISOString(),
    ...over,
  };
}

export async function contractServer(initial: ApprovalView[]): Promise<ContractServer> {
  const approvals = new Map(initial.map((a) => [a.id, a]));
  const seen: ContractServer["seen"] = [];
  const server: Server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      seen.push({ method: req.method!, url: req.url!, auth: req.headers.authorization, body });
      const send = (status: number, json: unknown) => res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(json));
      const err = (status: number, code: string, message: string, extra: object = {}) => send(status, { error: { code, message }, ...extra });
      const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? "")?.[1];
      const approver = token !== undefined && token in APPROVERS;
      const agent = token !== undefined ? AGENTS[token] : undefined;
      if (!approver && agent === undefined) return err(401, "unauthorized", "missing or invalid bearer token");
      const u = new URL(req.url!, "http://x");
      if (u.pathname === "/v1/approvals" && req.method === "GET") {
        if (!approver) return err(403, "forbidden", "listing approvals needs an approver token");
        const status = u.searchParams.get("status");
        const limit = Number(u.searchParams.get("limit") ?? 50);
        const cursor = u.searchParams.get("cursor");
        let all = [...approvals.values()].filter((a) => !status || a.status === status).sort((a, b) => b.createdAt.localeCompare(a.createdAt));
        if (cursor) all = all.slice(all.findIndex((a) => a.id === cursor) + 1);
        const page = all.slice(0, limit);
        return send(200, all.length > limit ? { approvals: page, next: page.at(-1)!.id } : { approvals: page });
      }
      const m = /^\/v1\/approvals\/([^/]+)$/.exec(u.pathname);
      if (!m) return err(404, "not_found", "no such route");
      const id = decodeURIComponent(m[1]!);
      if (!APPROVAL_ID.test(id)) return err(400, "bad_id", "not an approval id");
      const a = approvals.get(id);
      if (req.method === "GET") {
        if (!a || (!approver && a.agent !== agent)) return err(404, "not_found", `no approval ${id}`);
        return send(200, a);
      }
      if (!approver) return err(403, "forbidden", "deciding needs an approver token");
      if (!a) return err(404, "not_found", `no approval ${id}`);
      let b: { decision?: unknown; by?: unknown; reason?: unknown };
      try {
        b = JSON.parse(body);
      } catch {
        return err(400, "bad_json", "body is not JSON");
      }
      if (b.decision !== "approve" && b.decision !== "reject") return err(400, "bad_request", "decision must be approve or reject");
      const name = APPROVERS[token];
      if (name !== undefined && b.by !== undefined && b.by !== name) return err(403, "forbidden", `this token is ${name}'s; by may not name someone else`);
      if (a.status === "expired") return err(409, "expired", `approval ${id} expired`, { approval: a });
      if (a.status !== "pending") return err(409, "already_decided", `approval ${id} is ${a.status}`, { approval: a });
      const by = name ?? (typeof b.by === "string" ? b.by : undefined);
      const next: ApprovalView = {
        ...a,
        status: b.decision === "approve" ? "approved" : "rejected",
        decidedAt: new Date().toISOString(),
        ...(by !== undefined ? { decidedBy: by } : {}),
        ...(typeof b.reason === "string" ? { decisionReason: b.reason } : {}),
      };
      approvals.set(id, next);
      return send(200, next);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    approvals,
    seen,
    close: () => {
      server.closeAllConnections();
      server.close();
    },
  };
}
