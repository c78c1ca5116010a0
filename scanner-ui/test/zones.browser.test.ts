/**
 * Zones at the station (issue 18), in Debian's Chromium against scripted-agent: the strip under the
 * status chips names this door's passage ("Hall → VIP Lounge") and the lounge's count ("VIP Lounge
 * 38 / 40") with the other zones small; amber "Nearly full" from 90 %, a solid red "Full" at 100 %; the
 * count's age in words, amber once older than the ticket list's stale threshold; a ZONE_FULL verdict
 * names the zone and says to hold; an agent without zone fields shows no strip; and on a phone the strip
 * stays on one or two short rows above the verdict.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { launchChromium } from '../test-support/browser';
import { describeInChromium } from '../test-support/chromium-suite';
import { tokenLikeCode } from '../test-support/codes';
import { typeLikeScanner } from '../test-support/scanner-keys';
import { DEFAULT_STATUS, type ScriptedAgent, startScriptedAgent } from '../test-support/scripted-agent';
import { type BuiltUi, buildUiInTemp, openStation, PHONE_VIEWPORT } from '../test-support/station-page';
import { verdictAfter } from '../test-support/verdict-record';
import { LOUNGE_ZONE, loungeDoorStatus } from '../test-support/zone-status';

const FULL_CODE = tokenLikeCode(61);
const TICKET = { serial: 77, typeNo: 3, typeName: 'VIP', generation: 1 };

/** Runs in the page: what the strip shows. */
function strip() {
  const el = (id: string) => document.getElementById(id)!;
  const visible = (id: string) => !el(id).hidden && el(id).getBoundingClientRect().height > 0;
  const target = el('zone-target');
  return {
    visible: visible('zones'),
    passage: visible('zone-passage') ? el('zone-passage').textContent : null,
    target: visible('zone-target') ? target.innerText.replace(/\s+/g, ' ').trim() : null,
    level: target.dataset['level'],
    background: getComputedStyle(target).backgroundColor,
    others: [...el('zone-others').children].map((li) =>
      (li as HTMLElement).innerText.replace(/\s+/g, ' ').trim(),
    ),
    age: el('zone-age').textContent,
    ageTone: el('zone-age').dataset['tone'],
    ageColor: getComputedStyle(el('zone-age')).color,
    bottom: el('zones').getBoundingClientRect().bottom,
    verdictTop: el('verdict').getBoundingClientRect().top,
  };
}

describeInChromium('zones at the station (issue 18)', { timeout: 60_000 }, () => {
  let ui: BuiltUi;
  let agent: ScriptedAgent;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    ui = await buildUiInTemp('scanner-ui-zones-');
    agent = await startScriptedAgent({ distDir: ui.dist });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await agent?.close();
    await ui?.remove();
  });

  beforeEach(async () => {
    agent.setStatus(loungeDoorStatus({ lounge: 12 }));
    agent.setTable({
      [FULL_CODE]: [
        {
          decision: 'reject',
          reason: 'ZONE_FULL',
          ticket: TICKET,
          zone: { ...LOUNGE_ZONE, capacity: 40, inside: 40 },
        },
      ],
    });
    page = await openStation(browser, `${agent.url}/?camera=off`, { gateName: 'Lounge Door' });
    await page.emulateMedia({ reducedMotion: 'reduce' });
    return () => page.context().close();
  });

  /** Serves `status` and waits until the strip's count reads `target`. */
  async function serve(status: ReturnType<typeof loungeDoorStatus>, target: string | null) {
    agent.setStatus(status);
    await page.waitForFunction(
      (want) => {
        const el = document.getElementById('zone-target')!;
        if (document.getElementById('zones')!.hidden) return want === null;
        return (el.hidden ? null : el.innerText.replace(/\s+/g, ' ').trim()) === want;
      },
      target,
      { timeout: 10_000 },
    );
    return page.evaluate(strip);
  }

  it('shows the passage, the lounge’s count, the other zones and the count’s age', async () => {
    const shown = await serve(loungeDoorStatus({ lounge: 12 }), 'VIP Lounge 12 / 40');
    expect(shown).toMatchObject({
      visible: true,
      passage: 'Hall → VIP Lounge',
      level: 'ok',
      others: ['Hall 312 / 500', 'Terrace 57'],
      age: 'count as of just now',
      ageTone: 'ok',
    });
  });

  it('warns in amber with words from 90 %, and stops in red with "Full" at 100 %', async () => {
    const nearly = await serve(loungeDoorStatus({ lounge: 38 }), 'VIP Lounge 38 / 40 NEARLY FULL');
    expect(nearly.level).toBe('warn');
    const full = await serve(loungeDoorStatus({ lounge: 40 }), 'VIP Lounge 40 / 40 FULL');
    expect(full.level).toBe('full');
    expect(full.background).toBe('rgb(164, 22, 26)'); // the reject red, solid
    // Back under 90 %: no warning left over.
    expect((await serve(loungeDoorStatus({ lounge: 20 }), 'VIP Lounge 20 / 40')).level).toBe('ok');
  });

  it('says how old the count is, amber once older than the ticket list’s stale threshold', async () => {
    // 12.5 min: past the default 10-minute threshold, and the words stay the same for half a minute.
    const stale = await serve(loungeDoorStatus({ lounge: 13, ageMs: 12.5 * 60_000 }), 'VIP Lounge 13 / 40');
    expect(stale.age).toBe('count as of 12 min ago — may be behind');
    expect(stale.ageTone).toBe('warn');
    expect(stale.ageColor).toBe('rgb(252, 211, 77)');
    const fresh = await serve(loungeDoorStatus({ lounge: 14, ageMs: 3.5 * 60_000 }), 'VIP Lounge 14 / 40');
    expect(fresh).toMatchObject({ age: 'count as of 3 min ago', ageTone: 'ok' });
  });

  it('a ZONE_FULL verdict names the lounge and says to hold them', async () => {
    await serve(loungeDoorStatus({ lounge: 40 }), 'VIP Lounge 40 / 40 FULL');
    await typeLikeScanner(page, FULL_CODE);
    const shown = await verdictAfter(page, 1);
    expect(shown).toMatchObject({
      kind: 'reject',
      reason: 'ZONE_FULL',
      title: 'REJECT',
      headline: 'VIP Lounge full',
      detail: 'Ask them to wait: one in for each one out (40 of 40 inside)',
      ticket: 'VIP · No. 77',
    });
  });

  it('an agent without zone fields shows no strip', async () => {
    const shown = await serve({ ...DEFAULT_STATUS, gate: { id: 'gate-lounge', name: 'Lounge Door' } }, null);
    expect(shown.visible).toBe(false);
  });

  it('on a 390×844 phone the strip sits above the verdict, the count readable', async () => {
    await page.setViewportSize(PHONE_VIEWPORT);
    const shown = await serve(loungeDoorStatus({ lounge: 39 }), 'VIP Lounge 39 / 40 NEARLY FULL');
    expect(shown.passage).toBe('Hall → VIP Lounge');
    await typeLikeScanner(page, FULL_CODE);
    await verdictAfter(page, 1);
    const during = await page.evaluate(strip);
    expect(during.bottom).toBeLessThanOrEqual(during.verdictTop + 1);
    expect(during.bottom, 'the strip leaves most of the screen to the verdict').toBeLessThan(844 * 0.35);
  });
});
