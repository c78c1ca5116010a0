/**
 * Paints the zone strip (issue 18) from occupancy-text.ts: the passage, the target zone's count with its
 * level (`data-level` ok | warn | full, and the level in words), the other zones small, and the count's
 * age (`data-tone`). Hidden while the agent sends no zone fields. Touches the DOM only where the words
 * changed (the status is polled every 2 s).
 */
import type { OccupancyText, ZoneLine } from './occupancy-text';

export interface OccupancyElements {
  strip: HTMLElement;
  passage: HTMLElement;
  target: HTMLElement;
  others: HTMLElement;
  age: HTMLElement;
}

function setText(element: HTMLElement, text: string): void {
  if (element.textContent !== text) element.textContent = text;
}

/** "VIP Lounge 38 / 40 Full" as name, count and state spans (the state only when there is one). */
function fillZone(element: HTMLElement, zone: ZoneLine): void {
  element.dataset['level'] = zone.level;
  element.dataset['zone'] = zone.id;
  const parts: Array<[string, string]> = [
    ['zone-name', zone.name],
    ['zone-count', zone.count],
  ];
  if (zone.state) parts.push(['zone-state', zone.state]);
  const current = [...element.children].map((child) => `${child.className}=${child.textContent}`).join('|');
  if (current === parts.map(([cls, text]) => `${cls}=${text}`).join('|')) return;
  element.replaceChildren(
    ...parts.map(([cls, text]) => {
      const span = element.ownerDocument.createElement('span');
      span.className = cls;
      span.textContent = text;
      return span;
    }),
  );
}

export function paintOccupancy(elements: OccupancyElements, text: OccupancyText | null): void {
  elements.strip.hidden = text === null;
  if (text === null) return;
  elements.passage.hidden = text.passage === null;
  setText(elements.passage, text.passage ?? '');
  elements.target.hidden = text.target === null;
  if (text.target) fillZone(elements.target, text.target);
  const items = [...elements.others.children] as HTMLElement[];
  for (const extra of items.slice(text.others.length)) extra.remove();
  text.others.forEach((zone, index) => {
    let item = items[index];
    if (!item) {
      item = elements.others.ownerDocument.createElement('li');
      item.className = 'zone-other';
      elements.others.append(item);
    }
    fillZone(item, zone);
  });
  elements.others.hidden = text.others.length === 0;
  setText(elements.age, text.age.text);
  elements.age.dataset['tone'] = text.age.tone;
}
