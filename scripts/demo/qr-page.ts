/**
 * The demo's page of ticket QR codes: each one can be scanned from the screen (camera or hardware
 * scanner) or clicked, which opens the scanner UI with the code in its address (#scan=…): the scanner
 * puts it into its "Type a ticket code" field, and pressing Check there decides it exactly as if it had
 * been scanned. A link alone never records a scan (scanner-ui/src/scan-link.ts).
 *
 * What each ticket would get at the North gate is asked from the gate itself at every page load
 * (`preview`: decided like a scan, recorded nothing), so the page stays true after the tickets were used,
 * on a second `npm start`, and while the venue's link is cut. The page also holds the outage switch
 * (./venue-link.ts): two plain form buttons, no scripts. Served on 127.0.0.1 only.
 *
 * `/wallet` sends the browser on to the cloud's wallet page signed in as the demo customer (a fresh
 * token in the address's fragment, as an identity provider's redirect would deliver it), so the terminal
 * can name a wallet link without printing a token.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import QRCode from 'qrcode';
import type { ScanResponse } from '../../gate-agent/verify/pipeline';
import { REASON_LABELS } from '../../shared/admission/reasons';
import type { DemoState, DemoTicket } from './seed';

/** What the page needs from the running demo, asked at every page load. */
export interface DemoPageSource {
  state: DemoState;
  scannerUrl: string;
  gateName: string;
  /** The North gate's answer to this code now, recording nothing. */
  preview(code: string): ScanResponse;
  /** The gate's connection to the cloud as it sees it. */
  online(): Promise<boolean>;
  /** The venue link's state, and the switch. */
  link: { readonly state: 'up' | 'down'; set(state: 'up' | 'down'): void };
  /** The cloud's wallet address for the demo customer, with a fresh token in its fragment. */
  walletLink?(): Promise<string>;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The verdict in words, as the steward's screen would headline it. */
export function verdictText(answer: ScanResponse, gateName: string): string {
  const label = REASON_LABELS[answer.reason]?.steward ?? answer.reason;
  if (answer.decision === 'accept') return `ACCEPT at ${gateName}`;
  const where = answer.alreadyUsed?.gateName ? ` (at ${answer.alreadyUsed.gateName})` : '';
  return `REJECT at ${gateName}: ${label}${where}`;
}

async function card(ticket: DemoTicket, source: DemoPageSource): Promise<string> {
  const svg = await QRCode.toString(ticket.qr, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
  const scanLink = `${source.scannerUrl}/#scan=${encodeURIComponent(ticket.qr)}`;
  const answer = source.preview(ticket.qr);
  return `<article>
  <h2>${escapeHtml(ticket.label)}</h2>
  <div class="qr" role="img" aria-label="QR code of ${escapeHtml(ticket.label)}">${svg}</div>
  <p class="expect ${answer.decision}">Scanned now: ${escapeHtml(verdictText(answer, source.gateName))}</p>
  <p><a href="${escapeHtml(scanLink)}" target="gate-scanner">Enter it at the ${escapeHtml(source.gateName)} gate scanner</a> (then press Check there)</p>
  <details><summary>Code text</summary><code>${escapeHtml(ticket.qr)}</code></details>
</article>`;
}

function linkPanel(linkState: 'up' | 'down', online: boolean): string {
  const gate = online ? 'online' : 'offline';
  const action =
    linkState === 'up'
      ? '<button name="state" value="down">Cut the venue’s internet</button>'
      : '<button name="state" value="up">Restore the venue’s internet</button>';
  return `<section class="link ${linkState}"><p>Venue internet: <strong>${linkState === 'up' ? 'up' : 'CUT'}</strong>
 · gate ${gate}. Cut it to see the gate decide offline; restore it to see the scans upload.
 (Or press <kbd>o</kbd> in the terminal running <code>npm start</code>.)</p>
<form method="post" action="/link">${action}</form></section>`;
}

export async function renderQrPage(source: DemoPageSource): Promise<string> {
  const { state } = source;
  const cards = await Promise.all(state.tickets.map((ticket) => card(ticket, source)));
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Demo tickets — ${escapeHtml(state.eventName)}</title>
<style>
body{font:16px/1.4 system-ui,sans-serif;margin:1.5rem;background:#fafafa;color:#111}
main{display:grid;grid-template-columns:repeat(auto-fill,minmax(260px,1fr));gap:1rem}
article{background:#fff;border:1px solid #ccc;border-radius:8px;padding:1rem}
.qr svg{width:100%;height:auto;max-width:240px}
h2{margin:.2rem 0 .6rem;font-size:1.15rem}.expect{font-weight:600}.accept{color:#0a6b2d}.reject{color:#a4001d}
.link{border:2px solid #0a6b2d;border-radius:8px;padding:.5rem 1rem;margin:1rem 0;background:#fff}
.link.down{border-color:#a4001d}button{font:inherit;padding:.4rem .9rem}
code{word-break:break-all;font-size:.8rem}a{color:#0b57d0}
</style></head>
<body><h1>Demo tickets for “${escapeHtml(state.eventName)}”</h1>
<p>Scan these with the scanner UI's camera or a hardware scanner, or click a link: it opens the scanner
UI with the code typed in for you, and you press Check there (a link alone never records a scan).
The scanner UI is at <a href="${escapeHtml(source.scannerUrl)}/" target="gate-scanner">${escapeHtml(source.scannerUrl)}/</a>.
Each card says what the gate would answer right now; reload after a scan.</p>
${linkPanel(source.link.state, await source.online())}
<main>${cards.join('\n')}</main></body></html>`;
}

/** Reads a small form body (the link switch posts `state=up|down`). */
async function formBody(request: IncomingMessage): Promise<URLSearchParams> {
  let body = '';
  for await (const chunk of request) {
    body += String(chunk);
    if (body.length > 1_000) break;
  }
  return new URLSearchParams(body);
}

/**
 * Serves the page on 127.0.0.1:`port`: GET / renders it afresh; POST /link (from the page itself only:
 * its Origin must be the page's) switches the venue link and returns to the page.
 */
export async function serveQrPage(
  source: DemoPageSource,
  port: number,
): Promise<{ server: Server; url: string }> {
  let origin = '';
  const server = createServer((request, response) => {
    const fail = (status: number, text: string) =>
      response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' }).end(text);
    void (async () => {
      if (request.method === 'POST' && request.url === '/link') {
        if (request.headers.origin !== origin) return fail(403, 'only the demo page may switch the link');
        const next = (await formBody(request)).get('state');
        if (next !== 'up' && next !== 'down') return fail(400, 'state: up or down');
        source.link.set(next);
        return response.writeHead(303, { location: '/' }).end();
      }
      if (request.method === 'GET' && request.url === '/wallet' && source.walletLink) {
        const location = await source.walletLink();
        return response.writeHead(302, { location, 'cache-control': 'no-store' }).end();
      }
      if (request.method !== 'GET' || (request.url !== '/' && request.url !== '/index.html')) {
        return fail(404, 'not found');
      }
      const html = await renderQrPage(source);
      response
        .writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' })
        .end(html);
    })().catch((error: unknown) => fail(500, `demo page failed: ${String(error)}`));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const actual = typeof address === 'object' && address ? address.port : port;
  origin = `http://127.0.0.1:${actual}`;
  return { server, url: origin };
}
