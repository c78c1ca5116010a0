/**
 * Who this device is and what it serves, kept between starts: identity and key, cloud URL, gate, port,
 * access token, clock offset (the `device` row, id = 1) and the events the gate serves. Read once into
 * memory; every change is written first, then the memory copy follows. The private key and the access
 * token are written only wrapped (secret-box.ts) and unwrapped when read.
 */
import { eq } from 'drizzle-orm';
import type { StoreConnection } from './connection';
import * as schema from './schema';
import { SECRET_CONTEXT, type SecretBox } from './secret-box';

/** What the store keeps about the device between starts. */
export interface DeviceSettings {
  deviceId: string | null;
  privateKey: Uint8Array | null;
  publicKey: Uint8Array | null;
  name: string | null;
  cloudUrl: string | null;
  gateId: string | null;
  gateName: string | null;
  venueId: string | null;
  port: number | null;
  accessToken: string | null;
  accessTokenExpiresAt: number | null;
  enrolledAt: number | null;
  clockOffsetMs: number;
  /** When the offset was first measured (unix ms); null: never, the offset is a guess (issue 20). */
  clockMeasuredAt: number | null;
  /** The rotating-code window's bound while the clock is unsure, seconds; null = the default. */
  holderCodeMaxSkewSeconds: number | null;
}

/** The one device row's id. */
const DEVICE_ROW = 1;

type DeviceRow = typeof schema.device.$inferInsert;

/**
 * The columns a settings patch writes: keys as buffers, the private key and the access token wrapped
 * (undefined entries: drizzle leaves them out).
 */
function deviceRowOf(patch: Partial<DeviceSettings>, box: SecretBox): Partial<DeviceRow> {
  const { privateKey, publicKey, accessToken, ...plain } = patch;
  const row: Partial<DeviceRow> = { ...plain };
  if (privateKey !== undefined)
    row.privateKey = privateKey && box.sealBytes(privateKey, SECRET_CONTEXT.privateKey);
  if (publicKey !== undefined) row.publicKey = publicKey && Buffer.from(publicKey);
  if (accessToken !== undefined)
    row.accessToken = accessToken && box.sealText(accessToken, SECRET_CONTEXT.accessToken);
  return row;
}

export class DeviceSettingsStore {
  readonly #connection: StoreConnection;
  readonly #box: SecretBox;
  #settings: DeviceSettings;

  constructor(connection: StoreConnection, box: SecretBox) {
    this.#connection = connection;
    this.#box = box;
    this.ensureRow();
    this.#settings = this.#load();
  }

  /** Creates the device row when it is missing (a new file, or right after a wipe). */
  ensureRow(): void {
    this.#connection.db.insert(schema.device).values({ id: DEVICE_ROW }).onConflictDoNothing().run();
  }

  /** Reads the row again (after a wipe). */
  reload(): void {
    this.#settings = this.#load();
  }

  #load(): DeviceSettings {
    const row = this.#connection.db
      .select()
      .from(schema.device)
      .where(eq(schema.device.id, DEVICE_ROW))
      .get();
    if (!row) throw new Error('device row missing');
    const { id: _id, privateKey, publicKey, accessToken, ...plain } = row;
    return {
      ...plain,
      privateKey: privateKey ? this.#box.openBytes(privateKey, SECRET_CONTEXT.privateKey) : null,
      publicKey: publicKey ? new Uint8Array(publicKey) : null,
      accessToken: accessToken ? this.#box.openText(accessToken, SECRET_CONTEXT.accessToken) : null,
    };
  }

  /** The stored settings (change them with update). */
  get settings(): Readonly<DeviceSettings> {
    return this.#settings;
  }

  /** Writes the given settings durably and updates the in-memory copy. */
  update(patch: Partial<DeviceSettings>): void {
    const row = deviceRowOf(patch, this.#box);
    if (Object.values(row).every((value) => value === undefined)) return;
    this.#connection.db.update(schema.device).set(row).where(eq(schema.device.id, DEVICE_ROW)).run();
    this.#settings = this.#load();
  }

  /**
   * Records the clock offset (cloud − device, ms) measured at the last exchange with the cloud; the first
   * measurement also stamps `clockMeasuredAt`, so the gate knows its offset is no longer a guess.
   */
  setClockOffset(offset: number, measuredAt: number = Date.now()): void {
    const first = this.#settings.clockMeasuredAt === null;
    if (offset === this.#settings.clockOffsetMs && !first) return;
    const patch = first ? { clockOffsetMs: offset, clockMeasuredAt: measuredAt } : { clockOffsetMs: offset };
    this.#connection.db.update(schema.device).set(patch).where(eq(schema.device.id, DEVICE_ROW)).run();
    this.#settings = { ...this.#settings, ...patch };
  }

  /** The events this gate serves (from enrollment and the cloud's stream). */
  servedEvents(): { eventId: string; name: string }[] {
    return this.#connection.db.select().from(schema.servedEvents).all();
  }

  /** Adds (or renames) served events; an event is never dropped here, only by a wipe. */
  addServedEvents(events: readonly { id: string; name: string }[]): void {
    this.#connection.transaction(() => {
      for (const e of events) {
        const eventId = e.id.toLowerCase();
        this.#connection.db
          .insert(schema.servedEvents)
          .values({ eventId, name: e.name })
          .onConflictDoUpdate({ target: schema.servedEvents.eventId, set: { name: e.name } })
          .run();
      }
    });
  }
}
