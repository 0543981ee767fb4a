import type { Node } from "yaml";
import { canonicalAction } from "./actions.js";
import { parseDuration } from "./duration.js";
import { canonicalField, conditionFieldSpellings } from "./fields.js";
import type { AuditSettings, Condition, Effect, PathSettings, RateLimit, RuleIR, Schedule, ShellSettings } from "./ir.js";
import { MIN_AUDIT_MAX_BYTES } from "./ir.js";
import { DAY_NAMES, parseDay, parseHours, validTimeZone } from "./schedule.js";
import { didYouMean } from "./suggest.js";
import { COMPOSERS, parseConditionEntry, parseConditionMap, type ConditionContext } from "./validate-condition.js";
import { describe, type YamlSource } from "./yaml-source.js";

/** A rule as one file gives it: its id is derived when files are merged (policy/rule-id.ts) unless it has `id:`. */
export type FileRuleIR = Omit<RuleIR, "id"> & { id?: string };

/** One file's contribution to a policy, before files are merged. */
export interface PolicyFileIR {
  file: string;
  version?: string;
  description?: string;
  defaultAction?: { value: "allow" | "deny"; node: Node | null };
  cwd?: string;
  paths?: { value: PathSettings; node: Node | null };
  commandPaths?: string[];
  shell?: ShellSettings;
  audit?: AuditSettings;
  rules: FileRuleIR[];
}

const TOP_KEYS = ["version", "description", "name", "defaultAction", "default", "cwd", "paths", "commandPaths", "shell", "rules", "audit"];
const RULE_KEYS = ["id", "description", "action", "actions", "effect", "decision", "reason", "conditions", "when", "rateLimit", "schedule", "expiresAt"];
const EFFECTS: Record<string, Effect> = { allow: "allow", deny: "deny", require_approval: "require_approval", ask: "require_approval" };

export function validateFile(src: YamlSource): PolicyFileIR {
  const ir: PolicyFileIR = { file: src.file, rules: [] };
  const root = src.doc.contents as Node | null;
  if (src.errors.length > 0) return ir;
  if (root === null || (src.isScalar(root) && root.value === null)) {
    src.addAt(0, "no_policy", "policy file is empty");
    return ir;
  }
  if (!src.isMap(root)) {
    src.add(root, "not_a_map", `a policy must be a map with \`rules\`, got ${describe(root)}`);
    return ir;
  }
  let rulesNode: Node | null | undefined;
  let seenDefault: string | undefined;
  for (const [k, v] of src.entries(root, TOP_KEYS, "the policy")) {
    switch (k) {
      case "version": {
        const s = src.isScalar(v) ? String(v.value) : "";
        if (!["1", "1.0"].includes(s)) src.add(v, "bad_value", `unsupported policy version \`${s}\``, "use `version: 1`");
        else ir.version = "1";
        break;
      }
      case "description":
      case "name":
        if (k === "description") {
          const d = src.string(v, "`description`");
          if (d !== undefined) ir.description = d;
        } else src.string(v, "`name`");
        break;
      case "defaultAction":
      case "default": {
        if (seenDefault) src.add(v, "conflict", `both \`${seenDefault}\` and \`${k}\` are set`);
        seenDefault = k;
        const s = src.string(v, `\`${k}\``);
        if (s === "allow" || s === "deny") ir.defaultAction = { value: s, node: v };
        else if (s !== undefined) src.add(v, "bad_value", `\`${k}\` must be \`allow\` or \`deny\`, got \`${s}\``, didYouMean(s, ["allow", "deny"]));
        break;
      }
      case "cwd": {
        const s = src.string(v, "`cwd`");
        if (s !== undefined && !s.startsWith("/")) src.add(v, "bad_value", "`cwd` must be an absolute path");
        else if (s !== undefined) ir.cwd = s.replace(/\/+$/, "") || "/";
        break;
      }
      case "commandPaths": {
        const dirs = validateCommandPaths(src, v);
        if (dirs) ir.commandPaths = dirs;
        break;
      }
      case "shell": {
        const sh = validateShell(src, v);
        if (sh) ir.shell = sh;
        break;
      }
      case "audit": {
        const a = validateAudit(src, v);
        if (a) ir.audit = a;
        break;
      }
      case "paths": {
        const p = validatePaths(src, v);
        if (p) ir.paths = { value: p, node: v };
        break;
      }
      case "rules":
        rulesNode = v;
        break;
    }
  }
  if (rulesNode === undefined) return ir;
  if (src.isScalar(rulesNode) && rulesNode.value === null) return ir;
  if (!src.isSeq(rulesNode)) {
    src.add(rulesNode, "bad_type", `\`rules\` must be a list, got ${describe(rulesNode)}`);
    return ir;
  }
  rulesNode.items.forEach((item, index) => {
    const rule = validateRule(src, src.deref(item), index, ir.cwd, ir.paths?.value.caseInsensitive === true);
    if (rule) ir.rules.push(rule);
  });
  return ir;
}

