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

export class MemoryRateLimitStore implements RateLimitStore {
  private readonly hits = new Map<string, number[]>();

  hit(bucket: string, limit: RateLimit, nowMs: number): boolean {
    let times = this.hits.get(bucket);
    if (!times) {
      // Bounded memory: when full, forget the oldest bucket (its window has
      // most likely expired). A fresh bucket is never more permissive than
      // maxRequests per window for a single caller.
      if (this.hits.size >= MAX_BUCKETS) this.hits.delete(this.hits.keys().next().value!);
      this.hits.set(bucket, (times = []));
    }
    const from = nowMs - limit.windowMs;
    let drop = 0;
    while (drop < times.length && times[drop]! <= from) drop++;
    if (drop > 0) times.splice(0, drop);
    if (times.length >= limit.maxRequests) return false;
    times.push(nowMs);
    return true;
  }
}
