import type { Schedule } from "../policy/ir.js";
import { parseDay } from "../policy/schedule.js";

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
