/** Node-only entry (`safeclaw-edge/node`): file-backed gates, sinks and the server. */
export { createSafeClawGate } from "./gate.js";
export { startServer, type ServeOptions, type RunningServer } from "./serve.js";
export { FileSink, auditFiles, lastChainHead } from "./file-sink.js";
export { S3Sink, readS3Lines } from "./s3-sink.js";
export { createLambdaHandler } from "./lambda-handler.js";
export { readPolicySources, findPolicyFiles } from "./policy-files.js";
