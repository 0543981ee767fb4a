import type { RateLimit } from "../../policy/ir.js";
import type { DurableStorageLike } from "./durable-rpc.js";

/**
 * One rate-limit bucket (`rate:<bucket>`): the times of the hits inside the
 * window. An object runs one event at a time and the check and the push below
 * happen with no await between them, so concurrent hits from every isolate
 * are counted exactly. The times are written to storage before the answer
 * leaves (workerd's output gate), so an object evicted and started again
 * keeps its count. An alarm deletes the bucket once every hit has left the
 * window, so idle buckets cost no storage.
 */
const KEY = "rate";
/** real time an idle bucket is kept past its window (clocks of callers may differ a little) */
export const IDLE_GRACE_MS = 60_000;

export class RateBucket {
  private loaded: Promise<number[]> | undefined;
  /** when the alarm is due, as far as this incarnation knows */
  private alarmAt = 0;

  constructor(private readonly storage: DurableStorageLike) {}

  async hit(limit: RateLimit, nowMs: number): Promise<boolean> {
    const times = await (this.loaded ??= this.storage.get<number[]>(KEY).then((t) => t ?? []));
    // From here to the put: no await, so no other hit interleaves.
    const from = nowMs - limit.windowMs;
    let drop = 0;
    while (drop < times.length && times[drop]! <= from) drop++;
    if (drop > 0) times.splice(0, drop);
    if (times.length >= limit.maxRequests) return false;
    times.push(nowMs);
    const writes = [this.storage.put(KEY, times)];
    // The alarm stays at least windowMs + grace/2 after the newest hit (real time): when it fires, no hit is in a window.
    const now = Date.now();
    if (this.alarmAt < now + limit.windowMs + IDLE_GRACE_MS / 2) {
      this.alarmAt = now + limit.windowMs + IDLE_GRACE_MS;
      writes.push(this.storage.setAlarm(this.alarmAt));
    }
    await Promise.all(writes);
    return true;
  }
}
