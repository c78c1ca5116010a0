/**
 * The verdicts a station page showed, read the moment it showed them. The page clears a verdict after
 * 2.5 s; on a busy machine a test can get round to reading it later than that, so the page records
 * each one from a MutationObserver (which runs right after the paint code, before any timer) and the
 * test reads the record by the scan's number (`data-seq`) — or runs its own probe at that moment.
 */
import type { Page } from 'playwright-core';

export interface ShownVerdict {
  kind: string | undefined;
  reason: string | undefined;
  title: string;
  headline: string;
  detail: string;
  /** The holder-name line ("Name: …") and its title (the full name). */
  holder: string;
  holderTitle: string;
  ticket: string;
  note: string;
  /** Everything the panel showed, as rendered text. */
  text: string;
}

interface RecordingWindow {
  shownVerdicts?: Record<string, ShownVerdict>;
}

/** Records every verdict the page shows from now on, across reloads. Call before the page loads. */
export async function recordVerdicts(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const shown: Record<string, ShownVerdict> = {};
    Object.assign(window, { shownVerdicts: shown });
    const watch = () => {
      const panel = document.getElementById('verdict');
      if (!panel) return;
      const text = (id: string) => document.getElementById(id)?.textContent ?? '';
      new MutationObserver(() => {
        const seq = panel.dataset['seq'];
        const kind = panel.dataset['kind'];
        if (seq === undefined || seq in shown || kind === 'none') return;
        shown[seq] = {
          kind,
          reason: panel.dataset['reason'],
          title: text('verdict-title'),
          headline: text('verdict-headline'),
          detail: text('verdict-detail'),
          holder: text('verdict-holder'),
          holderTitle: document.getElementById('verdict-holder')?.title ?? '',
          ticket: text('verdict-ticket'),
          note: text('verdict-note'),
          text: panel.innerText,
        };
      }).observe(panel, { attributes: true, attributeFilter: ['data-seq'] });
    };
    document.addEventListener('DOMContentLoaded', watch, { once: true });
  });
}

/** The verdict of the page's scan number `seq`, once shown (the page must be recording). */
export async function verdictAfter(page: Page, seq: number, timeout = 15_000): Promise<ShownVerdict> {
  if (!(await page.evaluate(() => 'shownVerdicts' in window)))
    throw new Error('verdictAfter: call recordVerdicts(page) before the page loads');
  try {
    const found = await page.waitForFunction(
      (key) => (window as RecordingWindow).shownVerdicts?.[key],
      String(seq),
      { timeout },
    );
    return (await found.jsonValue()) as ShownVerdict;
  } catch (error) {
    throw new Error(`no verdict for scan ${seq}: the page shows ${JSON.stringify(await pageState(page))}`, {
      cause: error,
    });
  }
}

/** What the panel shows now (for "nothing is shown" checks; a shown verdict is read with verdictAfter). */
export function panelKind(page: Page): Promise<string | undefined> {
  return page.evaluate(() => document.getElementById('verdict')!.dataset['kind']);
}

let probes = 0;

/**
 * Runs `probe` in the page the moment its next verdict is shown — before anything can clear it — and
 * gives back a function that waits for what it returned. Call it, then scan. `probe` runs in the page:
 * it may use nothing from the test's scope.
 */
export async function onNextVerdict<R>(
  page: Page,
  probe: () => R,
  timeout = 15_000,
): Promise<() => Promise<R>> {
  const slot = `verdictProbe${++probes}`;
  await page.evaluate(`(() => {
    const probe = ${probe.toString()};
    const panel = document.getElementById('verdict');
    const observer = new MutationObserver(() => {
      if (panel.dataset.kind === 'none') return;
      observer.disconnect();
      window[${JSON.stringify(slot)}] = { value: probe() };
    });
    observer.observe(panel, { attributes: true, attributeFilter: ['data-seq'] });
  })()`);
  return async () => {
    const found = await page.waitForFunction((name) => (window as never)[name], slot, { timeout });
    return ((await found.jsonValue()) as { value: R }).value;
  };
}

/** What the page says about its scans: for a failure message that shows what happened instead. */
function pageState(page: Page): Promise<Record<string, unknown>> {
  return page.evaluate(() => ({
    verdict: { ...document.getElementById('verdict')!.dataset },
    wedge: document.documentElement.dataset['wedge'],
    shown: Object.keys((window as RecordingWindow).shownVerdicts ?? {}),
    measures: performance
      .getEntriesByName('scan-to-paint')
      .map((entry) => (entry as PerformanceMeasure).detail as unknown),
  }));
}
