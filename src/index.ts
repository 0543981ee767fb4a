/**
 * SafeClaw Edge, the platform-neutral core (`safeclaw-edge`): no Node
 * built-ins, no file system, no process, so the same code decides in Workers,
 * Lambda and Node. Runtimes have their own entries: `safeclaw-edge/node`,
 * `safeclaw-edge/lambda`, `safeclaw-edge/workers`.
 */
export { parsePolicy, type PolicySource, type ParseResult } from "./policy/parse-policy.js";
export { policyDigest, decisionView } from "./policy/digest.js";
export { formatPolicyError, PolicyLoadError, type PolicyError, type PolicyErrorCode } from "./policy/errors.js";
export type { PolicyIR, RuleIR, Effect, Condition, FieldTest } from "./policy/ir.js";
export { canonicalAction, BUILTIN_ACTIONS } from "./policy/actions.js";
export { ACTION_SCHEMA, type ActionSpec, type FieldSpec, type FieldKind } from "./policy/action-schema.js";
export { loadPolicy, type LoadResult } from "./engine/load-policy.js";
export { compilePolicy, type CompiledPolicy } from "./engine/compile.js";
export { createEngine, type Engine, type EngineOptions } from "./engine/engine.js";
export { evaluate } from "./engine/evaluate.js";
export { deny, statusOf, strictest, DECISION_ERRORS, SEVERITY, type Decision, type DecisionErrorCode, type ExplainEntry } from "./engine/decision.js";
export { MemoryRateLimitStore, type RateLimitStore } from "./engine/rate-limit.js";
export { loadBundle, makeBundle, BUNDLE_FORMAT, type PolicyBundle } from "./engine/bundle.js";
export { normalizeRequest, type NormalizedRequest, type RequestResult } from "./request/normalize-request.js";
export type { Subject } from "./request/subject.js";
export { normalizePath } from "./request/normalize-path.js";
export { normalizeHost } from "./net/host-name.js";
export { normalizeUrl } from "./request/normalize-url.js";
export { analyzeCommand } from "./shell/command-checks.js";
export { parseShell } from "./shell/shell-parse.js";
export { canonicalJson } from "./crypto/canonical-json.js";
export { sha256Hex } from "./crypto/sha256.js";
export { AuditLog, AuditOverflowError, type AuditLogOptions, type OnAuditFailure } from "./audit/audit-log.js";
export { auditedCheck, makeChainId } from "./audit/audited-check.js";
export { createLineSink } from "./audit/line-sink.js";
export type { AuditSink, AuditBatch } from "./audit/sink.js";
export { parseSinkSpec, type SinkSpec } from "./audit/sink-spec.js";
export { decisionBody, GENESIS_PREV, type AuditRecord, type Checkpoint, type DecisionRecord } from "./audit/record.js";
export { verifyLines, parseAuditLine, TrailVerifier, type VerifyReport, type VerifyProblem, type VerifyNote, type Line as AuditLine } from "./audit/verify.js";
export { generateSigningKey, parseSigningKey, parsePublicKey, signCheckpoint, checkpointSignatureValid } from "./audit/signing.js";
export { redact } from "./audit/redact.js";
export { toOcsf } from "./audit/ocsf.js";
export { batchLines, type AuditFormat } from "./audit/lines.js";
export { selectRecords, renderRecords, parseFilter, parseSince } from "./audit/export.js";
export { createApp, type AppDeps, type PolicyInfo } from "./http/create-app.js";
export { runtimeConfig, parseTokens, policyInfo, ConfigError, type RuntimeConfig, type AuditConfig } from "./runtime/runtime-config.js";
export { createSafeClawGate, withGuards, denialMessage, type SafeClawGate, type GuardResult, type LocalGateOptions } from "./sdk/gate.js";
export { Gate, ApprovalLookupError, type RemoteGateOptions, type WaitForApprovalOptions } from "./sdk/remote-gate.js";
export type { ApprovalView } from "./approval/approval-view.js";
export type { ApprovalRef } from "./engine/decision.js";
export { ApprovalsClient, type ApprovalsClientOptions, type ApiResult, type ApprovalPage } from "./sdk/approvals-client.js";
export { mapToolCall, mcpRequests, CLAUDE_CODE_TOOLS, type ToolMapping, type ActionRequest, type MappingContext } from "./sdk/tool-mapping.js";
export { anthropicToolCalls, openAIToolCalls, decideToolCall, type ToolCall } from "./sdk/llm-tool-calls.js";
export {
  gateMcpMessage,
  MCP_DENIED_CODE,
  MCP_DECISION_META,
  type McpVerdict,
  type McpMessageOptions,
  type McpDenyForm,
  type McpBatchSplit,
} from "./sdk/mcp.js";
export { McpBatchJoin } from "./sdk/mcp-batch-join.js";
export {
  safeClawToolApproval,
  approvalStatus,
  type VercelToolApprovalStatus,
  type VercelToolApprovalRequest,
  type VercelToolApprovalOptions,
} from "./sdk/vercel-ai.js";
export {
  claudeAgentCanUseTool,
  claudeAgentPreToolUseHook,
  type ClaudeAgentGateOptions,
  type ClaudeAgentApprovalRequest,
  type ClaudeAgentPermissionResult,
  type ClaudeAgentHookOutput,
} from "./sdk/claude-agent-sdk.js";
export { CLAUDE_CODE_TOOL_KINDS, CLAUDE_CODE_INTERNAL_TOOLS, claudeCodeInternalToolsRule } from "./sdk/claude-code-tools.js";
export { OPENAI_RESPONSE_ITEM_TYPES, OPENAI_BUILTIN_TOOLS } from "./sdk/openai-tool-calls.js";
export { argvCommandLine, quoteArgvElement, type ArgvLine } from "./sdk/argv-command-line.js";
export { gatedAgentsTool, type AgentsToolOptionsLike } from "./sdk/openai-agents-tool.js";
