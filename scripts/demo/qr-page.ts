/**
 * The demo's page of ticket QR codes: each one can be scanned from the screen (camera or hardware
 * scanner) or clicked, which opens the scanner UI with the code in its address (#scan=…) so the scanner
 * decides it exactly as if it had been scanned. Served on 127.0.0.1 only; no scripts on the page.
 */
import { createServer, type Server } from 'node:http';
import QRCode from 'qrcode';
import type { DemoState } from './seed';

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export async function renderQrPage(state: DemoState, scannerUrl: string): Promise<string> {
  const cards = await Promise.all(
    state.tickets.map(async (ticket) => {
      const svg = await QRCode.toString(ticket.qr, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
      const scanLink = `${scannerUrl}/#scan=${encodeURIComponent(ticket.qr)}`;
      return `<article>
  <h2>${escapeHtml(ticket.label)}</h2>
  <div class="qr" role="img" aria-label="QR code of ${escapeHtml(ticket.label)}">${svg}</div>
  <p class="expect">Expected: ${escapeHtml(ticket.expect)}</p>
  <p><a href="${escapeHtml(scanLink)}" target="gate-scanner">Simulate a scan at the North gate</a></p>
  <details><summary>Code text</summary><code>${escapeHtml(ticket.qr)}</code></details>
</article>`;
    }),
  );
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Demo tickets — ${escapeHtml(state.eventName)}</title>
<style>
body{font:16px/1.4 system-ui,sans-serif;margin:1.5rem;background:#fafafa;color:#111}
main{display:grid;grid-template-columns:repeat(auto-fill,minmax(260px,1fr));gap:1rem}
article{background:#fff;border:1px solid #ccc;border-radius:8px;padding:1rem}
.qr svg{width:100%;height:auto;max-width:240px}
h2{margin:.2rem 0 .6rem;font-size:1.15rem}.expect{color:#333}
code{word-break:break-all;font-size:.8rem}a{color:#0b57d0}
</style></head>
<body><h1>Demo tickets for “${escapeHtml(state.eventName)}”</h1>
<p>Scan these with the scanner UI's camera or a hardware scanner, or click a link to simulate a scan.
The scanner UI is at <a href="${escapeHtml(scannerUrl)}/" target="gate-scanner">${escapeHtml(scannerUrl)}/</a>.</p>
<main>${cards.join('\n')}</main></body></html>`;
}

/** Serves the page on 127.0.0.1:`port`; resolves to the listening server and its URL. */
export async function serveQrPage(html: string, port: number): Promise<{ server: Server; url: string }> {
  const server = createServer((request, response) => {
    if (request.method !== 'GET' || (request.url !== '/' && request.url !== '/index.html')) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    response
      .writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' })
      .end(html);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const actual = typeof address === 'object' && address ? address.port : port;
  return { server, url: `http://127.0.0.1:${actual}` };
}
