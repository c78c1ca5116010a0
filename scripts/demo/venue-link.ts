/**
 * The demo venue's internet link: the demo gate reaches the cloud only through a loopback proxy
 * (bench/lib/link-proxy.ts) that the person trying the demo can cut and restore — press `o` in the
 * terminal, or use the buttons on the demo page — to watch the gate keep scanning offline and upload what
 * it decided once the link is back. Each change is announced on the terminal.
 */
import { type LinkProxy, startLinkProxy } from '../../bench/lib/link-proxy';

export interface VenueLink {
  /** The cloud's URL as the gate sees it: through the link. */
  url: string;
  readonly state: 'up' | 'down';
  set(state: 'up' | 'down'): void;
  toggle(): void;
  close(): Promise<void>;
}

export async function startVenueLink(cloudUrl: string, say: (line: string) => void): Promise<VenueLink> {
  const proxy: LinkProxy = await startLinkProxy(cloudUrl);
  const set = (state: 'up' | 'down') => {
    if (proxy.state === state) return;
    proxy.state = state;
    say(
      state === 'down'
        ? 'Venue link CUT: the gate cannot reach the cloud and keeps scanning offline. Press o to restore it.'
        : 'Venue link restored: the gate reconnects and uploads what it scanned offline.',
    );
  };
  return {
    url: proxy.url,
    get state() {
      return proxy.state;
    },
    set,
    toggle: () => set(proxy.state === 'up' ? 'down' : 'up'),
    close: () => proxy.close(),
  };
}

/**
 * Reads single keys from an interactive terminal: `o` toggles the link, Ctrl-C (raw mode swallows the
 * signal) and `q` stop. Does nothing when stdin is not a terminal (CI, a pipe): the page's buttons remain.
 */
export function listenForKeys(link: VenueLink, stop: () => void): void {
  const input = process.stdin;
  if (!input.isTTY) return;
  input.setRawMode(true);
  input.resume();
  input.on('data', (chunk: Buffer) => {
    const key = chunk.toString('utf8');
    if (key === 'o' || key === 'O') link.toggle();
    else if (key === '\u0003' || key === 'q') stop();
  });
}

/** Puts the terminal back as it was (raw mode off) before the process exits. */
export function releaseKeys(): void {
  if (process.stdin.isTTY) process.stdin.setRawMode(false);
  process.stdin.pause();
}
