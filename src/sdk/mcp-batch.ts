import { deny, strictest, type Decision } from "../engine/decision.js";
import { refusalAnswer, type McpGateOptions } from "./mcp-refusal.js";
import type { McpVerdict } from "./mcp.js";

/**
 * A JSON-RPC batch (an array of messages; MCP 2025-03-26 servers must accept
 * them) is gated element by element, so nothing a server would run slips
 * through in a list. When every element is allowed the batch is forwarded
 * unchanged. Otherwise the batch is split: the allowed elements are
 * forwarded one message each, in the client's order, and the refused ones
 * are answered by the proxy with their ids. JSON-RPC 2.0 answers a batch
 * with one array, so the proxy holds its answers until the server has
 * answered the forwarded requests and sends one array in the client's order
 * (mcp-batch-join.ts). The allowed ones go one by one, not as a smaller
 * batch, because servers on later revisions (2025-06-18 removed batches;
 * the reference filesystem server is one) drop an array without answering,
 * which would leave the client waiting for the whole batch.
 *
 * Refused without forwarding anything: an empty batch (JSON-RPC: one
 * Invalid Request error, not an array), a batch inside a batch, and a batch
 * in which two requests share an id (their answers could not be told apart:
 * the client could take the server's answer to the allowed one for the
 * refused one's).
 */
export interface McpBatchSplit {
  /** the allowed elements, to forward one message each, in this order */
  forward: unknown[];
  /** ids (as JSON text) of the forwarded requests, whose answers the server owes */
  awaiting: string[];
  /** the proxy's answers to the refused elements */
  answers: Record<string, unknown>[];
  /** every id in the batch (as JSON text) in the client's order, to put the merged answers in */
  order: string[];
}

const idKey = (m: unknown): string | undefined =>
  m !== null && typeof m === "object" && !Array.isArray(m) && Object.hasOwn(m, "id") ? JSON.stringify((m as { id: unknown }).id) : undefined;

/** A request (not a notification, not a response) expects an answer. */
const isRequest = (m: unknown): boolean => idKey(m) !== undefined && Object.hasOwn(m as object, "method");
const isNotification = (m: unknown): boolean => m !== null && typeof m === "object" && Object.hasOwn(m, "method") && !Object.hasOwn(m, "id");

export async function gateMcpBatch(batch: unknown[], gateOne: (m: unknown) => Promise<McpVerdict>, opts: McpGateOptions): Promise<McpVerdict> {
  if (batch.length === 0) return refuseWhole(batch, "an empty JSON-RPC batch is not a request", opts, true);
  if (batch.some(Array.isArray)) return refuseWhole(batch, "a JSON-RPC batch inside a batch is not a message", opts);
  const ids = batch.filter(isRequest).map(idKey);
  if (new Set(ids).size !== ids.length)
    return refuseWhole(batch, "two requests in one JSON-RPC batch have the same id, so their answers could not be told apart; give each its own id", opts);
  const verdicts = await Promise.all(batch.map(gateOne));
  const refused = verdicts.filter((v): v is Extract<McpVerdict, { forward: false }> => !v.forward);
  if (refused.length === 0) return { forward: true };
  const split: McpBatchSplit = { forward: [], awaiting: [], answers: [], order: batch.map(idKey).filter((k): k is string => k !== undefined) };
  batch.forEach((m, i) => {
    const v = verdicts[i]!;
    if (v.forward) {
      split.forward.push(m);
      if (isRequest(m)) split.awaiting.push(idKey(m)!);
    } else if (!isNotification(m)) {
      split.answers.push(v.response); // a refused notification gets no answer (JSON-RPC); a request or an unreadable element does
    }
  });
  const decision = strictest(refused.map((v) => v.decision));
  return { forward: false, decision, response: refusalAnswer(undefined, decision, opts), batch: split };
}

function refuseWhole(batch: unknown[], reason: string, opts: McpGateOptions, single = false): McpVerdict {
  const decision: Decision = deny("invalid_request", reason);
  const response = refusalAnswer(undefined, decision, opts);
  if (single) return { forward: false, decision, response };
  const answers = batch
    .filter((m) => !isNotification(m))
    .map((m) => ({ ...refusalAnswer(undefined, decision, opts), id: idKey(m) !== undefined ? (m as { id: unknown }).id : null }));
  return {
    forward: false,
    decision,
    response,
    batch: { forward: [], awaiting: [], answers, order: batch.map(idKey).filter((k): k is string => k !== undefined) },
  };
}
