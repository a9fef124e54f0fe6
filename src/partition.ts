/**
 * Partition of a customer: FNV-1a (32 bit) over the UTF-8 bytes of customer_id, modulo the
 * partition count. Stable across processes, hosts and releases: changing it would move
 * customers between partitions and split their in-memory totals, so it is fixed here for good.
 */
export function partitionOf(customerId: string, partitions: number): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(customerId, 'utf8')) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % partitions;
}