/** `commandPaths: [/usr/bin, ...]`: absolute directories whose programs are their bare names. */
function validateCommandPaths(src: YamlSource, v: Node | null): string[] | undefined {
  if (!src.isSeq(v)) {
    src.add(v, "bad_type", `\`commandPaths\` must be a list of absolute directories, got ${describe(v)}`, "e.g. `commandPaths: [/usr/bin, /bin]`");
    return undefined;
  }
  const out: string[] = [];
  for (const item of v.items) {
    const n = src.deref(item);
    const s = src.string(n, "a `commandPaths` entry");
    if (s === undefined) continue;
    if (!s.startsWith("/") || /(^|\/)\.\.?(\/|$)|[*?[\]{}]/.test(s))
      src.add(n, "bad_value", `\`commandPaths\` entry \`${s}\` must be an absolute directory without \`.\`, \`..\` or glob characters`);
    else out.push(s.replace(/\/+$/, "") || "/");
  }
  return out;
}

/** `shell: { allowAssignments: [GIT_PAGER=cat, NODE_ENV] }`. */
function validateShell(src: YamlSource, v: Node | null): ShellSettings | undefined {
  if (!src.isMap(v)) {
    src.add(v, "bad_type", `\`shell\` must be a map, got ${describe(v)}`, "e.g. `shell: { allowAssignments: [GIT_PAGER=cat] }`");
    return undefined;
  }
  const out: ShellSettings = {};
  for (const [k, value] of src.entries(v, ["allowAssignments"], "`shell`")) {
    if (k !== "allowAssignments") continue;
    if (!src.isSeq(value)) {
      src.add(value, "bad_type", `\`shell.allowAssignments\` must be a list, got ${describe(value)}`);
      continue;
    }
    out.allowAssignments = [];
    for (const item of value.items) {
      const n = src.deref(item);
      const s = src.string(n, "a `shell.allowAssignments` entry");
      if (s === undefined) continue;
      if (!/^[A-Za-z_*?][A-Za-z0-9_*?]*(=.*)?$/.test(s))
        src.add(n, "bad_value", `\`${s}\` is not \`NAME\` or \`NAME=VALUE\` (a wildcard pattern)`, "e.g. `GIT_PAGER=cat` or `NODE_ENV`");
      else out.allowAssignments.push(s);
    }
  }
  return out;
}

