/**
 * Key naming shared by the Redis order log, the partition state and the partition leases: every
 * key of partition p carries the hash tag `{p}`, so each script touches one Redis Cluster slot.
 */
export const partitionKey = (prefix: string, p: number, suffix: string): string =>
  `${prefix}:{${p}}:${suffix}`;
