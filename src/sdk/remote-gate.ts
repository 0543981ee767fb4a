import { deny, type Decision, type DecisionErrorCode } from "../engine/decision.js";
import { withGuards, type SafeClawGate } from "./gate.js";
import { isDecision } from "./decide-requests.js";

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

export class Gate implements SafeClawGate {
  private readonly impl: SafeClawGate;
  readonly guard: SafeClawGate["guard"];
  readonly wrapTool: SafeClawGate["wrapTool"];

  constructor(private readonly opts: RemoteGateOptions) {
    this.impl = withGuards({ check: (r) => this.check(r), checkBatch: (r) => this.checkBatch(r) });
    this.guard = this.impl.guard;
    this.wrapTool = this.impl.wrapTool;
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
