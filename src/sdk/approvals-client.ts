import type { ApprovalView } from "../approval/approval-view.js";
import { isApprovalView } from "../approval/is-approval-view.js";
import type { ApprovalStatus } from "../approval/state-store.js";

/**
 * The approvals API over HTTP (GET/POST /v1/approvals...), as the CLI and
 * the remote gate use it. Every answer is an `ApiResult`: the view(s) on
 * success, else what went wrong in words a person can act on (the HTTP
 * status, the API's error code and message). It never throws for an HTTP
 * or network problem, and never puts the token in a message.
 */
export interface ApprovalsClientOptions {
  endpoint: string;
  token?: string;
  timeoutMs?: number;
  fetch?: typeof fetch;
}

export type ApiResult<T> =
  | { ok: true; value: T }
  | {
      ok: false;
      /** 0 when no HTTP answer came (network error, timeout) or it was not one this API gives */
      status: number;
      code?: string;
      message: string;
      /** the approval as it is, for a 409 (already decided, expired) */
      approval?: ApprovalView;
    };

export interface ApprovalPage {
  approvals: ApprovalView[];
  next?: string;
}

export interface ListQuery {
  status?: ApprovalStatus;
  limit?: number;
  cursor?: string;
}

export interface DecideBody {
  decision: "approve" | "reject";
  by?: string;
  reason?: string;
}

export class ApprovalsClient {
  constructor(private readonly opts: ApprovalsClientOptions) {}

  list(q: ListQuery): Promise<ApiResult<ApprovalPage>> {
    const params = new URLSearchParams();
    if (q.status) params.set("status", q.status);
    if (q.limit !== undefined) params.set("limit", String(q.limit));
    if (q.cursor) params.set("cursor", q.cursor);
    const qs = params.toString();
    return this.call("GET", `/v1/approvals${qs ? `?${qs}` : ""}`, undefined, (b) => {
      const page = b as { approvals?: unknown; next?: unknown };
      if (!Array.isArray(page?.approvals) || !page.approvals.every(isApprovalView)) return undefined;
      if (page.next !== undefined && typeof page.next !== "string") return undefined;
      return page.next ? { approvals: page.approvals, next: page.next } : { approvals: page.approvals };
    });
  }

  get(id: string): Promise<ApiResult<ApprovalView>> {
    return this.call("GET", `/v1/approvals/${encodeURIComponent(id)}`, undefined, (b) => (isApprovalView(b) ? b : undefined));
  }

  decide(id: string, body: DecideBody): Promise<ApiResult<ApprovalView>> {
    return this.call("POST", `/v1/approvals/${encodeURIComponent(id)}`, body, (b) => (isApprovalView(b) ? b : undefined));
  }

  private async call<T>(method: string, path: string, body: unknown, parse: (b: unknown) => T | undefined): Promise<ApiResult<T>> {
    const url = this.opts.endpoint.replace(/\/+$/, "") + path;
    const timeoutMs = this.opts.timeoutMs ?? 10_000;
    const ctl = new AbortController();
    const timer = setTimeout(() => ctl.abort(), timeoutMs);
    let res: Response;
    let text: string;
    try {
      const headers: Record<string, string> = { accept: "application/json" };
      if (body !== undefined) headers["content-type"] = "application/json";
      if (this.opts.token) headers.authorization = `Bearer ${this.opts.token}`;
      res = await (this.opts.fetch ?? fetch)(url, {
        method,
        headers,
        signal: ctl.signal,
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      text = await res.text();
    } catch (e) {
      const why = ctl.signal.aborted ? `no answer within ${timeoutMs} ms` : `unreachable (${(e as Error)?.message ?? e})`;
      return { ok: false, status: 0, message: `${redactedOrigin(this.opts.endpoint)}: ${why}` };
    } finally {
      clearTimeout(timer);
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return { ok: false, status: res.status, message: `HTTP ${res.status}: the answer is not JSON` };
    }
    if (res.ok) {
      const value = parse(json);
      return value === undefined
        ? { ok: false, status: res.status, message: `HTTP ${res.status}: the answer is not one the approvals API gives` }
        : { ok: true, value };
    }
    const err = (json as { error?: { code?: unknown; message?: unknown } })?.error;
    const code = typeof err?.code === "string" ? err.code : undefined;
    const message = typeof err?.message === "string" ? err.message : "";
    const approval = (json as { approval?: unknown })?.approval;
    return {
      ok: false,
      status: res.status,
      ...(code !== undefined ? { code } : {}),
      message: `HTTP ${res.status}${code ? ` ${code}` : ""}${message ? `: ${message}` : ""}`,
      ...(isApprovalView(approval) ? { approval } : {}),
    };
  }
}

/** The endpoint without credentials a URL may carry (`https://user:pass@host`). */
function redactedOrigin(endpoint: string): string {
  try {
    const u = new URL(endpoint);
    u.username = "";
    u.password = "";
    return u.toString().replace(/\/+$/, "");
  } catch {
    return "the endpoint";
  }
}
