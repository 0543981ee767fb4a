import type { NoticeRecord, RecordBody } from "./record.js";

/**
 * One sink outage, from the first failed write to the first write that lands
 * again. The trail gets one notice per outage, written when it ends (the only
 * moment the notice itself can be durable), with how many attempts failed and
 * which records were not durable when their requests were answered; not one
 * notice per failed flush, which on a long outage would bury the trail.
 */
export class Outage {
  attempts = 0;
  lastError: string;
  /** seq range whose requests were answered while their records were not durable */
  undurable: [number, number] | undefined;
  readonly since: number;

  constructor(now: number, error: string) {
    this.since = now;
    this.lastError = error;
  }

  failed(error: string): void {
    this.attempts++;
    this.lastError = error;
  }

  answeredUndurable(first: number, last: number): void {
    if (!this.undurable) this.undurable = [first, last];
    else this.undurable = [Math.min(this.undurable[0], first), Math.max(this.undurable[1], last)];
  }

  notice(now: number, onAuditFailure: "deny" | "allow"): RecordBody<NoticeRecord> {
    const since = new Date(this.since).toISOString();
    const until = new Date(now).toISOString();
    const body: RecordBody<NoticeRecord> = {
      type: "notice",
      notice: "audit-write-failed",
      count: this.attempts,
      since,
      until,
      message: `the audit sink failed from ${since} to ${until} (${this.attempts} failed attempt${this.attempts === 1 ? "" : "s"}, last: ${this.lastError})`,
    };
    if (this.undurable) {
      const [a, b] = this.undurable;
      const how = onAuditFailure === "deny" ? "their requests were denied (onAuditFailure: deny)" : "their decisions stood (onAuditFailure: allow)";
      body.seqs = [a, b];
      body.message += `; records ${a}-${b} were not durable when decided, ${how}; they are in the trail now`;
    }
    return body;
  }
}

export function refusedNotice(count: number): RecordBody<NoticeRecord> {
  return {
    type: "notice",
    notice: "requests-refused-unrecorded",
    count,
    message: `${count} requests were denied without a record: the audit queue was full`,
  };
}
