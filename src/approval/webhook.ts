import { redact } from "../audit/redact.js";
import type { ApprovalView } from "./approval-view.js";
import { clip, targetSummary, visible } from "./target-summary.js";

/**
 * Tells approvers that an approval waits (or was decided) by POSTing JSON to
 * a webhook: Slack's incoming webhooks read `text`, anything else can read
 * `approval` (the view the approvals API answers).
 *
 * Delivery never holds a decision up: `notify` starts it and returns a
 * promise the runtime may keep alive with (Workers) `ctx.waitUntil`; that
 * promise never rejects. Network errors, timeouts, 429 and 5xx are retried
 * with exponential backoff and jitter, at most `maxAttempts` times; any other
 * 4xx is the receiver saying no, and retrying would not change its mind. At
 * most `maxInFlight` notifications are in flight: past that (a dead webhook
 * under load) a notification is dropped with a log line, so memory is
 * bounded. Logs name the webhook's origin only: a Slack webhook's path is
 * its secret, and the signing secret is never logged.
 *
 * Signature (when a secret is set): `x-safeclaw-timestamp: <unix seconds>`
 * and `x-safeclaw-signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`,
 * computed afresh for each attempt. A receiver verifies it so:
 *   1. read the raw body bytes (before any JSON parsing);
 *   2. reject when the timestamp is not digits or differs from its own clock
 *      by more than 5 minutes (a replayed old delivery);
 *   3. compute the HMAC over `${timestamp}.${rawBody}` with the shared secret
 *      and compare it with the header's hex in constant time
 *      (Node: `crypto.timingSafeEqual`); reject on mismatch;
 *   4. deduplicate on `approval.id` + `approval.status`: a retry after a lost
 *      answer delivers the same notification again.
 */
export interface ApprovalWebhookOptions {
  url: string;
  secret?: string;
  fetch?: typeof fetch;
  log: (line: string) => void;
  /** attempts in all, first included (default 5) */
  maxAttempts?: number;
  /** the first retry waits about this long, each next one twice as long (default 500) */
  baseDelayMs?: number;
  /** one attempt's limit (default 5000) */
  timeoutMs?: number;
  /** notifications in flight at most; past it new ones are dropped (default 100) */
  maxInFlight?: number;
  /** the server's URL as approvers reach it, for the curl line of the text (default `$SAFECLAW_ENDPOINT`) */
  endpoint?: string;
  /** for tests: the random number behind the jitter, and the wait */
  random?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/** How long a Retry-After may make us wait, at most: a receiver cannot park a notification for an hour. */
const MAX_RETRY_AFTER_MS = 30_000;

export class ApprovalWebhook {
  private inFlight = 0;
  private readonly pending = new Set<Promise<void>>();
  private readonly origin: string;
  private key: Promise<CryptoKey> | undefined;

  constructor(private readonly opts: ApprovalWebhookOptions) {
    this.origin = originOf(opts.url);
  }

  /** Starts delivering `view`; the promise settles (never rejects) when it is delivered, refused, given up on or dropped. */
  notify(view: ApprovalView): Promise<void> {
    const max = this.opts.maxInFlight ?? 100;
    if (this.inFlight >= max) {
      this.opts.log(`safeclaw: approval webhook ${this.origin}: ${max} notifications already in flight; dropped the one for ${view.id} (${view.status})`);
      return Promise.resolve();
    }
    this.inFlight++;
    const p = this.deliver(view)
      .catch((e) => this.opts.log(`safeclaw: approval webhook ${this.origin}: ${view.id} not delivered (${(e as Error)?.message ?? e})`))
      .finally(() => {
        this.inFlight--;
        this.pending.delete(p);
      });
    this.pending.add(p);
    return p;
  }

  /** Notifications not yet settled (a runtime that freezes between requests waits for them, briefly). */
  get busy(): boolean {
    return this.pending.size > 0;
  }

