// The colour of each gene value, as in the legend's gradient.

/** Gene value 0–255 → a hue around the colour wheel (as in the legend): [r, g, b] per value. */
export const PALETTE = Array.from({ length: 256 }, (_, v) => hslToRgb((v / 256) * 360, 0.72, 0.58));
/** The same colours as canvas pixels (RGBA bytes read as one little-endian 32-bit word). */
export const PIXELS = Uint32Array.from(PALETTE, ([r, g, b]) => ((255 << 24) | (b << 16) | (g << 8) | r) >>> 0);

function hslToRgb(hue, sat, light) {
  const a = sat * Math.min(light, 1 - light);
  const channel = (n) => {
    const k = (n + hue / 30) % 12;
    return Math.round(255 * (light - a * Math.max(-1, Math.min(k - 3, 9 - k, 1))));
  };
  return [channel(0), channel(8), channel(4)];
}
