/**
 * Ports for one-off measurement servers. Several benchmarks and tests run on
 * the same machine at once, so each process starts at a random offset in a
 * range no braid default uses and walks forward; callers retry with the next
 * port when a bind fails.
 */
const FIRST = 21_000;
const COUNT = 8_000;
let next = FIRST + Math.floor(Math.random() * COUNT);

export function nextPort(): number {
  const port = next;
  next = FIRST + ((next - FIRST + 1) % COUNT);
  return port;
}
