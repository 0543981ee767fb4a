import type { NoticeRecord, RecordBody } from "../audit/record.js";

/**
 * 401s in the audit trail without letting a flood of them bury it: per
 * window (a minute), the first `perSource` refusals of each source, and at
 * most `total` in all, become records of their own; the rest are counted and
 * told in one `unauthorized-aggregated` notice when the window ends (by a
 * timer, by the next 401 after it, or by `flush()` at shutdown). The number of
 * sources tracked is bounded too: past `maxSources`, a new source is counted
 * under "other sources", so many addresses cost memory no more than one does.
 */
export interface TallyOptions {
  perSource?: number;
  total?: number;
  windowMs?: number;
  maxSources?: number;
  clock?: () => number;
}

export const OTHER_SOURCES = "other sources";

export class UnauthorizedTally {
  private readonly perSource: number;
  private readonly total: number;
  private readonly windowMs: number;
  private readonly maxSources: number;
  private readonly clock: () => number;
  private windowStart: number;
  private recorded = new Map<string, number>();
  private recordedTotal = 0;
  private counted = new Map<string, number>();
  private countedTotal = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;

  /** `emit` puts the window's notice into the trail (the app's audit log) */
  constructor(
    private readonly emit: (notice: RecordBody<NoticeRecord>) => void,
    opts: TallyOptions = {},
  ) {
    this.perSource = opts.perSource ?? 10;
    this.total = opts.total ?? 100;
    this.windowMs = opts.windowMs ?? 60_000;
    this.maxSources = opts.maxSources ?? 1_000;
    this.clock = opts.clock ?? Date.now;
    this.windowStart = this.clock();
  }

  /** true: record this 401 on its own; false: it is counted in the window's notice */
  admit(source: string): boolean {
    const now = this.clock();
    if (now >= this.windowStart + this.windowMs) this.endWindow(now);
    const n = this.recorded.get(source) ?? 0;
    if (n < this.perSource && this.recordedTotal < this.total && (n > 0 || this.recorded.size < this.maxSources)) {
      this.recorded.set(source, n + 1);
      this.recordedTotal++;
      return true;
    }
    const key = this.counted.has(source) || this.counted.size < this.maxSources ? source : OTHER_SOURCES;
    this.counted.set(key, (this.counted.get(key) ?? 0) + 1);
    this.countedTotal++;
    if (this.timer === undefined) {
      this.timer = setTimeout(() => this.flush(), Math.max(0, this.windowStart + this.windowMs - now));
      // The notice must not keep a finished process alive; shutdown calls flush().
      (this.timer as { unref?: () => void }).unref?.();
    }
    return false;
  }

  /** Ends the current window now: its notice, if anything was counted, goes out. */
  flush(): void {
    this.endWindow(this.clock());
  }

  private endWindow(now: number): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.countedTotal > 0) this.emit(this.notice(now));
    this.windowStart = now;
    this.recorded = new Map();
    this.recordedTotal = 0;
    this.counted = new Map();
    this.countedTotal = 0;
  }

  private notice(now: number): RecordBody<NoticeRecord> {
    const since = new Date(this.windowStart).toISOString();
    const until = new Date(now).toISOString();
    const top = [...this.counted]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 5)
      .map(([s, n]) => `${s} (${n})`)
      .join(", ");
    const sources = this.counted.size === 1 ? "1 source" : `${this.counted.size} sources`;
    return {
      type: "notice",
      notice: "unauthorized-aggregated",
      count: this.countedTotal,
      since,
      until,
      message:
        `${this.countedTotal} more unauthorized requests (401, missing or invalid bearer token) from ${sources} between ${since} and ${until} were refused without a record each ` +
        `(the trail keeps ${this.perSource} per source and ${this.total} in all per ${this.windowMs / 1000} s); most from: ${top}`,
    };
  }
}
