/**
 * A page of ANOTHER origin (`http://localhost:PORT`, while the station is on 127.0.0.1) that frames a
 * given URL full-size: what a hostile page opened in the station's browser would do with the scanner UI.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FramingPage {
  url: string;
  close(): Promise<void>;
}

export async function serveFramingPage(framedUrl: string): Promise<FramingPage> {
  const html = `<!doctype html><html><head><meta charset="utf-8"><title>Some other site</title>
<style>body{margin:0;font:16px system-ui,sans-serif;background:#fff7d6}h1{margin:8px 12px;font-size:18px}
iframe{width:100%;height:540px;border:4px dashed #b91c1c;box-sizing:border-box}</style></head>
<body><h1>Some other site, framing the gate's scanner UI</h1>
<iframe src="${framedUrl.replace(/"/g, '&quot;')}"></iframe></body></html>`;
  const server = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    response.end(html);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://localhost:${port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
