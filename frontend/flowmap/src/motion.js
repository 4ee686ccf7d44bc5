// Raster motion: while the view moves (mouse drag, wheel, double click, keys), a map of many
// flows is not drawn again at each frame. The picture drawn at rest (deck.gl's WebGL canvas
// and the 2D canvas of the outlines under it) is moved and scaled by a CSS transform from the
// view it was drawn at to the current view; the browser's compositor does that without
// drawing. Once the view is still, main.js lays the flows out and draws the map in full again,
// which clears the transform (``drawn``). On the CPU renderer (SwiftShader) one draw of 20 000
// flows takes about a second: drawn at each frame, a drag moved once a second.
//
// For a flat Web Mercator view (no pitch, no bearing) the screen positions of two views are
// related by a scale 2^(z1 - z0) and a translation: the transform is exact, only the edges
// uncovered by the move are empty until the map is drawn again.
import {WebMercatorViewport} from '@deck.gl/core';

export class RasterMotion {
  constructor() {
    this.canvases = [];
    this.drawnView = null; // {longitude, latitude, zoom, width, height} of the last full draw
    this.matrix = null; // [s, tx, ty] applied now, null when the canvases show the current view
    this.follows = 0; // frames moved as an image since the last full draw
    this.moved = 0; // frames moved as an image in all
  }

  // Canvases moved as one picture (deck.gl's and the outlines').
  attach(...canvases) {
    this.canvases = canvases.filter(Boolean);
    for (const c of this.canvases) {
      c.style.transformOrigin = '0 0';
      c.style.willChange = 'transform';
    }
  }

  // After a full draw at ``viewport``: the canvases show it as it is.
  drawn(viewport) {
    this.drawnView = {
      longitude: viewport.longitude,
      latitude: viewport.latitude,
      zoom: viewport.zoom,
      width: viewport.width,
      height: viewport.height,
    };
    this.follows = 0;
    this.clear();
  }

  clear() {
    if (this.matrix === null) return;
    this.matrix = null;
    for (const c of this.canvases) c.style.transform = '';
  }

  // Screen of the drawn view → screen of ``view`` (same size): [scale, tx, ty].
  static matrixFor(drawnView, view) {
    const size = {width: drawnView.width, height: drawnView.height};
    const v0 = new WebMercatorViewport({...drawnView, pitch: 0, bearing: 0});
    const v1 = new WebMercatorViewport({...view, ...size, pitch: 0, bearing: 0});
    const s = Math.pow(2, v1.zoom - v0.zoom);
    const [tx, ty] = v1.project(v0.unproject([0, 0]));
    return [s, tx, ty];
  }

  // Move the drawn picture to ``view``; false when nothing has been drawn yet (draw instead).
  // ``live``: canvases drawn again at each frame by the caller (cheap ones), not moved.
  follow(view, live = []) {
    if (!this.drawnView) return false;
    const [s, tx, ty] = RasterMotion.matrixFor(this.drawnView, view);
    this.matrix = [s, tx, ty];
    this.follows += 1;
    this.moved += 1;
    const css = `matrix(${s}, 0, 0, ${s}, ${tx}, ${ty})`;
    for (const c of this.canvases) c.style.transform = live.includes(c) ? '' : css;
    return true;
  }

  // For tests and the bench: what the canvases show.
  state() {
    return {
      moving: this.matrix !== null,
      matrix: this.matrix,
      drawnView: this.drawnView,
      follows: this.follows,
      moved: this.moved,
      transforms: this.canvases.map((c) => c.style.transform),
    };
  }
}
