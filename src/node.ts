/**
 * `safeclaw-edge/node`: what needs Node (a file system, a process, the AWS
 * SDK): file-backed gates, the decision server, the file and S3 sinks, policy
 * discovery. The AWS SDK is loaded only when an S3 sink first writes.
 */
export { createSafeClawGate, stdioGateFromFiles, type StdioGate } from "./sdk/file-gate.js";
export { startServer, closeOnSignals, isLoopback, ServeError, type ServeOptions, type RunningServer, type ShutdownReport } from "./runtime/node/server.js";
export { FileSink, auditFiles, lastChainHead } from "./runtime/node/file-sink.js";
export { S3Sink, s3ClientFromEnv, type S3SinkOptions } from "./runtime/node/s3-sink.js";
export { readS3Lines, s3Lines, type S3ReadOptions } from "./runtime/node/s3-read.js";
export { createSink } from "./runtime/node/create-sink.js";
export { auditLogFromConfig, createNodeAuditLog } from "./runtime/node/audit-config.js";
export { readAuditLines } from "./runtime/node/audit-source.js";
export { readPolicySources, findPolicyFiles, PROJECT_FILES } from "./runtime/node/policy-files.js";
