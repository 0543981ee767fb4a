import { MemoryStateStore } from "../../approval/memory-state-store.js";
import type { StateStore } from "../../approval/state-store.js";
import { DurableObjectStateStore } from "./durable-state-store.js";
import { STATE_BINDING, type DurableObjectNamespaceLike } from "./durable-rpc.js";

/**
 * The Worker's state store: the SAFECLAW_STATE Durable Object namespace when
 * it is bound (approvals and limits shared by every isolate of the account),
 * otherwise memory, which is per isolate: each isolate has its own approvals
 * and limits, an approval made in one is unknown to the next, and a limit
 * counts per isolate.
 */
export function stateStoreForWorker(env: object): StateStore {
  const ns = (env as Record<string, unknown>)[STATE_BINDING] as Partial<DurableObjectNamespaceLike> | undefined;
  if (ns && typeof ns.idFromName === "function" && typeof ns.get === "function") return new DurableObjectStateStore(ns as DurableObjectNamespaceLike);
  return new MemoryStateStore();
}
