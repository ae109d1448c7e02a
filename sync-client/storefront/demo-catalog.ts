/**
 * A small built-in catalog, used when the server's catalog routes (/v1/search, /v1/products)
 * are absent or unreachable — so the page works offline and before the catalog is seeded.
 */
export interface ProductView {
  readonly id: string;
  readonly title: string;
  readonly description: string;
  readonly priceMinor: number;
  readonly currency: string;
  readonly image: string | null;
  readonly availability: string;
}

const item = (id: string, title: string, priceMinor: number, description: string): ProductView => ({
  id,
  title,
  description,
  priceMinor,
  currency: 'EUR',
  image: null,
  availability: 'in_stock',
});

export const DEMO_CATALOG: readonly ProductView[] = [
  item('demo-espresso', 'Espresso beans, 1 kg', 2490, 'Dark roast arabica beans for espresso machines.'),
  item('demo-grinder', 'Burr coffee grinder', 8900, 'Conical burrs, 40 grind settings, quiet motor.'),
  item('demo-kettle', 'Gooseneck kettle', 5400, 'Precise pour, 1 litre, temperature display.'),
  item('demo-mug', 'Ceramic mug', 1200, 'Hand-glazed stoneware mug, 350 ml.'),
  item('demo-filter', 'Paper filters (100)', 650, 'Unbleached filters for pour-over brewers.'),
  item('demo-scale', 'Coffee scale', 3900, 'Scale with timer, 0.1 g resolution.'),
  item('demo-tea', 'Green tea, 200 g', 1450, 'Loose-leaf sencha from a family farm.'),
  item('demo-cups', 'Espresso cups (set of 4)', 2200, 'Double-walled glass cups, 80 ml.'),
];

export function searchDemo(q: string): ProductView[] {
  const words = q.toLowerCase().split(/\s+/).filter(Boolean);
  return DEMO_CATALOG.filter((p) => {
    const text = `${p.title} ${p.description}`.toLowerCase();
    return words.every((w) => text.includes(w));
  });
}
