/**
 * The gate device identity test stores are given (one per test process): manifest pages from a
 * ManifestFixture seal their event keys to it, as the cloud seals them to the requesting device, so a
 * temp store opens them exactly as an enrolled gate does.
 */
import { randomUUID } from 'node:crypto';
import { generateDeviceKeyPair } from '../../shared/crypto/index';
import type { GateStore } from '../store/gate-store';

export interface TestDeviceIdentity {
  deviceId: string;
  privateKey: Uint8Array;
  publicKey: Uint8Array;
}

/** A fresh device identity (id and Ed25519 key pair), as enrollment would make. */
export function newTestDevice(): TestDeviceIdentity {
  return { deviceId: randomUUID(), ...generateDeviceKeyPair() };
}

export const TEST_DEVICE: TestDeviceIdentity = newTestDevice();

/** Writes a device identity into a store (what enrollment stores), TEST_DEVICE by default. */
export function giveDeviceIdentity(store: GateStore, device: TestDeviceIdentity = TEST_DEVICE): void {
  store.updateSettings({
    deviceId: device.deviceId,
    privateKey: device.privateKey,
    publicKey: device.publicKey,
  });
}
