export const DAY_NAMES = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

export function parseDay(v: string): number | undefined {
  const i = DAY_NAMES.indexOf(v.trim().toLowerCase().slice(0, 3));
  return i < 0 ? undefined : i;
}

/** "09:00-17:30" → minutes after midnight. */
export function parseHours(v: string): [number, number] | undefined {
  const m = /^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$/.exec(v);
  if (!m) return undefined;
  const a = Number(m[1]) * 60 + Number(m[2]);
  const b = Number(m[3]) * 60 + Number(m[4]);
  if (Number(m[1]) > 24 || Number(m[3]) > 24 || Number(m[2]) > 59 || Number(m[4]) > 59 || a > 1440 || b > 1440 || a === b) return undefined;
  return [a, b];
}

export function validTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}
