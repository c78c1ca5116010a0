/**
 * Damaged ticket tokens for tests of the token → decision glue (shared/admission, the gate's pipeline,
 * the cloud's /validate): one byte of the decoded token changed, re-encoded as a scanner would read it.
 */
import { decodeBase45, encodeBase45 } from '../../crypto/index';

/**
 * The token with byte `index` (taken modulo the token's length) XOR-ed with `mask` (1 … 255, so the byte
 * always changes).
 */
export function changeTokenByte(token: string, index: number, mask = 0x01): string {
  const bytes = decodeBase45(token);
  if (!bytes) throw new Error('changeTokenByte: not a base45 token');
  const at = index % bytes.length;
  bytes[at] = bytes[at]! ^ mask;
  return encodeBase45(bytes);
}
