// The server-process helper lives in the package's testing entry (@cartwheel/cart-server/testing).
export * from '../../src/testing/server-process.js';
