// The 2D canvases drawn with deck.gl's WebGL one (outlines.js under it, places.js over it): sized
// to the viewport in device pixels and drawn again only when the view or their data changed.

// ``layer``: {canvas, key, version}. The context, cleared and scaled to CSS pixels, when
// ``layer`` must be drawn for ``viewport``; null when it already shows it (``layer.key`` kept).
export function canvasFor(layer, viewport) {
  if (!viewport) return null;
  const dpr = window.devicePixelRatio || 1;
  const w = viewport.width;
  const h = viewport.height;
  const key = `${layer.version} ${w} ${h} ${dpr} ${viewport.longitude} ${viewport.latitude} ${viewport.zoom}`;
  if (key === layer.key) return null;
  layer.key = key;
  const c = layer.canvas;
  if (c.width !== Math.round(w * dpr) || c.height !== Math.round(h * dpr)) {
    c.width = Math.round(w * dpr);
    c.height = Math.round(h * dpr);
    c.style.width = `${w}px`;
    c.style.height = `${h}px`;
  }
  const ctx = c.getContext('2d');
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.clearRect(0, 0, c.width, c.height);
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  return ctx;
}
