/**
 * `GET /sync/manifest` (SPEC section 6, pull): one page of an event's manifest after the gate's cursor.
 * The body's exact bytes are signed with the cloud's Ed25519 key (headers, so the gate verifies before it
 * parses) and then compressed for the wire.
 */
import { brotliCompressSync, gzipSync, constants as zlib } from 'node:zlib';
import { createRoute } from '@hono/zod-openapi';
import { signManifestPage, toBase64Url } from '../../shared/crypto';
import {
  MANIFEST_KEY_ID_HEADER,
  MANIFEST_SIGNATURE_HEADER,
  ManifestPage,
  ManifestQuery,
} from '../../shared/sync-protocol';
import { okResponses } from '../http/answers';
import { createRouter, deviceAccess, type SyncRouteDeps, unwrap } from '../http/openapi';
import type { ServiceContext } from '../services/context';
import { buildManifestPage } from '../services/manifest';

/** Compresses a page for the wire: brotli if the gate accepts it, else gzip, else as is. */
function compress(body: Buffer, acceptEncoding: string | undefined): { body: Buffer; encoding?: string } {
  const accepted = (acceptEncoding ?? '').toLowerCase();
  if (/\bbr\b/.test(accepted)) {
    return {
      body: brotliCompressSync(body, { params: { [zlib.BROTLI_PARAM_QUALITY]: 4 } }),
      encoding: 'br',
    };
  }
  if (/\bgzip\b/.test(accepted)) return { body: gzipSync(body, { level: 6 }), encoding: 'gzip' };
  return { body };
}

function signPage(services: ServiceContext, body: Buffer): { keyId: number; signature: string } {
  const signed = signManifestPage(services.keyring.signingKey(), body);
  return { keyId: signed.keyId, signature: toBase64Url(signed.signature) };
}

/** The manifest page route under /api/v1. */
export function manifestRoutes(deps: SyncRouteDeps) {
  const { services, requireDevice } = deps;
  return createRouter().openapi(
    createRoute({
      method: 'get',
      path: '/sync/manifest',
      summary: 'One signed, compressed page of an event’s manifest after a cursor',
      description:
        'The body’s exact bytes (before Content-Encoding) are signed with the cloud’s Ed25519 key: headers x-manifest-key-id and x-manifest-signature (base64url). 409 `MANIFEST_RESET`: install a snapshot (after=0, no epoch).',
      ...deviceAccess(requireDevice),
      request: { query: ManifestQuery },
      responses: okResponses(ManifestPage, 'A manifest page', 404, 409),
    }),
    async (c) => {
      const { page } = unwrap(await buildManifestPage(services, c.get('device'), c.req.valid('query')));
      const body = Buffer.from(JSON.stringify(page));
      const { keyId, signature } = signPage(services, body);
      const wire = compress(body, c.req.header('accept-encoding'));
      const headers: Record<string, string> = {
        'content-type': 'application/json',
        'cache-control': 'no-store',
        vary: 'accept-encoding',
        [MANIFEST_KEY_ID_HEADER]: String(keyId),
        [MANIFEST_SIGNATURE_HEADER]: signature,
      };
      if (wire.encoding) headers['content-encoding'] = wire.encoding;
      return c.body(new Uint8Array(wire.body), 200, headers) as never;
    },
  );
}