function validateRule(src: YamlSource, node: Node | null, index: number, cwd: string | undefined, caseInsensitive: boolean): FileRuleIR | undefined {
  if (!src.isMap(node)) {
    src.add(node, "not_a_map", `rule ${index + 1} must be a map, got ${describe(node)}`);
    return undefined;
  }
  const what = `rule ${index + 1}`;
  // Conditions sit on the rule itself as well as under `conditions:`: fields and the composers `all`/`any`/`not`.
  const isKey = (k: string) => RULE_KEYS.includes(k) || (COMPOSERS as readonly string[]).includes(k) || canonicalField(k).ok;
  const entries = src.entries(node, isKey, what, [...RULE_KEYS, ...COMPOSERS, ...conditionFieldSpellings()]);
  const get = (k: string) => entries.find((e) => e[0] === k);
  const rule: Partial<RuleIR> & { when: Condition[] } = { when: [], source: src.pos(node) };

  const idEntry = get("id");
  const id = idEntry ? src.string(idEntry[1], "`id`") : undefined;
  if (id !== undefined) rule.id = id;

  const actionEntry = get("action") ?? get("actions");
  if (get("action") && get("actions")) src.add(get("actions")![2], "conflict", "both `action` and `actions` are set");
  rule.actions = actionEntry ? parseActions(src, actionEntry[1]) : [];
  if (!actionEntry) src.add(node, "missing_key", `${what} has no \`action\``, 'add e.g. `action: file.read`, or `action: "*"` for every action');

  const effectEntries = entries.filter((e) => e[0] === "effect" || e[0] === "decision");
  if (effectEntries.length > 1) src.add(effectEntries[1]![2], "conflict", "both `effect` and `decision` are set");
  const effectEntry = effectEntries[0];
  if (!effectEntry) src.add(node, "missing_key", `${what} has no \`effect\``, "add `effect: allow`, `deny` or `require_approval`");
  else {
    const s = src.string(effectEntry[1], `\`${effectEntry[0]}\``);
    if (s !== undefined) {
      const eff = Object.hasOwn(EFFECTS, s) ? EFFECTS[s] : undefined; // `effect: constructor` is not an effect
      if (eff) rule.effect = eff;
      else
        src.add(
          effectEntry[1],
          "unknown_effect",
          `unknown effect \`${s}\``,
          didYouMean(s, Object.keys(EFFECTS)) ?? "use `allow`, `deny` or `require_approval`",
        );
    }
  }

  const reason = get("reason");
  const reasonText = reason ? src.string(reason[1], "`reason`") : undefined;
  if (reasonText !== undefined) rule.reason = reasonText;
  const desc = get("description");
  if (desc) src.string(desc[1], "`description`");

  const ctx: ConditionContext = { src, actions: rule.actions.length ? rule.actions : ["*"], cwd, caseInsensitive };
  const condEntries = entries.filter((e) => e[0] === "conditions" || e[0] === "when");
  if (condEntries.length > 1) src.add(condEntries[1]![2], "conflict", "both `conditions` and `when` are set");
  for (const [k, v, pair] of entries) {
    if (k === "conditions" || k === "when") rule.when.push(...parseConditionMap(v, ctx, `\`${k}\``));
    else if (!RULE_KEYS.includes(k)) {
      const c = parseConditionEntry(k, v, ctx, src.deref(pair.key));
      if (c) rule.when.push(c);
    }
  }

  const rl = get("rateLimit");
  const rateLimit = rl ? validateRateLimit(src, rl[1]) : undefined;
  if (rateLimit) rule.rateLimit = rateLimit;
  const sc = get("schedule");
  const schedule = sc ? validateSchedule(src, sc[1]) : undefined;
  if (schedule) rule.schedule = schedule;
  const ex = get("expiresAt");
  if (ex) {
    const s = src.isScalar(ex[1]) ? String(ex[1].value) : undefined;
    if (s === undefined || Number.isNaN(Date.parse(s))) src.add(ex[1], "bad_value", "`expiresAt` must be an ISO 8601 date-time, e.g. 2026-12-31T23:59:59Z");
    else rule.expiresAt = new Date(Date.parse(s)).toISOString();
  }
  if (!rule.effect || rule.actions.length === 0) return undefined;
  return rule as FileRuleIR;
}

function parseActions(src: YamlSource, node: Node | null): string[] {
  const items = src.isSeq(node) ? node.items.map((i) => src.deref(i)) : [node];
  const out: string[] = [];
  for (const item of items) {
    const s = src.string(item, "`action`");
    if (s === undefined) continue;
    const a = canonicalAction(s);
    if (!a.ok) src.add(item, "unknown_action", a.message, a.help);
    else out.push(a.action);
  }
  return out;
}

function validateRateLimit(src: YamlSource, node: Node | null): RateLimit | undefined {
  if (!src.isMap(node)) {
    src.add(node, "bad_type", "`rateLimit` must be a map with `maxRequests` and `window`");
    return undefined;
  }
  const e = src.entries(node, ["maxRequests", "window", "per"], "`rateLimit`");
  const max = e.find((x) => x[0] === "maxRequests")?.[1] ?? null;
  const win = e.find((x) => x[0] === "window")?.[1] ?? null;
  const per = e.find((x) => x[0] === "per")?.[1];
  let ok = true;
  if (!src.isScalar(max) || typeof max.value !== "number" || !Number.isInteger(max.value) || max.value < 1) {
    src.add(max ?? node, "bad_value", "`rateLimit.maxRequests` must be a positive integer");
    ok = false;
  }
  const windowMs = src.isScalar(win) && (typeof win.value === "string" || typeof win.value === "number") ? parseDuration(win.value) : undefined;
  if (windowMs === undefined) {
    src.add(win ?? node, "bad_value", "`rateLimit.window` must be a duration such as `1 minute`, `30s` or `1h`");
    ok = false;
  }
  let perValue: "agent" | "rule" = "agent";
  if (per !== undefined) {
    const s = src.string(per, "`rateLimit.per`");
    if (s === "agent" || s === "rule") perValue = s;
    else if (s !== undefined) {
      src.add(per, "bad_value", "`rateLimit.per` must be `agent` or `rule`");
      ok = false;
    }
  }
  return ok ? { maxRequests: (max as { value: number }).value, windowMs: windowMs!, per: perValue } : undefined;
}

