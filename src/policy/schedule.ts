import type { Schedule } from "./ir.js";

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

const formatters = new Map<string, Intl.DateTimeFormat>();

/** Is the schedule open at `nowMs`? Day and hour are read in the schedule's time zone. */
export function scheduleOpen(s: Schedule, nowMs: number): boolean {
  let f = formatters.get(s.timezone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", { timeZone: s.timezone, weekday: "short", hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
    formatters.set(s.timezone, f);
  }
  let day = 0;
  let minutes = 0;
  for (const p of f.formatToParts(nowMs)) {
    if (p.type === "weekday") day = parseDay(p.value) ?? 0;
    else if (p.type === "hour") minutes += Number(p.value) * 60;
    else if (p.type === "minute") minutes += Number(p.value);
  }
  if (s.hours) {
    const [a, b] = s.hours;
    const inside = a < b ? minutes >= a && minutes < b : minutes >= a || minutes < b;
    if (!inside) return false;
    // A window that spans midnight belongs to the day it started on.
    if (a > b && minutes < b) day = (day + 6) % 7;
  }
  return s.days === undefined || s.days.includes(day);
}
