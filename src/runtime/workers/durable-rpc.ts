import { StateUnavailableError } from "../../approval/state-store.js";

/**
 * The little of the Durable Objects API the state store uses, typed here so
 * that the package needs no Cloudflare type package, and the JSON protocol
 * between a Worker and its objects: `POST https://safeclaw-state/<op>` with a
 * JSON body, answered `200 {"result": ...}` or an error status with
 * `{"error": "..."}`. Plain `fetch` rather than RPC methods: RPC on a Durable
 * Object needs the class to extend `DurableObject` from `cloudflare:workers`,
 * a module that exists only inside workerd, and this file is also imported
 * (and unit-tested) on Node.
 */
export interface DurableObjectStubLike {
  fetch(input: string, init?: RequestInit): Promise<Response>;
}

export interface DurableObjectNamespaceLike {
  idFromName(name: string): unknown;
  get(id: unknown): DurableObjectStubLike;
}

export interface DurableStorageLike {
  get<T>(key: string): Promise<T | undefined>;
  put(key: string, value: unknown): Promise<void>;
  delete(keys: string[]): Promise<number>;
  deleteAll(): Promise<void>;
  list<T>(options: { prefix: string }): Promise<Map<string, T>>;
  setAlarm(scheduledTimeMs: number): Promise<void>;
}

export interface DurableObjectStateLike {
  storage: DurableStorageLike;
}

/** What the objects call each other by, and what the Worker's store calls them by. */
export const STATE_BINDING = "SAFECLAW_STATE";

/**
 * Calls `op` on the object named `name` and returns its `result`. Whatever
 * keeps an answer from coming back whole (fetch throws, an error status, a
 * body that is not the JSON asked for) is a StateUnavailableError naming
 * `what` (the StateStore operation), so that callers deny.
 */
export async function callObject(ns: DurableObjectNamespaceLike, name: string, op: string, body: unknown, what: string): Promise<unknown> {
  const role = name.split(":")[0]; // rate, once, approval or approvals: the bucket or key itself stays out of messages
  let status = 0;
  let text: string;
  try {
    const res = await ns.get(ns.idFromName(name)).fetch(`https://safeclaw-state/${op}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    status = res.status;
    text = await res.text();
  } catch (e) {
    throw new StateUnavailableError(`durable objects: ${what} failed: the ${role} object could not be reached (${(e as Error).message})`);
  }
  if (status < 200 || status > 299)
    throw new StateUnavailableError(`durable objects: ${what} failed: the ${role} object answered ${status} ${text.slice(0, 200)}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (typeof parsed !== "object" || parsed === null || !("result" in parsed))
    throw new StateUnavailableError(`durable objects: ${what} failed: the ${role} object's answer is not the JSON asked for`);
  return parsed.result;
}

/** The same, for an answer of a known shape: one that is not is as bad as none. */
export async function callChecked<T>(
  ns: DurableObjectNamespaceLike,
  name: string,
  op: string,
  body: unknown,
  what: string,
  check: (r: unknown) => r is T,
): Promise<T> {
  const r = await callObject(ns, name, op, body, what);
  if (!check(r)) throw new StateUnavailableError(`durable objects: ${what} failed: the answer has the wrong shape`);
  return r;
}

/** The namespace an object reaches the others through (its own binding), read when first needed. */
export type DurableNamespaceGetter = () => DurableObjectNamespaceLike;
