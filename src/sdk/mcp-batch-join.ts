import type { McpBatchSplit } from "./mcp-batch.js";

/**
 * The proxy's side of a split batch (mcp-batch.ts): it holds the answers it
 * gave to the refused elements and the server's answers to the forwarded
 * ones, and sends the client one array, in the client's order, once the
 * server has answered every forwarded request. Anything else the server
 * says (its own requests, notifications, answers to single messages) passes
 * straight through. When the server ends without answering, `flush` sends
 * what there is, so the client is not left without the proxy's refusals.
 */
interface PendingBatch {
  split: McpBatchSplit;
  waiting: Set<string>;
  got: Record<string, unknown>[];
}

export class McpBatchJoin {
  private readonly pending: PendingBatch[] = [];

  /** Registers a split batch; returns the array to send now when the server owes nothing for it. */
  add(split: McpBatchSplit): Record<string, unknown>[] | undefined {
    const p: PendingBatch = { split, waiting: new Set(split.awaiting), got: [] };
    if (p.waiting.size === 0) return merge(p);
    this.pending.push(p);
    return undefined;
  }

  /**
   * A message from the server: `pass` to send it on as it is; `hold` when it
   * is an answer a batch waits for (with `send`, the merged array, when it
   * was the last one).
   */
  fromServer(message: unknown): { pass: true } | { pass: false; send?: Record<string, unknown>[] } {
    if (this.pending.length === 0 || message === null || typeof message !== "object" || Array.isArray(message)) return { pass: true };
    const m = message as Record<string, unknown>;
    if (Object.hasOwn(m, "method") || !Object.hasOwn(m, "id")) return { pass: true }; // the server's own request or notification
    const key = JSON.stringify(m.id);
    const i = this.pending.findIndex((p) => p.waiting.has(key));
    if (i < 0) return { pass: true };
    const p = this.pending[i]!;
    p.waiting.delete(key);
    p.got.push(m);
    if (p.waiting.size > 0) return { pass: false };
    this.pending.splice(i, 1);
    return { pass: false, send: merge(p) };
  }

  /** The server is gone: every batch still waiting, with the answers it has. */
  flush(): Record<string, unknown>[][] {
    return this.pending.splice(0).map(merge);
  }
}

function merge(p: PendingBatch): Record<string, unknown>[] {
  const rank = new Map(p.split.order.map((k, i) => [k, i]));
  const at = (a: Record<string, unknown>) => rank.get(JSON.stringify(a.id)) ?? Number.MAX_SAFE_INTEGER; // id null (an unreadable element): last
  return [...p.split.answers, ...p.got].sort((a, b) => at(a) - at(b));
}
