/**
 * The keys the gate checks tokens with: one shared/crypto TicketVerifier over the store's trusted signing
 * keys and event keys, built once and rebuilt only when the store says its keys changed — building one
 * prepares every key object, far too slow to do per scan.
 */
import { TicketVerifier } from '../../shared/crypto/index';
import type { GateStore } from '../store/gate-store';

/** The store's key reads. */
export type KeyStore = Pick<GateStore, 'keysVersion' | 'trustedSigningKeys' | 'eventKeys'>;

/** Returns a function that gives the verifier for the store's current keys. */
export function createScanKeys(store: KeyStore, onError?: (error: unknown) => void): () => TicketVerifier {
  let verifier: TicketVerifier | undefined;
  let builtFor = -1;
  return () => {
    if (!verifier || builtFor !== store.keysVersion) {
      builtFor = store.keysVersion;
      try {
        verifier = new TicketVerifier({
          signingKeys: store.trustedSigningKeys(),
          eventKeys: store.eventKeys(),
        });
      } catch (error) {
        // A key the cloud sent that Node cannot load: verify nothing rather than crash every scan.
        onError?.(error);
        verifier = new TicketVerifier({ signingKeys: [], eventKeys: [] });
      }
    }
    return verifier;
  };
}
