/**
 * The one table of built-in actions: the fields a request for each may carry,
 * their kinds, which are required, which a rule's conditions can test and which
 * the audit record keeps. Validation of policies, normalization of requests,
 * audit records and the README's request reference are all derived from it, so
 * adding an action or a field is one edit here.
 *
 * Custom namespaced actions (`payments.charge`) are not listed: they carry
 * `arguments` and the common fields, and any field can be tested on them.
 */
export type FieldKind =
  /** an absolute path, or relative to `cwd`; resolved lexically */
  | "path"
  /** the working directory relative paths are resolved against */
  | "cwd"
  | "url"
  | "host"
  | "port"
  | "scheme"
  | "method"
  /** a shell command line */
  | "command"
  /** an environment variable name */
  | "env-key"
  /** a short free-form name (MCP server, tool) */
  | "name"
  /** a JSON object (MCP tool arguments, custom action arguments) */
  | "object"
  /** true or false */
  | "flag"
  /** a glob on file names (`*.ts`, `*.{ts,tsx}`, `.env`), as search tools take them */
  | "name-glob";

export interface FieldSpec {
  kind: FieldKind;
  /** longest accepted value, in UTF-16 code units (strings) */
  max?: number;
  required?: boolean;
  /** a rule can test it (`cwd` only serves to resolve paths) */
  condition: boolean;
  /** the audit record keeps it in `target` */
  audit: boolean;
}

export interface ActionSpec {
  fields: Readonly<Record<string, FieldSpec>>;
  /** a request must carry at least one of these (a network request needs `url` or `host`) */
  oneOf?: readonly string[];
  summary: string;
}

const path: FieldSpec = { kind: "path", max: 4096, required: true, condition: true, audit: true };
const cwd: FieldSpec = { kind: "cwd", max: 4096, condition: false, audit: true };
const name: FieldSpec = { kind: "name", max: 1024, required: true, condition: true, audit: true };
// A search that reads every file below `path` (Grep, `grep -r`) is a request for the tree, not
// for the directory alone; rules test `path`, so these two only shape which paths are checked.
const recursive: FieldSpec = { kind: "flag", condition: false, audit: false };
const names: FieldSpec = { kind: "name-glob", max: 1024, condition: false, audit: false };

export const ACTION_SCHEMA = {
  "file.read": { fields: { path, cwd, recursive, names }, summary: "read a file (with `recursive`: every file below a directory)" },
  "file.write": { fields: { path, cwd, recursive, names }, summary: "create or change a file" },
  "file.delete": { fields: { path, cwd, recursive, names }, summary: "remove a file" },
  "shell.execute": {
    fields: { command: { kind: "command", max: 65_536, required: true, condition: true, audit: true }, cwd },
    summary: "run a shell command line (every command it runs and every file it names is checked)",
  },
  "network.request": {
    fields: {
      url: { kind: "url", max: 8192, condition: true, audit: true },
      host: { kind: "host", max: 1024, condition: true, audit: true },
      port: { kind: "port", condition: true, audit: true },
      scheme: { kind: "scheme", max: 16, condition: true, audit: false },
      method: { kind: "method", max: 32, condition: true, audit: true },
    },
    oneOf: ["url", "host"],
    summary: "make a network request",
  },
  "env.read": { fields: { key: { kind: "env-key", max: 256, required: true, condition: true, audit: true } }, summary: "read an environment variable" },
  "mcp.call": {
    fields: { server: name, tool: name, arguments: { kind: "object", condition: true, audit: false } },
    summary: "call a tool on an MCP server",
  },
} as const satisfies Record<string, ActionSpec>;

export type BuiltinAction = keyof typeof ACTION_SCHEMA;

/** Fields every request may carry, whatever its action. */
export const COMMON_FIELDS = {
  action: { kind: "name", max: 256, required: true, condition: false, audit: false },
  id: { kind: "name", max: 128, condition: false, audit: false },
  agent: { kind: "name", max: 1024, condition: true, audit: false },
  context: { kind: "object", condition: true, audit: false },
} as const satisfies Record<string, FieldSpec>;

/** What a custom action's request may carry besides the common fields. */
export const CUSTOM_ACTION_FIELDS = { arguments: { kind: "object", condition: true, audit: false } } as const satisfies Record<string, FieldSpec>;

/** Other names the seed pages use for a condition field. */
export const CONDITION_ALIASES: Readonly<Record<string, string>> = { domain: "host", destination: "host" };

export function isBuiltinAction(a: string): a is BuiltinAction {
  return Object.hasOwn(ACTION_SCHEMA, a);
}

export function actionSpec(a: BuiltinAction): ActionSpec {
  return ACTION_SCHEMA[a];
}

/** The fields a request for `action` may carry (common ones included). */
export function requestFields(action: string): Readonly<Record<string, FieldSpec>> {
  return isBuiltinAction(action) ? { ...COMMON_FIELDS, ...actionSpec(action).fields } : { ...COMMON_FIELDS, ...CUSTOM_ACTION_FIELDS };
}

/** Every field a rule can test on some built-in action, alias spellings excluded. */
export function conditionFieldNames(): string[] {
  const out = new Set<string>();
  for (const [n, f] of Object.entries(COMMON_FIELDS)) if (f.condition && f.kind !== "object") out.add(n);
  for (const spec of Object.values(ACTION_SCHEMA) as ActionSpec[]) {
    for (const [n, f] of Object.entries(spec.fields)) if (f.condition && f.kind !== "object") out.add(n);
  }
  return [...out];
}

/** Fields the audit record keeps in `target`, over all actions. */
export function auditTargetFields(): string[] {
  const out = new Set<string>();
  for (const spec of Object.values(ACTION_SCHEMA) as ActionSpec[]) {
    for (const [n, f] of Object.entries(spec.fields)) if (f.audit) out.add(n);
  }
  return [...out];
}
