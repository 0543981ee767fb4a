import type { DurableStorageLike } from "./durable-rpc.js";
import { IDLE_GRACE_MS } from "./durable-rate.js";

/**
 * One single-use mark (`once:<key>`, a grant's id): taken once until it
 * expires. Check and set happen with no await between them, so of racing
 * takers exactly one sees it free. The alarm deletes the mark when it has
 * expired: the delay is the caller's own `expiresMs - nowMs` (plus a grace)
 * measured on this object's clock, so a caller whose clock is not the
 * object's still gets the lifetime it asked for.
 */
const KEY = "once";

export class OnceMark {
  private loaded: Promise<{ until?: number }> | undefined;

  constructor(private readonly storage: DurableStorageLike) {}

  async mark(expiresMs: number, nowMs: number): Promise<boolean> {
    const rec = await (this.loaded ??= this.storage.get<number>(KEY).then((until) => (until === undefined ? {} : { until })));
    if (rec.until !== undefined && rec.until > nowMs) return false;
    rec.until = expiresMs;
    await Promise.all([this.storage.put(KEY, expiresMs), this.storage.setAlarm(Date.now() + Math.max(0, expiresMs - nowMs) + IDLE_GRACE_MS)]);
    return true;
  }
}
