import { ACTION_SCHEMA, COMMON_FIELDS, CONDITION_ALIASES, conditionFieldNames, isBuiltinAction } from "./action-schema.js";
import { didYouMean } from "./suggest.js";

/**
 * Request fields a condition can test, derived from the action schema.
 * `domain` and `destination` are the seed pages' names for the host of a
 * network request; `context.*` and `arguments.*` reach into free-form request
 * data.
 */
export const CONDITION_FIELDS: readonly string[] = conditionFieldNames();
const SPELLINGS: readonly string[] = [...CONDITION_FIELDS, ...Object.keys(CONDITION_ALIASES)];

export type FieldResult = { ok: true; field: string } | { ok: false; message: string; help?: string };

const DOTTED = /^(context|arguments)(\.[A-Za-z0-9_-]+)+$/;

export function canonicalField(name: string): FieldResult {
  if (CONDITION_FIELDS.includes(name)) return { ok: true, field: name };
  if (Object.hasOwn(CONDITION_ALIASES, name)) return { ok: true, field: CONDITION_ALIASES[name]! };
  if (DOTTED.test(name)) return { ok: true, field: name };
  return {
    ok: false,
    message: `unknown field \`${name}\``,
    help: didYouMean(name, SPELLINGS) ?? "fields: " + SPELLINGS.join(", ") + ", context.<key>, arguments.<key>",
  };
}

/** Every spelling of a condition field, for "did you mean" on rule keys. */
export function conditionFieldSpellings(): readonly string[] {
  return SPELLINGS;
}

/** Can a request for `action` (canonical, or a wildcard pattern) carry `field`? */
export function fieldApplies(field: string, action: string): boolean {
  const root = field.split(".")[0]!;
  if (Object.hasOwn(COMMON_FIELDS, root)) return true;
  if (!isBuiltinAction(action)) return true; // `*`, `file.*`, custom actions
  const spec = (ACTION_SCHEMA[action].fields as Record<string, { condition: boolean }>)[root];
  return spec !== undefined && spec.condition;
}
