/**
 * `safeclaw-edge/workers`: the Cloudflare Worker (the policy compiled in) and
 * the audit sinks a Worker can use: an R2 binding, or any S3-compatible store
 * through SigV4-signed `fetch`; and the shared state store (Durable Objects:
 * re-export `SafeClawState` from the Worker script).
 */
export { createWorker, type WorkerEnv, type ExecutionContextLike } from "./runtime/workers/create-worker.js";
export { R2Sink, type R2BucketLike } from "./runtime/workers/r2-sink.js";
export { FetchS3Sink } from "./runtime/workers/fetch-s3-sink.js";
export { SafeClawState } from "./runtime/workers/durable-state.js";
export { DurableObjectStateStore } from "./runtime/workers/durable-state-store.js";
export { stateStoreForWorker } from "./runtime/workers/state-store-for-worker.js";
export type { DurableObjectNamespaceLike } from "./runtime/workers/durable-rpc.js";
