// Public entry of @cartwheel/cart-server: run a node in-process, or reuse its parts.

export { ADMIN_USAGE, type AdminIo, runAdmin } from './admin/admin-cli.js';
export { type AppDeps, createApp, type Readiness, type SubAppMount } from './app.js';
export { type AuthVariables, requireAuth, requireRole } from './auth/middleware.js';
export { type AuthClaims, type Role, signToken, TokenVerifier, verifyToken } from './auth/tokens.js';
export { type CartChangeView, type CartView, cartChangeView, cartView } from './carts/cart-routes.js';
export { CartService, type CartSnapshot, cartKey } from './carts/cart-service.js';
export {
  type AaeStatusView,
  AdminClient,
  type JoinResult,
  type MemberStatusView,
  type NodeInfo,
  type PlanView,
  type RingStatusView,
  type TransfersView,
} from './cluster/admin-client.js';
export { ClusterMembership, type ClusterSettings } from './cluster/membership-service.js';
export { WsTransport, type WsTransportOptions } from './cluster/ws-transport.js';
export {
  ConfigError,
  DEV_JWT_SECRET,
  type FsyncPolicy,
  type Limits,
  type LoadConfigInput,
  loadConfig,
  type PeerConfig,
  type ServerConfig,
  usage,
} from './config/config.js';
export {
  ApiError,
  type ClassifiedError,
  classifyError,
  createErrorHandler,
  ERROR_STATUS,
  errorBody,
  handleError,
  handleNotFound,
  statusForCode,
} from './http/errors.js';
export { type CartServerNode, type PlatformContext, type StartOptions, startCartServer } from './node.js';
export { ServerMetrics } from './ops/metrics.js';
export { platformMounts } from './platform.js';
export { LevelStorage, type LevelStorageOptions, StorageError } from './storage/level-storage.js';
