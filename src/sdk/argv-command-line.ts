/**
 * An argv array (what a client passes to exec, no shell) as one shell command
 * line the engine's parser reads back as the same argv: every element in
 * single quotes, where nothing is special (no globbing, no `$`, no `~`, no
 * assignment), and each `'` written as `'\''`. Environment entries go first as
 * `KEY='value'` assignments, so a policy sees them in the command it matches
 * (`LD_PRELOAD=... ls` is not `ls *`).
 *
 * What quoting cannot say is an error: an empty argv, an element that is not a
 * string or holds a NUL (exec cannot pass one; the shell would cut it), and an
 * environment key that is not a shell name (as a prefix it would become the
 * command word instead of an assignment).
 */
export type ArgvLine = { ok: true; line: string } | { ok: false; problem: string };

const SHELL_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function quoteArgvElement(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

export function argvCommandLine(argv: unknown, env: unknown = {}): ArgvLine {
  if (!Array.isArray(argv) || argv.length === 0) return { ok: false, problem: "command is not a non-empty array of strings" };
  if (!argv.every((a): a is string => typeof a === "string")) return { ok: false, problem: "command has an element that is not a string" };
  if (argv.some((a) => a.includes("\0"))) return { ok: false, problem: "command has an element with a NUL byte" };
  if (env !== undefined && env !== null && (typeof env !== "object" || Array.isArray(env))) return { ok: false, problem: "env is not an object of strings" };
  const assignments: string[] = [];
  for (const [key, value] of Object.entries((env ?? {}) as Record<string, unknown>)) {
    if (!SHELL_NAME.test(key)) return { ok: false, problem: `env key ${JSON.stringify(key)} is not a variable name` };
    if (typeof value !== "string" || value.includes("\0")) return { ok: false, problem: `env value of ${key} is not a string without NUL` };
    assignments.push(`${key}=${quoteArgvElement(value)}`);
  }
  return { ok: true, line: [...assignments, ...argv.map(quoteArgvElement)].join(" ") };
}