function validateSchedule(src: YamlSource, node: Node | null): Schedule | undefined {
  if (!src.isMap(node)) {
    src.add(node, "bad_type", "`schedule` must be a map with `days`, `hours` and `timezone`");
    return undefined;
  }
  const s: Schedule = { timezone: "UTC" };
  let ok = true;
  for (const [k, v] of src.entries(node, ["days", "hours", "timezone"], "`schedule`")) {
    if (k === "days") {
      const items = src.isSeq(v) ? v.items.map((i) => src.deref(i)) : [v];
      s.days = [];
      for (const item of items) {
        const d = src.isScalar(item) && typeof item.value === "string" ? parseDay(item.value) : undefined;
        if (d === undefined) {
          src.add(item, "bad_value", `\`schedule.days\` takes day names (${DAY_NAMES.join(", ")})`);
          ok = false;
        } else s.days.push(d);
      }
    } else if (k === "hours") {
      const h = src.isScalar(v) && typeof v.value === "string" ? parseHours(v.value) : undefined;
      if (!h) {
        src.add(v, "bad_value", "`schedule.hours` must look like `09:00-17:00`");
        ok = false;
      } else s.hours = h;
    } else {
      const tz = src.string(v, "`schedule.timezone`");
      if (tz !== undefined && !validTimeZone(tz)) {
        src.add(v, "bad_value", `unknown time zone \`${tz}\``, "use an IANA name such as `UTC` or `Europe/Paris`");
        ok = false;
      } else if (tz !== undefined) s.timezone = tz;
    }
  }
  return ok ? s : undefined;
}

/** `paths: { caseInsensitive: true }`: how paths compare on the agents' file systems. */
function validatePaths(src: YamlSource, node: Node | null): PathSettings | undefined {
  if (!src.isMap(node)) {
    src.add(node, "bad_type", "`paths` must be a map, e.g. `paths: { caseInsensitive: true }`");
    return undefined;
  }
  const out: PathSettings = { caseInsensitive: false };
  for (const [, v] of src.entries(node, ["caseInsensitive"], "`paths`")) {
    if (!src.isScalar(v) || typeof v.value !== "boolean") {
      src.add(v, "bad_type", "`paths.caseInsensitive` must be true or false");
      return undefined;
    }
    out.caseInsensitive = v.value;
  }
  return out;
}

function validateAudit(src: YamlSource, node: Node | null): AuditSettings | undefined {
  if (!src.isMap(node)) {
    src.add(node, "bad_type", "`audit` must be a map");
    return undefined;
  }
  const a: AuditSettings = {};
  const choices: Record<string, readonly string[]> = { sink: ["stdout", "file", "s3"], format: ["json", "ndjson", "ocsf"], onAuditFailure: ["deny", "allow"] };
  for (const [k, v] of src.entries(node, ["sink", "path", "url", "format", "onAuditFailure", "maxBytes"], "`audit`")) {
    if (k === "maxBytes") {
      const n = src.isScalar(v) ? v.value : undefined;
      if (typeof n !== "number" || !Number.isSafeInteger(n) || n < MIN_AUDIT_MAX_BYTES) {
        src.add(v, "bad_value", `\`audit.maxBytes\` must be a whole number of bytes, at least ${MIN_AUDIT_MAX_BYTES} (e.g. 10485760 for 10 MiB)`);
      } else a.maxBytes = n;
      continue;
    }
    const s = src.string(v, `\`audit.${k}\``);
    if (s === undefined) continue;
    const allowed = choices[k];
    if (allowed && !allowed.includes(s)) {
      src.add(v, "bad_value", `\`audit.${k}\` must be one of ${allowed.join(", ")}`, didYouMean(s, allowed));
      continue;
    }
    (a as Record<string, string>)[k] = s;
  }
  return a;
}
