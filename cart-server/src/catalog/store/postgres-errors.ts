import { InvalidProductError, ProductStoreUnavailableError, ProductTooLargeError } from '../errors.js';

/** SQLSTATE classes that mean "the database is not there right now" (PostgreSQL appendix A). */
function unavailable(code: string | undefined): boolean {
  return (
    code === undefined ||
    code.startsWith('08') || // connection exception
    code.startsWith('53') || // insufficient resources
    code.startsWith('57') || // operator intervention (shutdown, statement timeout 57014)
    code === '40001' || // serialization failure
    code === '40P01' // deadlock detected
  );
}

/** A pg error as the store's typed error: the client's document (4xx) or an unavailable store (503). */
export function toStoreError(err: unknown): Error {
  if (!(err instanceof Error)) return new ProductStoreUnavailableError(String(err));
  if ('code' in err && typeof err.code === 'string' && /^[0-9A-Z]{5}$/.test(err.code)) {
    const code = err.code;
    // Data the schema let through but PostgreSQL refuses: still the client's document.
    if (code === '22P05' || code === '22P02' || code === '23514' || code === '22021') {
      return new InvalidProductError(`PostgreSQL refused the document: ${err.message}`, { cause: err });
    }
    if (code === '54000') return new ProductTooLargeError(`PostgreSQL refused the document: ${err.message}`);
    if (!unavailable(code)) return err;
  }
  return new ProductStoreUnavailableError(`PostgreSQL: ${err.message}`, { cause: err });
}

/** The URL without its password, for messages and logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== '') u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable DATABASE_URL)';
  }
}
