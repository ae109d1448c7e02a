import * as crdt from '@cartwheel/crdt';
import { expect, test } from 'vitest';

test('the public entry resolves from sources', () => {
  expect(crdt).toBeTypeOf('object');
});
