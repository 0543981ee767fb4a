import type { Decision } from "../engine/decision.js";
import type { RateLimitStore } from "../engine/rate-limit.js";
import type { RateLimit } from "../policy/ir.js";
import { StateUnavailableError, type StateStore } from "./state-store.js";

/**
 * Rate limits counted in a StateStore, which answers asynchronously, by an
 * engine that evaluates synchronously. The engine is given this recorder as
 * its limiter: every hit it would make is noted and admitted, and after the
 * decision the notes are played against the store in order. A limit that is
 * used up turns the answer into the same deny the in-process limiter gives
 * (a rule with a used-up limit denies, whatever it would have said); nothing
 * is counted when the answer is a deny anyway.
 *
 * One recorder per engine is enough: `check` runs to completion without
 * yielding, so the notes taken right after it are that call's.
 */
export interface LimitHit {
  bucket: string;
  limit: RateLimit;
  nowMs: number;
}

export class DeferredLimits implements RateLimitStore {
  private notes: LimitHit[] = [];

  hit(bucket: string, limit: RateLimit, nowMs: number): boolean {
    this.notes.push({ bucket, limit, nowMs });
    return true;
  }

  /** the hits of the check that just ran, in the order it made them */
  take(): LimitHit[] {
    if (this.notes.length === 0) return NONE;
    const n = this.notes;
    this.notes = [];
    return n;
  }
}

const NONE: LimitHit[] = [];

/** The decision once the store has counted its hits (or could not). */
export async function countHits(d: Decision, hits: readonly LimitHit[], store: StateStore): Promise<Decision> {
  if (d.decision === "deny") return d;
  for (const h of hits) {
    const rule = ruleOf(h.bucket);
    let within: boolean;
    try {
      within = await store.hit(h.bucket, h.limit, h.nowMs);
    } catch (e) {
      if (!(e instanceof StateUnavailableError)) throw e;
      return limited(d, rule, `denied: the rate limit of rule ${rule} is counted in the ${store.kind} store, which could not answer (${e.message})`, true);
    }
    if (!within) return limited(d, rule, `rate limit of rule ${rule} exceeded (${h.limit.maxRequests} per ${h.limit.windowMs / 1000}s)`, false);
  }
  return d;
}

/** The evaluator names a bucket `<rule id>` (per rule) or `<rule id>\0<agent>` (per agent). */
function ruleOf(bucket: string): string {
  const nul = bucket.indexOf("\u0000");
  return nul < 0 ? bucket : bucket.slice(0, nul);
}

function limited(d: Decision, rule: string, reason: string, unavailable: boolean): Decision {
  const out: Decision = { ...d, decision: "deny", allowed: false, rule, reason };
  if (unavailable) out.error = "state_unavailable";
  else delete out.error;
  return out;
}
