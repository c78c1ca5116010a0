// @ts-check
/**
 * The "Arrived X of Y sold" panel of the operations page (issue 17): the event's line with a bar, then
 * one row per ticket type. Figures come from the operations JSON's `arrivals` (the cloud counts them
 * over its admission history: sold = valid tickets, arrived = came in at least once, inside = latest
 * movement an entry). Values reach the page through textContent; bar widths through the CSSOM (the CSP
 * allows no inline styles).
 */

/**
 * @typedef {{ sold: number, arrived: number, inside: number }} Counts
 * @typedef {Counts & { byTicketType: Array<Counts & { ticketTypeId: string, typeNo: number, name: string }> }} Arrivals
 */

const number = new Intl.NumberFormat('en-GB');
const percent = new Intl.NumberFormat('en-GB', { style: 'percent', maximumFractionDigits: 0 });

/** @param {Counts} counts */
const share = (counts) => (counts.sold === 0 ? 0 : counts.arrived / counts.sold);

/** "Arrived 120 of 176 sold (68 %)"; no percentage when nothing is sold. @param {Counts} counts */
export function arrivedText(counts) {
  const base = `Arrived ${number.format(counts.arrived)} of ${number.format(counts.sold)} sold`;
  if (counts.sold === 0) return base;
  // "68 %" with a space, as the page writes every unit.
  return `${base} (${percent.format(share(counts)).replace('%', ' %')})`;
}

/**
 * @param {string} tag
 * @param {string} className
 * @param {string} [text]
 */
function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/** A bar of arrived over sold, with inside as a darker part of it. @param {Counts} counts */
function bar(counts) {
  const track = el('div', 'arrival-track');
  const arrived = el('div', 'arrival-fill');
  const inside = el('div', 'arrival-inside');
  arrived.style.width = `${Math.min(100, share(counts) * 100)}%`;
  inside.style.width = `${counts.sold === 0 ? 0 : Math.min(100, (counts.inside / counts.sold) * 100)}%`;
  track.append(arrived, inside);
  track.setAttribute('role', 'progressbar');
  track.setAttribute('aria-valuemin', '0');
  track.setAttribute('aria-valuemax', String(counts.sold));
  track.setAttribute('aria-valuenow', String(counts.arrived));
  track.setAttribute('aria-label', 'Arrived of sold');
  return track;
}

/**
 * Draws the panel into `root` (the section #arrivals).
 * @param {HTMLElement} root
 * @param {Arrivals} arrivals
 */
export function renderArrivals(root, arrivals) {
  const headline = el('p', 'arrived-headline', arrivedText(arrivals));
  headline.id = 'arrived-total';
  const inside = el('p', 'arrived-inside', `${number.format(arrivals.inside)} inside now`);
  const rows = arrivals.byTicketType.map((type) => {
    const row = el('li', 'arrival-type');
    row.dataset['ticketTypeId'] = type.ticketTypeId;
    const label = el('div', 'label');
    label.append(
      el('span', 'type-name', type.name),
      el('span', 'count', `${arrivedText(type)} · ${number.format(type.inside)} inside`),
    );
    row.append(label, bar(type));
    return row;
  });
  const list = el('ul', 'arrival-types');
  list.setAttribute('aria-label', 'Per ticket type');
  list.replaceChildren(...rows);
  root.replaceChildren(headline, bar(arrivals), inside, list);
}
