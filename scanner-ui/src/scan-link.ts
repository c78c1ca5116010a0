/**
 * Scan links: a link to this page ending in `#scan=CODE` (the demo's QR page has one per ticket) puts
 * CODE into the manual-entry field — it is NOT decided. A person at the station presses Check (or Enter
 * in the field) to decide it, exactly as if they had typed it. Any page the station's browser opens can
 * send it to a link, so a link alone must never record a scan (it would use up a real ticket).
 *
 * The field is filled but not focused: the keyboard stays with the hand scanner. A page shown inside a
 * frame ignores links altogether (the gate agent also forbids framing: `frame-ancestors 'none'`). The
 * fragment never reaches any server, and it is cleared at once so a reload does not fill the field again.
 */

/** The code in a `#scan=CODE` fragment, percent-decoded where it can be; undefined for any other hash. */
export function codeFromScanLink(hash: string): string | undefined {
  const match = /^#scan=(.+)$/.exec(hash);
  if (!match?.[1]) return undefined;
  try {
    return decodeURIComponent(match[1]);
  } catch {
    return match[1];
  }
}

/** True when the page is the top-level document (not inside a frame, on whatever origin). */
export function isTopLevel(window: Window): boolean {
  try {
    return window.top === window.self;
  } catch {
    return false; // a browser that will not even say: treat it as framed
  }
}

export interface ScanLinkTarget {
  /** The manual-entry field the code is put into. */
  code: HTMLInputElement;
  /** Shown while the field holds a code from a link: "press Check to decide it". */
  hint: HTMLElement;
}

/**
 * Puts the code of the page's own link now, and of every scan link the page is sent to later, into the
 * manual-entry field for a person to check. Does nothing at all when the page is framed.
 */
export function listenForScanLinks(window: Window, target: ScanLinkTarget): void {
  if (!isTopLevel(window)) return;
  const hideHint = () => {
    target.hint.hidden = true;
  };
  const fillFromLocation = () => {
    const code = codeFromScanLink(window.location.hash);
    if (code === undefined) return;
    window.history.replaceState(null, '', window.location.pathname + window.location.search);
    target.code.value = code;
    target.hint.hidden = false;
  };
  // The hint goes once the field is checked or changed by hand.
  target.code.form?.addEventListener('submit', hideHint);
  target.code.addEventListener('input', hideHint);
  window.addEventListener('hashchange', fillFromLocation);
  fillFromLocation();
}
