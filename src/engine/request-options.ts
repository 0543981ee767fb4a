import { actionPatternMatches } from "./action-pattern.js";
import type { PolicyIR } from "../policy/ir.js";
import type { RequestOptions } from "../request/normalize-request.js";

const FILE_ACTIONS = ["file.read", "file.write", "file.delete"];

/** What request normalization takes from a policy: its cwd, its shell settings, and whether "possible" files matter. */
export function requestOptionsOf(ir: PolicyIR): RequestOptions {
  const o: RequestOptions = {};
  if (ir.cwd !== undefined) o.cwd = ir.cwd;
  if (ir.commandPaths !== undefined) o.commandPaths = ir.commandPaths;
  if (ir.shell?.allowAssignments !== undefined) o.allowAssignments = ir.shell.allowAssignments;
  // A possible file can only make a decision stricter through a deny or require_approval rule on files.
  o.possibleFiles = ir.rules.some((r) => r.effect !== "allow" && r.actions.some((p) => FILE_ACTIONS.some((a) => actionPatternMatches(p, a))));
  o.possibleNetwork = ir.rules.some((r) => r.effect !== "allow" && r.actions.some((p) => actionPatternMatches(p, "network.request")));
  return o;
}
