import type { Template } from "../match/template.js";

/**
 * What a rule is tested against: one normalized action on one resource. A
 * request usually is one subject; a shell command line is one subject per
 * command it would run, plus one per file its redirections touch.
 */
export interface Subject {
  action: string;
  path?: string;
  url?: string;
  host?: string;
  port?: number;
  scheme?: string;
  method?: string;
  command?: string;
  key?: string;
  server?: string;
  tool?: string;
  agent?: string;
  context?: Record<string, unknown>;
  arguments?: Record<string, unknown>;
  /** a file action implied by a command line (a redirection, or a file a command names) */
  viaRedirection?: boolean;
  /**
   * A file a command line may touch without the engine knowing it does (a word
   * of a program it does not model that names an existing-looking path, `jq -R .
   * .env`): rules apply first-match as usual, but the policy default does not,
   * so such a subject can make a decision stricter and never needs an allow.
   */
  possible?: boolean;
  /**
   * When part of `command` or `path` is only known at run time: the template
   * it stands for (`command`/`path` then hold its source text, for reasons).
   * Rules treat such a subject by may-match (deny) / must-match (allow); see
   * match/template.ts. Absent means the field is exactly known. `key` is
   * an `env.read` of every variable (`env`, `printenv`, `set`): `key` is
   * then `*` and the template a single hole, so a deny on any key may-match
   * and only an allow on every key must-match. `url` is a host-form
   * `network.request` (`host`, no `url`): it may carry any URL on that
   * scheme, host and port, so its template is the origin, `/`, and a hole
   * (see host-form-url.ts); `url` itself stays unset, as sent.
   */
  templates?: { command?: Template; path?: Template; key?: Template; url?: Template };
}

/** One line naming a subject, for reasons and explanations (built only when needed). */
export function describeSubject(s: Subject): string {
  const target = s.command ?? s.url ?? s.host ?? s.path ?? s.key ?? (s.server !== undefined ? `${s.server}/${s.tool}` : undefined);
  const method = s.method !== undefined ? ` ${s.method}` : "";
  return `${s.action}${method}${target !== undefined ? " " + target : ""}${s.viaRedirection ? " (implied by the command)" : ""}`;
}

/** Reads a (possibly dotted) field off a subject without touching prototypes. */
export function fieldGetter(field: string): (s: Subject) => unknown {
  const dot = field.indexOf(".");
  if (dot < 0) return (s) => (s as unknown as Record<string, unknown>)[field];
  const [root, ...rest] = field.split(".");
  return (s) => {
    let v: unknown = (s as unknown as Record<string, unknown>)[root!];
    for (const k of rest) {
      if (v === null || typeof v !== "object" || !Object.hasOwn(v, k)) return undefined;
      v = (v as Record<string, unknown>)[k];
    }
    return v;
  };
}
