import type { Hono } from "hono";

/** One JSON call into an in-process app (`app.request`), with an optional bearer token: status and parsed body. */
export type AppCall = (method: string, path: string, body?: unknown, token?: string) => Promise<{ status: number; body: Record<string, any> }>;

export function appCaller(app: Hono): AppCall {
  return async (method, path, body, token) => {
    const res = await app.request(path, {
      method,
      headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
      // a string is sent as it is (raw JSON the test wrote: duplicate keys, `__proto__`)
      ...(body !== undefined ? { body: typeof body === "string" ? body : JSON.stringify(body) } : {}),
    });
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  };
}
