import type { RateLimit } from "../policy/ir.js";

/**
 * Sliding-window counters for rules with `rateLimit`. They live in the
 * instance that evaluates, so a limit is per instance (per Lambda environment,
 * per Fly machine, per Worker isolate): a store shared across instances can be
 * passed in where a global limit matters.
 */
export interface RateLimitStore {
  /** records one hit at nowMs and says whether it stays within the limit */
  hit(bucket: string, limit: RateLimit, nowMs: number): boolean;
}

const MAX_BUCKETS = 10_000;

interface Bucket {
  times: number[];
  windowMs: number;
}

export class MemoryRateLimitStore implements RateLimitStore {
  private readonly hits = new Map<string, Bucket>();
  private lastSweep = -Infinity;

  hit(bucket: string, limit: RateLimit, nowMs: number): boolean {
    let b = this.hits.get(bucket);
    if (!b) {
      // Bounded memory without forgetting a budget that is still running: a
      // forgotten bucket is a fresh budget, and for a `per: rule` limit that is
      // everyone's budget, so a flood of new agent names must not buy it back.
      // Buckets whose window has passed are dropped; while every bucket is
      // still counting, a new one is refused (the request is denied).
      if (this.hits.size >= MAX_BUCKETS && !this.sweep(nowMs)) return false;
      this.hits.set(bucket, (b = { times: [], windowMs: limit.windowMs }));
    }
    const times = b.times;
    const from = nowMs - limit.windowMs;
    let drop = 0;
    while (drop < times.length && times[drop]! <= from) drop++;
    if (drop > 0) times.splice(0, drop);
    if (times.length >= limit.maxRequests) return false;
    times.push(nowMs);
    return true;
  }

  /** Drops buckets with no hit inside their window; true when there is room again. At most one full pass a second. */
  private sweep(nowMs: number): boolean {
    if (nowMs - this.lastSweep >= 1000) {
      this.lastSweep = nowMs;
      for (const [k, b] of this.hits) {
        const last = b.times[b.times.length - 1];
        if (last === undefined || last <= nowMs - b.windowMs) this.hits.delete(k);
      }
    }
    return this.hits.size < MAX_BUCKETS;
  }
}