  /** Settles when every notification started so far has (for a clean shutdown). */
  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  private async deliver(view: ApprovalView): Promise<void> {
    // A chat channel is a wider audience than the approvals API: secrets in the request are redacted as the trail redacts them.
    const shown = redactStrings(view) as ApprovalView;
    const body = JSON.stringify({ text: approvalText(shown, this.opts.endpoint), approval: shown });
    const attempts = Math.max(1, this.opts.maxAttempts ?? 5);
    let problem = "";
    for (let attempt = 1; attempt <= attempts; attempt++) {
      const r = await this.attempt(body);
      if (r.ok) return;
      problem = r.problem;
      if (!r.retry) {
        this.opts.log(`safeclaw: approval webhook ${this.origin}: ${view.id} refused (${problem}); not retried`);
        return;
      }
      if (attempt < attempts) await this.wait(this.delay(attempt, r.retryAfterMs));
    }
    this.opts.log(`safeclaw: approval webhook ${this.origin}: ${view.id} not delivered after ${attempts} attempts (last: ${problem})`);
  }

  private delay(attempt: number, retryAfterMs: number | undefined): number {
    const base = (this.opts.baseDelayMs ?? 500) * 2 ** (attempt - 1);
    // Jitter in [base/2, base): receivers that come back do not get every retry at the same instant.
    const jittered = base / 2 + (this.opts.random ?? Math.random)() * (base / 2);
    return Math.max(jittered, Math.min(retryAfterMs ?? 0, MAX_RETRY_AFTER_MS));
  }

  private wait(ms: number): Promise<void> {
    return this.opts.sleep ? this.opts.sleep(ms) : new Promise((r) => setTimeout(r, ms));
  }

  private async attempt(body: string): Promise<{ ok: true } | { ok: false; retry: boolean; problem: string; retryAfterMs?: number }> {
    const headers: Record<string, string> = { "content-type": "application/json", "user-agent": "safeclaw-approval-webhook" };
    const timestamp = String(Math.floor(Date.now() / 1000));
    headers["x-safeclaw-timestamp"] = timestamp;
    if (this.opts.secret) headers["x-safeclaw-signature"] = `sha256=${await this.sign(`${timestamp}.${body}`)}`;
    const timeoutMs = this.opts.timeoutMs ?? 5000;
    const ctl = new AbortController();
    const timer = setTimeout(() => ctl.abort(), timeoutMs);
    try {
      const res = await (this.opts.fetch ?? fetch)(this.opts.url, { method: "POST", headers, body, signal: ctl.signal, redirect: "manual" });
      // The answer's body is not needed, but reading it ends the exchange (a body left unread holds the connection).
      await res.arrayBuffer().catch(() => undefined);
      if (res.status >= 200 && res.status < 300) return { ok: true };
      const problem = `HTTP ${res.status}`;
      if (res.status === 429 || res.status >= 500) return { ok: false, retry: true, problem, ...retryAfter(res.headers.get("retry-after")) };
      return { ok: false, retry: false, problem };
    } catch (e) {
      return { ok: false, retry: true, problem: ctl.signal.aborted ? `no answer within ${timeoutMs} ms` : `network error: ${(e as Error)?.message ?? e}` };
    } finally {
      clearTimeout(timer);
    }
  }

