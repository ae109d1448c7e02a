/**
 * Listening to one Redis pub/sub channel on a shared subscriber connection (several components
 * share one: a connection in subscriber mode can do nothing else). Pub/sub is at-most-once — a
 * message published while the connection is down is gone — so the listener is also called,
 * without a message, whenever the connection becomes ready again: a listener re-reads the state
 * the messages announce instead of trusting that it heard every one.
 */
import type { Redis } from 'ioredis';

export function subscribeChannel(
  subscriber: Redis,
  channel: string,
  listener: (message: string | undefined) => void,
  onError: (err: Error) => void = () => undefined,
): () => void {
  const onMessage = (ch: string, message: string): void => {
    if (ch === channel) listener(message);
  };
  const onReady = (): void => listener(undefined);
  subscriber.on('message', onMessage);
  subscriber.on('ready', onReady);
  subscriber.subscribe(channel).catch(onError);
  return () => {
    subscriber.off('message', onMessage);
    subscriber.off('ready', onReady);
    subscriber.unsubscribe(channel).catch(() => undefined);
  };
}
