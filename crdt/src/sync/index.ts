// The client sync protocol's wire format, shared by the sync client and the cart server.
export { base64ToBytes, bytesToBase64 } from './base64.js';
export {
  type ClientFrame,
  encodeClientFrame,
  encodeServerFrame,
  frameSeqOf,
  MAX_FRAME_CHARS,
  MAX_FRAME_PRODUCT_IDS,
  parseClientFrame,
  parseServerFrame,
  type ServerFrame,
  SYNC_CART_ID,
} from './sync-frames.js';
