import type { CompiledPolicy } from "../engine/compile.js";
import { deny, type Decision } from "../engine/decision.js";
import { createEngine, type Engine } from "../engine/engine.js";
import { ApprovalService, type ApprovalServiceDeps, type NamedApproval } from "./approval-service.js";
import { countHits, DeferredLimits } from "./deferred-limits.js";

/**
 * The engine with the state a decision can need: rate limits counted in the
 * deployment's StateStore and the approval round trip. Answers synchronously
 * when nothing needs the store (no limit was hit, no approval asked or named),
 * so the common request pays nothing for it. What it adds can only make an
 * answer stricter, except an approval or grant that the checks in
 * ApprovalService accept turning `require_approval` into `allow`.
 */
export interface GatekeeperOptions extends Omit<ApprovalServiceDeps, "clock"> {
  clock?: () => number;
}

export class Gatekeeper {
  readonly engine: Engine;
  readonly approvals: ApprovalService;
  private readonly limits = new DeferredLimits();

  constructor(policy: CompiledPolicy, opts: GatekeeperOptions) {
    this.engine = createEngine(policy, { rateLimits: this.limits, ...(opts.clock ? { clock: opts.clock } : {}) });
    this.approvals = new ApprovalService(opts);
  }

  get policy(): CompiledPolicy {
    return this.engine.policy;
  }

  check(request: unknown, opts?: { explain?: boolean }): Decision | Promise<Decision> {
    const named = namedApproval(request);
    if (named === undefined) {
      const d = this.engine.check(request, opts);
      const hits = this.limits.take();
      if (hits.length === 0 && d.decision !== "require_approval") return d;
      return this.finish(d, request as Record<string, unknown>, hits, {});
    }
    if ("problem" in named) return named.problem(this.policy.digest);
    const d = this.engine.check(named.request, opts);
    return this.finish(d, named.request, this.limits.take(), named.named);
  }

  private async finish(d0: Decision, request: Record<string, unknown>, hits: ReturnType<DeferredLimits["take"]>, named: NamedApproval): Promise<Decision> {
    const d = hits.length === 0 ? d0 : await countHits(d0, hits, this.approvals.state);
    if (d.decision !== "require_approval") return d;
    return this.approvals.settle(d, request, named);
  }
}

type Named = { request: Record<string, unknown>; named: NamedApproval } | { problem: (policy: string) => Decision };

const MAX_NAMED_LENGTH = 4096;

/**
 * `approval` and `grant` say which approval a retry is, not what it does:
 * they are taken out before the engine sees the request (to which they are
 * unknown fields). Undefined when the request names neither.
 */
function namedApproval(request: unknown): Named | undefined {
  if (request === null || typeof request !== "object" || Array.isArray(request)) return undefined;
  const hasApproval = Object.hasOwn(request, "approval");
  const hasGrant = Object.hasOwn(request, "grant");
  if (!hasApproval && !hasGrant) return undefined;
  const r = request as Record<string, unknown>;
  if (hasApproval && hasGrant) return bad("send `approval` or `grant`, not both", "approval");
  const field = hasApproval ? "approval" : "grant";
  const v = r[field];
  if (typeof v !== "string" || v === "" || v.length > MAX_NAMED_LENGTH) {
    return bad(`\`${field}\` must be a non-empty string of at most ${MAX_NAMED_LENGTH} characters (the id or grant an approval gave)`, field);
  }
  // fromEntries defines each key as data: an own `__proto__` stays a field the engine refuses, never a prototype.
  const rest: Record<string, unknown> = Object.fromEntries(Object.entries(r).filter(([k]) => k !== field));
  return { request: rest, named: hasApproval ? { approval: v } : { grant: v } };
}

function bad(message: string, field: string): Named {
  return { problem: (policy) => deny("invalid_request", `invalid request: ${message}`, { policy, field }) };
}
