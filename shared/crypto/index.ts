/**
 * shared/crypto — the ticket token and the key material of the system. Pure: no I/O, no clock (time is
 * an argument), no database. Byte layouts are specified in README.md beside this file.
 */
export { BASE45_ALPHABET, decodeBase45, encodeBase45 } from './base45';
export { equalBytes, fromBase64Url, isUuid, toBase64Url } from './bytes';
export { publicKeyFromSeed } from './ed25519';
export {
  canReceiveWrappedKeys,
  EVENT_KEY_WRAP_PREFIX,
  type EventKeyWrapContext,
  unwrapEventKeyForDevice,
  wrapEventKeyForDevice,
} from './event-key-wrap';
export {
  encodeHolderCode,
  HOLDER_CODE_BYTES,
  HOLDER_CODE_STEP_SECONDS,
  HOLDER_CODE_TEXT_LENGTH,
  HOLDER_CODE_VERSION,
  HOLDER_KEY_ALGS,
  type HolderCodeFields,
  type HolderCodeRejection,
  type HolderKeyAlg,
  holderCodeSigningInput,
  holderCodeStep,
  holderEventTag,
  looksLikeHolderCode,
  type ParsedHolderCode,
  parseHolderCode,
  signingInputOf,
} from './holder-code';
export { holderPublicKeyValid, verifyHolderSignature } from './holder-code-verify';
export {
  HOLDER_KEY_BOX_MAX_LENGTH,
  HOLDER_KEY_BOX_PREFIX,
  type HolderKeyBinding,
  type HolderKeyContext,
  holderKeyBoxVersion,
  openHolderKey,
  sealHolderKey,
} from './holder-key-box';
export {
  HOLDER_NAME_BOX_MAX_LENGTH,
  HOLDER_NAME_BOX_PREFIX,
  HOLDER_NAME_MAX_BYTES,
  type HolderNameContext,
  openHolderName,
  sealHolderName,
} from './holder-name-box';
export {
  type DeviceKeyPair,
  type EventKey,
  generateDeviceKeyPair,
  generateEventKey,
  generateSigningKeyPair,
  KeyUnwrapError,
  parseKeyEncryptionKey,
  type SigningKeyPair,
  type TrustedSigningKey,
  unwrapKey,
  wrapKey,
} from './keys';
export {
  createDetachedSigner,
  createDetachedVerifier,
  createManifestPageVerifier,
  type SignatureContext,
  signDetached,
  signManifestPage,
  verifyDetached,
} from './signatures';
export {
  checkValidityWindow,
  type DecodedToken,
  decodeTicketToken,
  eventTagOf,
  issueTicketToken,
  type OpenedToken,
  type TicketClaims,
  TicketVerifier,
  TOKEN_MAX_BYTES,
  TOKEN_MAX_LENGTH,
  TOKEN_MIN_BYTES,
  TOKEN_VERSION,
  type TokenRejection,
  type TokenRejectionReason,
  type TokenVerdict,
  ticketTokenDigest,
  verifyTicketToken,
} from './ticket-token';
