import type { CompiledPolicy } from "./compile.js";
import type { Decision } from "./decision.js";
import { evaluate } from "./evaluate.js";
import { MemoryRateLimitStore, type RateLimitStore } from "./rate-limit.js";

/**
 * A compiled policy with the platform things evaluation needs passed in: a
 * clock (schedules, expiry, rate limits) and a rate-limit store.
 */
export interface EngineOptions {
  clock?: () => number;
  rateLimits?: RateLimitStore;
}

export interface Engine {
  readonly policy: CompiledPolicy;
  check(request: unknown, opts?: { explain?: boolean }): Decision;
}

export function createEngine(policy: CompiledPolicy, opts: EngineOptions = {}): Engine {
  const clock = opts.clock ?? Date.now;
  const rateLimits = opts.rateLimits ?? new MemoryRateLimitStore();
  return {
    policy,
    check(request, o) {
      return evaluate(policy, request, { nowMs: clock(), rateLimits, explain: o?.explain === true });
    },
  };
}
