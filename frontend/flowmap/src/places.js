// The places of a map without flowmap.gl's own locations (direction groups, network members):
// white discs sized by their flows and their names, drawn on a 2D canvas over deck.gl's WebGL
// canvas instead of a ScatterplotLayer and a TextLayer. On the CPU renderer (SwiftShader) each
// WebGL layer type costs its shaders' compilation at the first draw of every page (about
// 0.2–0.4 s each, the main thread waiting for the GPU process), and the TextLayer builds a
// signed-distance font atlas first; a 2D canvas draws a few hundred discs and names in a
// millisecond, and its text is the browser's (sharp on a projector, no atlas).
// The canvas takes no pointer events: ``hit`` tells main.js which place is under the pointer
// (tooltip, click selects), the topmost drawn first.

import {canvasFor} from './canvas2d.js';

const css = (c) => `rgba(${c[0]},${c[1]},${c[2]},${(c[3] ?? 255) / 255})`;
export const LABEL_FONT_PX = 12;

export class PlaceCanvas {
  constructor(parent) {
    this.canvas = document.createElement('canvas');
    this.canvas.className = 'lieux';
    Object.assign(this.canvas.style, {position: 'absolute', left: '0', top: '0', zIndex: '2', pointerEvents: 'none'});
    parent.append(this.canvas);
    this.places = [];
    this.labels = [];
    this.drawn = []; // [x, y, r, place] of the last draw, in CSS pixels
    this.key = null;
    this.version = 0;
  }

  // ``places``: [{id, name, lon, lat, …}]; ``style(place)`` → {radius, fill, line, width};
  // ``labels``: the places whose names are drawn (already decluttered), ``offset(place)`` the
  // height of a name's centre above its place.
  setData(places, style, labels, offset) {
    this.places = places.map((p) => ({p, s: style(p)}));
    this.labels = labels.map((p) => ({p, dy: offset(p)}));
    this.version += 1;
  }

  clear() {
    this.setData([], () => ({}), [], () => 0);
  }

  // Draw for a deck.gl WebMercatorViewport; skipped when neither the view nor the data changed.
  draw(viewport) {
    const ctx = canvasFor(this, viewport);
    if (!ctx) return;
    const w = viewport.width;
    const h = viewport.height;
    this.drawn = [];
    for (const {p, s} of this.places) {
      const [x, y] = viewport.project([p.lon, p.lat]);
      if (x < -s.radius || y < -s.radius || x > w + s.radius || y > h + s.radius) continue;
      ctx.beginPath();
      ctx.arc(x, y, s.radius, 0, 2 * Math.PI);
      ctx.fillStyle = css(s.fill);
      ctx.fill();
      ctx.lineWidth = s.width;
      ctx.strokeStyle = css(s.line);
      ctx.stroke();
      this.drawn.push([x, y, s.radius + s.width / 2, p]);
    }
    ctx.font = `${LABEL_FONT_PX}px system-ui, "DejaVu Sans", sans-serif`;
    ctx.textAlign = 'center';
    ctx.textBaseline = 'middle';
    ctx.lineJoin = 'round';
    for (const {p, dy} of this.labels) {
      const [x, y] = viewport.project([p.lon, p.lat]);
      if (x < -200 || y < -20 || x > w + 200 || y > h + 20) continue;
      ctx.lineWidth = 3;
      ctx.strokeStyle = 'rgba(255,255,255,0.9)';
      ctx.strokeText(p.name, x, y - dy);
      ctx.fillStyle = 'rgb(20,20,20)';
      ctx.fillText(p.name, x, y - dy);
    }
  }

  // The place drawn under the screen point (CSS pixels of the map), the last drawn on top; null
  // when none (a pixel of margin around each disc, as deck.gl's picking had).
  hit(x, y) {
    for (let i = this.drawn.length - 1; i >= 0; i -= 1) {
      const [px, py, r, p] = this.drawn[i];
      if ((x - px) ** 2 + (y - py) ** 2 <= (r + 1) ** 2) return p;
    }
    return null;
  }
}
