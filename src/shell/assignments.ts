import { compileWildcard } from "../match/wildcard.js";
import type { Template } from "../match/template.js";
import { type Field, fieldText, isConcreteField, sliceField } from "./fields.js";

/**
 * Assignments that change which programs run or what code they load. No
 * policy can allow them: they stay part of the command's text.
 */
export const NEVER_ALLOWED_ASSIGNMENTS =
  /^(PATH|LD_[A-Z0-9_]*|DYLD_[A-Z0-9_]*|BASH_ENV|ENV|IFS|CDPATH|SHELLOPTS|BASHOPTS|PS4|PROMPT_COMMAND|GLOBIGNORE|HOME|SHELL|ZDOTDIR|BASH_FUNC_.*|GIT_EXEC_PATH|GIT_CONFIG[A-Z0-9_]*|GIT_TEMPLATE_DIR|GIT_DIR|GIT_WORK_TREE|PYTHON[A-Z0-9_]*|NODE_OPTIONS|NODE_PATH|PERL5OPT|PERL5LIB|PERLLIB|RUBYOPT|RUBYLIB|JAVA_TOOL_OPTIONS|_JAVA_OPTIONS|LUA_INIT|LUA_PATH|LUA_CPATH)$/;
/** Assignments whose value is a command some program runs: allowed only with the exact value a policy lists. */
export const RUNS_ITS_VALUE =
  /^(GIT_PAGER|PAGER|MANPAGER|SYSTEMD_PAGER|EDITOR|VISUAL|GIT_EDITOR|GIT_SEQUENCE_EDITOR|GIT_SSH|GIT_SSH_COMMAND|GIT_ASKPASS|SSH_ASKPASS|GIT_PROXY_COMMAND|GIT_EXTERNAL_DIFF|LESSOPEN|LESSCLOSE|BROWSER)$/;

/** The policy's `shell.allowAssignments` patterns, compiled: whether `NAME=VALUE` may stay out of a command's text. */
export function assignmentPolicy(patterns: readonly string[]): (name: string, value: Field) => boolean {
  const tests = patterns.map((p) => {
    const full = p.includes("=") ? p : `${p}=*`;
    const eq = full.indexOf("=");
    const whole = compileWildcard(full);
    const name = compileWildcard(full.slice(0, eq));
    return { test: (s: string) => whole.test(s), name: (n: string) => name.test(n), anyValue: full.slice(eq + 1) === "*", exact: full };
  });
  return (name, value) => {
    if (tests.length === 0 || NEVER_ALLOWED_ASSIGNMENTS.test(name)) return false;
    const concrete = isConcreteField(value);
    const s = `${name}=${fieldText(value)}`;
    if (RUNS_ITS_VALUE.test(name)) return concrete && tests.some((t) => t.exact === s);
    // a run-time value is allowed only by a pattern that allows any value of the name
    return tests.some((t) => (concrete ? t.test(s) : t.anyValue && t.name(name)));
  };
}

/** `NAME=VALUE` as a field: the name and the value, or undefined when it is not an assignment. */
export function splitAssignment(f: Field): { name: string; value: Field } | undefined {
  const head = typeof f.t[0] === "string" ? f.t[0] : "";
  const m = /^([A-Za-z_][A-Za-z0-9_]*)=/.exec(head);
  if (!m) return undefined;
  return { name: m[1]!, value: sliceField(f, m[0].length) };
}

export function assignmentField(name: string, value: Field): Field {
  const t: Template = [name + "=", ...value.t];
  return { t, path: t, split: false, vanish: false, src: `${name}=${value.src}` };
}
