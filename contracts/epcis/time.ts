/**
 * EPCIS timestamps (EPCIS 2.0 "when" fields; the EPCIS 2.0 JSON-LD context types eventTime,
 * recordTime, declarationTime and sensor times as xsd:dateTimeStamp): an RFC 3339 date-time
 * with a mandatory time zone, read as XML Schema 1.1 Part 2 reads a dateTimeStamp. So: `T`
 * between date and time (RFC 3339 section 5.6 allows lower case), no leap second (XSD 1.1
 * seconds stop at 59), zone `Z` or `±hh:mm` within ±14:00 (the XSD 1.1 time zone range).
 * Pure integer arithmetic: no Date objects, no locale, no clock.
 */

const TIMESTAMP_PATTERN = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;
/** EPCIS 2.0 and GS1's JSON schema: eventTimeZoneOffset is `±hh:mm` within ±14:00. */
const TIME_ZONE_OFFSET_PATTERN = /^([+-])((0[0-9]|1[0-3]):([0-5][0-9])|14:00)$/;

const MINUTES_PER_HOUR = 60;
const SECONDS_PER_DAY = 86_400;
const ZONE_OFFSET_MINUTES_MAX = 14 * MINUTES_PER_HOUR;

export interface Timestamp {
  /** Whole seconds since 1970-01-01T00:00:00Z. */
  epochSeconds: number;
  /** Decimal digits of the fraction of a second, without trailing zeros ('' when whole). */
  fractionDigits: string;
}

function isLeapYear(year: number): boolean {
  return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
function daysFromCivil(year: number, month: number, day: number): number {
  const shiftedYear = month <= 2 ? year - 1 : year;
  const era = Math.floor(shiftedYear / 400);
  const yearOfEra = shiftedYear - era * 400;
  const dayOfYear = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

/** The inverse of daysFromCivil (H. Hinnant's civil_from_days). */
function civilFromDays(days: number): { year: number; month: number; day: number } {
  const shifted = days + 719_468;
  const era = Math.floor(shifted / 146_097);
  const dayOfEra = shifted - era * 146_097;
  const yearOfEra = Math.floor((dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36_524) - Math.floor(dayOfEra / 146_096)) / 365);
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const monthIndex = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * monthIndex + 2) / 5) + 1;
  const month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9;
  const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
  return { year, month, day };
}

/** Reads an EPCIS timestamp, or returns undefined when it is not one. */
export function parseTimestamp(text: string): Timestamp | undefined {
  const match = TIMESTAMP_PATTERN.exec(text);
  if (match === null) return undefined;
  const [, yearText, monthText, dayText, hourText, minuteText, secondText, fractionText, zulu, sign, zoneHourText, zoneMinuteText] = match;
  const year = Number(yearText);
  const month = Number(monthText);
  const day = Number(dayText);
  const hour = Number(hourText);
  const minute = Number(minuteText);
  const second = Number(secondText);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  let zoneMinutes = 0;
  if (zulu === undefined) {
    const zoneHour = Number(zoneHourText);
    const zoneMinute = Number(zoneMinuteText);
    if (zoneMinute > 59) return undefined;
    zoneMinutes = zoneHour * MINUTES_PER_HOUR + zoneMinute;
    if (zoneMinutes > ZONE_OFFSET_MINUTES_MAX) return undefined;
    if (sign === '-') zoneMinutes = -zoneMinutes;
  }
  const localSeconds = daysFromCivil(year, month, day) * SECONDS_PER_DAY + hour * 3600 + minute * 60 + second;
  return {
    epochSeconds: localSeconds - zoneMinutes * 60,
    fractionDigits: (fractionText ?? '').replace(/0+$/, ''),
  };
}

export function isTimestamp(text: string): boolean {
  return parseTimestamp(text) !== undefined;
}

function pad(value: number, width: number): string {
  const digits = String(Math.abs(value)).padStart(width, '0');
  return value < 0 ? `-${digits}` : digits;
}

/**
 * One spelling per instant: UTC, `Z`, seconds always present, the fraction exactly as given
 * minus trailing zeros (never rounded, so no two distinct instants share a spelling).
 * `2005-04-03T20:33:31.116000-06:00` becomes `2005-04-04T02:33:31.116Z`.
 */
export function normalizeTimestamp(text: string): string | undefined {
  const timestamp = parseTimestamp(text);
  if (timestamp === undefined) return undefined;
  const days = Math.floor(timestamp.epochSeconds / SECONDS_PER_DAY);
  const secondOfDay = timestamp.epochSeconds - days * SECONDS_PER_DAY;
  const { year, month, day } = civilFromDays(days);
  const time = `${pad(Math.floor(secondOfDay / 3600), 2)}:${pad(Math.floor((secondOfDay % 3600) / 60), 2)}:${pad(secondOfDay % 60, 2)}`;
  const fraction = timestamp.fractionDigits === '' ? '' : `.${timestamp.fractionDigits}`;
  return `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}T${time}${fraction}Z`;
}

/** Milliseconds since the epoch, the fraction cut (not rounded) to whole milliseconds. */
export function timestampMilliseconds(text: string): number | undefined {
  const timestamp = parseTimestamp(text);
  if (timestamp === undefined) return undefined;
  return timestamp.epochSeconds * 1000 + Number(timestamp.fractionDigits.slice(0, 3).padEnd(3, '0'));
}

export function isTimeZoneOffset(text: string): boolean {
  return TIME_ZONE_OFFSET_PATTERN.test(text);
}

/** `-00:00` and `+00:00` are the same offset; one spelling for hashing. */
export function normalizeTimeZoneOffset(text: string): string {
  return text === '-00:00' ? '+00:00' : text;
}
