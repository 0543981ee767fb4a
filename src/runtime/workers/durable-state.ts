import type { ApprovalChange, ApprovalQuery, ApprovalStatus, StoredApproval } from "../../approval/state-store.js";
import type { RateLimit } from "../../policy/ir.js";
import { ApprovalObject, type Revised } from "./durable-approval.js";
import { ApprovalIndex } from "./durable-index.js";
import { OnceMark } from "./durable-once.js";
import { RateBucket } from "./durable-rate.js";
import { STATE_BINDING, type DurableObjectNamespaceLike, type DurableObjectStateLike } from "./durable-rpc.js";

/**
 * The Durable Object class behind DurableObjectStateStore (bound as
 * SAFECLAW_STATE; a Worker script re-exports it). Every object is one of
 * four kinds, chosen by the name the store gives it: a rate-limit bucket
 * (`rate:<bucket>`), a single-use mark (`once:<key>`), one approval
 * (`approval:<id>`) or the approval index (`approvals`). The kind's code is
 * in its own file; this class routes `POST /<kind>/<op>` to it and answers
 * `{"result": ...}`, or 400/404/500 with `{"error": "..."}`.
 */
export class SafeClawState {
  private rate: RateBucket | undefined;
  private once: OnceMark | undefined;
  private approval: ApprovalObject | undefined;
  private index: ApprovalIndex | undefined;

  constructor(
    private readonly state: DurableObjectStateLike,
    private readonly env: Record<string, unknown>,
  ) {}

  async fetch(request: Request): Promise<Response> {
    const op = new URL(request.url).pathname.slice(1);
    let body: Record<string, unknown>;
    try {
      body = (await request.json()) as Record<string, unknown>;
      if (typeof body !== "object" || body === null) throw new TypeError("not an object");
    } catch {
      return Response.json({ error: "the body is not a JSON object" }, { status: 400 });
    }
    try {
      const result = await this.run(op, body);
      return result === undefined ? Response.json({ error: `no operation ${op}` }, { status: 404 }) : Response.json({ result });
    } catch (e) {
      return Response.json({ error: (e as Error).message }, { status: 500 });
    }
  }

  /** Alarms: an approval resends its copy to a lagging index; a bucket or a mark whose time has passed is deleted. */
  async alarm(): Promise<void> {
    if ((await this.state.storage.get("approval")) !== undefined) return this.approvalObject().repair();
    this.rate = this.once = undefined;
    await this.state.storage.deleteAll();
  }

  // Bodies come from this package's own store (durable-state-store.ts); their shapes are its contract.
  private run(op: string, b: Record<string, unknown>): Promise<unknown> | undefined {
    switch (op) {
      case "rate/hit":
        return (this.rate ??= new RateBucket(this.state.storage)).hit(b.limit as RateLimit, b.nowMs as number);
      case "once/mark":
        return (this.once ??= new OnceMark(this.state.storage)).mark(b.expiresMs as number, b.nowMs as number);
      case "approval/init":
        return this.approvalObject().init(b as unknown as StoredApproval);
      case "approval/get":
        return this.approvalObject().get();
      case "approval/transition":
        return this.approvalObject().transition(b.from as ApprovalStatus, b.change as ApprovalChange);
      case "index/create":
        return this.approvalIndex().create(b.approval as StoredApproval, b.nowMs as number);
      case "index/update":
        return this.approvalIndex().update(b as unknown as Revised);
      case "index/list":
        return this.approvalIndex().list(b.query as ApprovalQuery, b.nowMs as number);
      default:
        return undefined;
    }
  }

  private approvalObject(): ApprovalObject {
    return (this.approval ??= new ApprovalObject(this.state.storage, () => this.namespace()));
  }

  private approvalIndex(): ApprovalIndex {
    return (this.index ??= new ApprovalIndex(this.state.storage, () => this.namespace()));
  }

  private namespace(): DurableObjectNamespaceLike {
    const ns = this.env[STATE_BINDING] as DurableObjectNamespaceLike | undefined;
    if (!ns || typeof ns.idFromName !== "function") throw new Error(`the Durable Object has no ${STATE_BINDING} binding to reach the other objects`);
    return ns;
  }
}
