/**
 * Scan links: a link to this page ending in `#scan=CODE` decides CODE as if it had been scanned (the
 * demo's QR page uses it: "simulate a scan"). The fragment never reaches any server, and it is cleared
 * at once so a reload does not scan again.
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

/** Scans the code of the page's own link now, and of every scan link the page is sent to later. */
export function listenForScanLinks(window: Window, onCode: (code: string) => void): void {
  const scanFromLocation = () => {
    const code = codeFromScanLink(window.location.hash);
    if (code === undefined) return;
    window.history.replaceState(null, '', window.location.pathname + window.location.search);
    onCode(code);
  };
  window.addEventListener('hashchange', scanFromLocation);
  scanFromLocation();
}