  private async sign(message: string): Promise<string> {
    this.key ??= crypto.subtle.importKey("raw", new TextEncoder().encode(this.opts.secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
    const mac = new Uint8Array(await crypto.subtle.sign("HMAC", await this.key, new TextEncoder().encode(message)));
    return [...mac].map((b) => b.toString(16).padStart(2, "0")).join("");
  }
}

function retryAfter(h: string | null): { retryAfterMs?: number } {
  if (h === null || !/^\d{1,6}$/.test(h.trim())) return {};
  return { retryAfterMs: Number(h.trim()) * 1000 };
}

/** The URL's scheme, host and port: what a log line may show. */
function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return "(invalid URL)";
  }
}

/** Slack's mrkdwn reads `<...>` as links and mentions (`<!channel>`) and `&` as an entity: escaped, a request cannot ping a channel. */
function slack(text: string): string {
  return visible(text).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** Inline code where the text allows it (a backtick would end the span early). */
function code(text: string): string {
  return text.includes("`") ? slack(text) : `\`${slack(text)}\``;
}

/** The one-liner: who asks for what, the rule and its reason, the approval id, and how to approve it. */
export function approvalText(v: ApprovalView, endpoint?: string): string {
  const who = v.agent ? `agent ${code(v.agent)}` : "an agent";
  const target = targetSummary(v.request, 200);
  const what = `${code(v.action ?? "?")}${target ? ` ${code(target)}` : ""}`;
  const rule = v.rule ? ` (rule ${code(v.rule)})` : "";
  const reason = slack(clip(v.reason, 300));
  if (v.status !== "pending") {
    const by = v.decidedBy ? ` by ${code(v.decidedBy)}` : "";
    return `SafeClaw: approval ${code(v.id)} for ${who} to ${what}${rule} is ${v.status}${by}${v.decisionReason ? `: ${slack(clip(v.decisionReason, 300))}` : ""}`;
  }
  const base = endpoint ? endpoint.replace(/\/+$/, "") : "$SAFECLAW_ENDPOINT";
  const curl = `curl -X POST ${base}/v1/approvals/${v.id} -H "authorization: Bearer $SAFECLAW_APPROVER_TOKEN" -H "content-type: application/json" -d '{"decision":"approve"}'`;
  return (
    `SafeClaw: ${who} asks to ${what}${rule}: ${reason}. Approval ${code(v.id)} is pending until ${v.expiresAt}. ` +
    `Approve with \`safeclaw approvals approve ${v.id}\` or \`${slack(curl)}\` (reject: \`safeclaw approvals reject ${v.id} --reason "..."\`)`
  );
}

export interface WebhookSettings {
  url: string;
  secret?: string;
}

export class WebhookSettingsError extends Error {}

/** A signing secret shorter than this is guessable enough to forge notifications with. */
const MIN_SECRET_CHARS = 16;

/**
 * SAFECLAW_APPROVAL_WEBHOOK and SAFECLAW_APPROVAL_WEBHOOK_SECRET, checked:
 * no URL, no webhook (undefined); the URL must be https, or http to a
 * loopback address (a receiver on the same machine); a secret needs a URL
 * and at least 16 characters. Throws WebhookSettingsError saying what is wrong
 * (never echoing the secret, and the URL only by origin).
 */
export function parseWebhookSettings(url: string | undefined, secret: string | undefined): WebhookSettings | undefined {
  const u = url?.trim() ?? "";
  const s = secret ?? "";
  if (!u) {
    if (s) throw new WebhookSettingsError("SAFECLAW_APPROVAL_WEBHOOK_SECRET is set but SAFECLAW_APPROVAL_WEBHOOK is not");
    return undefined;
  }
  let parsed: URL;
  try {
    parsed = new URL(u);
  } catch {
    throw new WebhookSettingsError("SAFECLAW_APPROVAL_WEBHOOK is not a URL");
  }
  if (parsed.protocol !== "https:" && !(parsed.protocol === "http:" && isLoopback(parsed.hostname)))
    throw new WebhookSettingsError(
      `SAFECLAW_APPROVAL_WEBHOOK must be an https:// URL (http:// only to a loopback address), not ${parsed.protocol}//${parsed.host}`,
    );
  if (s && s.length < MIN_SECRET_CHARS) throw new WebhookSettingsError(`SAFECLAW_APPROVAL_WEBHOOK_SECRET is shorter than ${MIN_SECRET_CHARS} characters`);
  return s ? { url: u, secret: s } : { url: u };
}

function isLoopback(hostname: string): boolean {
  return hostname === "localhost" || hostname === "[::1]" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
}

/** Every string in a JSON value through the trail's redaction (api keys, bearer tokens, passwords in URLs). */
function redactStrings(v: unknown): unknown {
  if (typeof v === "string") return redact(v);
  if (Array.isArray(v)) return v.map(redactStrings);
  if (v !== null && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, redactStrings(x)]));
  return v;
}
