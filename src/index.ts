/**
 * SafeClaw Edge engine: platform-neutral (no Node built-ins, no file system,
 * no process), so the same code decides in Workers, Lambda and Node.
 */
export { loadPolicy, parsePolicy, policyDigest, decisionView, type PolicySource, type LoadResult, type ParseResult } from "./policy/load.js";
export { formatPolicyError, PolicyLoadError, type PolicyError, type PolicyErrorCode } from "./policy/errors.js";
export type { PolicyIR, RuleIR, Effect, Condition, FieldTest } from "./policy/ir.js";
export { canonicalAction, BUILTIN_ACTIONS } from "./policy/actions.js";
export { compilePolicy, type CompiledPolicy } from "./engine/compile.js";
export { createEngine, type Engine, type EngineOptions } from "./engine/engine.js";
export { evaluate } from "./engine/evaluate.js";
export type { Decision, ExplainEntry } from "./engine/decision.js";
export { MemoryRateLimitStore, type RateLimitStore } from "./engine/rate-limit.js";
export { normalizeRequest } from "./request/normalize-request.js";
export { normalizePath } from "./request/normalize-path.js";
export { normalizeHost } from "./request/normalize-host.js";
export { normalizeUrl } from "./request/normalize-url.js";
export { analyzeCommand } from "./shell/command-checks.js";
export { parseShell } from "./shell/shell-parse.js";
export { canonicalJson } from "./crypto/canonical-json.js";
export { sha256Hex } from "./crypto/sha256.js";
