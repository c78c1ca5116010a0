/**
 * The real cloud for the wallet's browser tests: the production app over the test database (PostgreSQL
 * from TEST_DATABASE_URL, PGlite otherwise) served over HTTP on a loopback port, on a clock that runs
 * with real time (the wallet counts its 15-second steps by the browser's clock plus the offset it learns
 * from the cloud) and that a test can move on with `advance` (the gates in these tests share it). One
 * published event whose doors are open, and a customer who bought `tickets` Standard tickets.
 */
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import {
  buyTickets,
  createTestCloud,
  type SeededEvent,
  seedEvent,
  type TestCloud,
} from '../../test-support/cloud';

export interface WalletTicketSold {
  id: string;
  qr: string;
}

export interface WalletCloud {
  cloud: TestCloud;
  seeded: SeededEvent;
  url: string;
  customerToken: string;
  tickets: WalletTicketSold[];
  /** `/wallet#token=…` for the customer. */
  walletUrl: string;
  /** A venue staff token of the tenant (for /validate). */
  staffToken: string;
  stop(): Promise<void>;
}

export async function startWalletCloud(options: { tickets?: number } = {}): Promise<WalletCloud> {
  const cloud = await createTestCloud({}, { realClock: true });
  const seeded = await seedEvent(cloud, { capacities: [100, 20] });
  const customerToken = await cloud.token('customer', seeded.tenant, 'wallet-customer');
  const { purchase } = await buyTickets(cloud, seeded, {
    customerToken,
    quantity: options.tickets ?? 2,
    holderNames: Array.from({ length: options.tickets ?? 2 }, (_, i) => (i === 0 ? 'Ada Lovelace' : null)),
  });
  // seedEvent opens the doors an hour after its clock: two hours on, they are open.
  cloud.advance(2 * 3_600_000);
  const server = serve({ fetch: cloud.app.fetch, port: 0, hostname: '127.0.0.1' });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    cloud,
    seeded,
    url,
    customerToken,
    tickets: (purchase.tickets as WalletTicketSold[]).map((t) => ({ id: t.id, qr: t.qr })),
    walletUrl: `${url}/wallet#token=${customerToken}`,
    staffToken: await cloud.token('venue_staff', seeded.tenant),
    async stop() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      cloud.watcher.close();
      await cloud.close();
    },
  };
}
