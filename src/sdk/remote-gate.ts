import { deny, type Decision, type DecisionErrorCode } from "../engine/decision.js";
import { withGuards, type SafeClawGate } from "./gate.js";
import { isDecision } from "./decide-requests.js";
import type { ApprovalView } from "../approval/approval-view.js";
import { APPROVAL_ID } from "../approval/state-store.js";
import { ApprovalsClient } from "./approvals-client.js";

/**
 * The remote gate: a sidecar or decision service over HTTP. It fails closed:
 * a timeout, a network error, a 5xx, a 401 or an answer it cannot parse is a
 * deny whose reason says so. Checks are retried (with backoff) only on
 * timeouts, network errors and 5xx; each attempt is its own audit record.
 */
export interface RemoteGateOptions {
  endpoint: string;
  token?: string;
  timeoutMs?: number;
  retries?: number;
  fetch?: typeof fetch;
}

function denied(reason: string, code: DecisionErrorCode): Decision {
  return deny(code, `safeclaw endpoint: ${reason}; denied`);
}

class Retryable extends Error {}

export interface WaitForApprovalOptions {
  /** how long to wait in all */
  timeoutMs: number;
  /** between two looks (default 2000, at least 100) */
  intervalMs?: number;
}

/** A `GET /v1/approvals/{id}` the token can never read (bad token, another agent's approval, no such id): waiting longer will not help. */
export class ApprovalLookupError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code?: string,
  ) {
    super(message);
    this.name = "ApprovalLookupError";
  }
}

export class Gate implements SafeClawGate {
  private readonly impl: SafeClawGate;
  readonly guard: SafeClawGate["guard"];
  readonly wrapTool: SafeClawGate["wrapTool"];

  constructor(private readonly opts: RemoteGateOptions) {
    this.impl = withGuards({ check: (r) => this.check(r), checkBatch: (r) => this.checkBatch(r) });
    this.guard = this.impl.guard;
    this.wrapTool = this.impl.wrapTool;
  }

  /**
   * Waits for a human to decide the approval a require_approval named
   * (`decision.approval.id`), looking it up with the gate's token every
   * `intervalMs`. Resolves with the approval once it is no longer pending
   * (then, if approved, send the same request again with `approval: id`),
   * or when `timeoutMs` passes with the last view read (status pending).
   * Network errors, timeouts, 429 and 5xx answers are waited through.
   * Rejects on a malformed id (TypeError), on an answer no wait can change
   * (401, 403, 404: ApprovalLookupError), and when no view could be read at
   * all before the timeout (an Error saying why): it never makes one up.
   */
  async waitForApproval(id: string, opts: WaitForApprovalOptions): Promise<ApprovalView> {
    if (typeof id !== "string" || !APPROVAL_ID.test(id)) throw new TypeError("waitForApproval: not an approval id (apr_ and 26 base32 characters)");
    if (!this.opts.endpoint) throw new Error("waitForApproval: no endpoint configured");
    const client = new ApprovalsClient({
      endpoint: this.opts.endpoint,
      ...(this.opts.token ? { token: this.opts.token } : {}),
      ...(this.opts.fetch ? { fetch: this.opts.fetch } : {}),
      timeoutMs: this.opts.timeoutMs ?? 2000,
    });
    const interval = Math.max(100, opts.intervalMs ?? 2000);
    const deadline = Date.now() + Math.max(0, opts.timeoutMs);
    let last: ApprovalView | undefined;
    let problem = "";
    for (;;) {
      const r = await client.get(id);
      if (r.ok && r.value.id !== id) problem = `the server answered approval ${r.value.id}`;
      else if (r.ok) {
        last = r.value;
        if (last.status !== "pending") return last;
      } else if (r.status === 400 || r.status === 401 || r.status === 403 || r.status === 404) {
        throw new ApprovalLookupError(`waitForApproval ${id}: ${r.message}`, r.status, r.code);
      } else problem = r.message;
      const left = deadline - Date.now();
      if (left <= 0) break;
      await new Promise((ok) => setTimeout(ok, Math.min(interval, left)));
    }
    if (last) return last;
    throw new Error(`waitForApproval ${id}: no answer read within ${opts.timeoutMs} ms (last: ${problem})`);
  }

  async check(request: object): Promise<Decision> {
    const r = await this.call("/v1/check", request, (body) => (isDecision(body) ? [body] : undefined));
    return r[0] ?? denied("empty answer", "bad_answer");
  }

  async checkBatch(requests: readonly object[]): Promise<Decision[]> {
    if (requests.length === 0) return [];
    const r = await this.call("/v1/check/batch", requests, (body) => {
      const ds = (body as { decisions?: unknown })?.decisions;
      return Array.isArray(ds) && ds.length === requests.length && ds.every(isDecision) ? ds : undefined;
    });
    return r.length === requests.length ? r : requests.map(() => r[0] ?? denied("answer does not match the batch", "bad_answer"));
  }

  private async call(path: string, payload: unknown, parse: (body: unknown) => Decision[] | undefined): Promise<Decision[]> {
    if (!this.opts.endpoint) return [denied("no endpoint configured", "no_endpoint")];
    const url = this.opts.endpoint.replace(/\/+$/, "") + path;
    const attempts = 1 + Math.max(0, this.opts.retries ?? 2);
    let last = denied("not reached", "unreachable");
    for (let attempt = 0; attempt < attempts; attempt++) {
      if (attempt > 0) await new Promise((r) => setTimeout(r, 50 * 2 ** (attempt - 1)));
      try {
        return await this.once(url, payload, parse);
      } catch (e) {
        if (!(e instanceof Retryable)) return [denied((e as Error).message, "bad_answer")];
        last = denied(e.message, "unreachable");
      }
    }
    return [last];
  }

  private async once(url: string, payload: unknown, parse: (body: unknown) => Decision[] | undefined): Promise<Decision[]> {
    const f = this.opts.fetch ?? fetch;
    const ctl = new AbortController();
    const timeoutMs = this.opts.timeoutMs ?? 2000;
    const timer = setTimeout(() => ctl.abort(), timeoutMs);
    let res: Response;
    let text: string;
    try {
      res = await f(url, {
        method: "POST",
        headers: { "content-type": "application/json", ...(this.opts.token ? { authorization: `Bearer ${this.opts.token}` } : {}) },
        body: JSON.stringify(payload),
        signal: ctl.signal,
      });
      text = await res.text();
    } catch (e) {
      throw new Retryable(ctl.signal.aborted ? `no answer within ${timeoutMs} ms` : `unreachable (${(e as Error).message})`);
    } finally {
      clearTimeout(timer);
    }
    if (res.status >= 500) throw new Retryable(`HTTP ${res.status}`);
    if (res.status === 401 || res.status === 403) throw new Error(`HTTP ${res.status}: not authorized (check the token)`);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new Error(`HTTP ${res.status} answer is not JSON`);
    }
    const ds = parse(body);
    // An error status does not allow: a 4xx or 3xx answer that reads as an allow is not one we can trust.
    if (ds && (res.status < 300 || ds.every((d) => d.decision !== "allow"))) return ds;
    // A 4xx carries a deny decision for the refused request (for every request of a batch); anything else, an allow
    // among it, is not an answer we can trust.
    if (res.status >= 400 && isDecision(body) && body.decision !== "allow") return [body];
    throw new Error(`HTTP ${res.status} answer is not a decision`);
  }
}
