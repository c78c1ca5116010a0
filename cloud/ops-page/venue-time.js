// @ts-check
/**
 * One time format for the operations page and the box office (issue 17, which serves this file from
 * /ops/assets too): every time a page shows is the venue's local time in 24-hour form, whatever the
 * zone and locale of the browser looking at it — an organiser in London watching a venue in Auckland
 * reads the times the stewards at the door read.
 *
 * Venues carry an IANA time zone but no locale yet, so the page formats with British English (day
 * before month, 24 h). `hourCycle: 'h23'` is explicit so that a locale default never brings back a
 * 12-hour clock.
 */

/** The locale times are formatted in until venues carry their own. */
export const VENUE_LOCALE = 'en-GB';

/**
 * A formatter of instants as venue-local 24-hour times (hh:mm, or hh:mm:ss with `seconds`).
 * @param {string} timeZone the venue's IANA zone
 * @param {{ seconds?: boolean }} [options]
 */
export function venueTimeFormat(timeZone, options = {}) {
  return new Intl.DateTimeFormat(VENUE_LOCALE, {
    hour: '2-digit',
    minute: '2-digit',
    ...(options.seconds ? { second: '2-digit' } : {}),
    hourCycle: 'h23',
    timeZone,
  });
}

/**
 * A formatter of instants as venue-local day and 24-hour time ("Sat 1 May, 19:00").
 * @param {string} timeZone
 */
export function venueDateTimeFormat(timeZone) {
  return new Intl.DateTimeFormat(VENUE_LOCALE, {
    weekday: 'short',
    day: 'numeric',
    month: 'short',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
    timeZone,
  });
}

/**
 * The minute of the hour an instant falls on in the venue's zone (zones with half- and quarter-hour
 * offsets put the chart's half-hour ticks elsewhere than UTC does).
 * @param {Date} date
 * @param {string} timeZone
 */
export function venueMinute(date, timeZone) {
  const part = new Intl.DateTimeFormat(VENUE_LOCALE, { minute: 'numeric', timeZone })
    .formatToParts(date)
    .find((p) => p.type === 'minute');
  return Number(part?.value ?? date.getUTCMinutes());
}

/**
 * An instant as the venue's day, date, year and 24-hour time, "Sat 1 May 2027, 17:00" — put together
 * from its parts, so no locale data decides where a comma goes.
 * @param {Date} date
 * @param {string} timeZone
 */
export function venueDayAndTime(date, timeZone) {
  const parts = new Intl.DateTimeFormat(VENUE_LOCALE, {
    weekday: 'short',
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
    timeZone,
  }).formatToParts(date);
  /** @param {Intl.DateTimeFormatPartTypes} type */
  const part = (type) => parts.find((p) => p.type === type)?.value ?? '';
  return `${part('weekday')} ${part('day')} ${part('month')} ${part('year')}, ${part('hour')}:${part('minute')}`;
}
