/**
 * The shopper's session: a bearer JWT for the user, taken from `?token=` once (then kept in
 * localStorage and removed from the address bar) or from localStorage. The cart server issues
 * no passwords; in development `npm run -s dev-token -- --sub <name>` prints a token.
 */
const KEY = 'cartwheel.userToken';

/** How to sign in, as the signed-out page says it (HTML). */
export const SIGN_IN_HELP =
  'Open the sign-in link you were given (it ends in <code>?token=…</code>) or paste your token below. ' +
  'Running the shop yourself? <code>npm run -s dev-token -- --sub you</code> prints a token; then open ' +
  '<code>/?token=&lt;token&gt;</code>.';

export interface Session {
  readonly token: string;
  readonly userId: string;
}

function subOf(token: string): string | undefined {
  try {
    const part = token.split('.')[1] ?? '';
    const json = atob(
      part
        .replace(/-/g, '+')
        .replace(/_/g, '/')
        .padEnd(Math.ceil(part.length / 4) * 4, '='),
    );
    const sub = (JSON.parse(json) as { sub?: unknown }).sub;
    return typeof sub === 'string' && /^[A-Za-z0-9_.@:+-]{1,128}$/.test(sub) ? sub : undefined;
  } catch {
    return undefined;
  }
}

export function loadSession(): Session | undefined {
  const url = new URL(location.href);
  const fromUrl = url.searchParams.get('token');
  if (fromUrl !== null) {
    localStorage.setItem(KEY, fromUrl);
    url.searchParams.delete('token');
    history.replaceState(null, '', url);
  }
  const token = localStorage.getItem(KEY);
  if (token === null) return undefined;
  const userId = subOf(token);
  return userId === undefined ? undefined : { token, userId };
}

export function saveToken(token: string): void {
  localStorage.setItem(KEY, token.trim());
}
