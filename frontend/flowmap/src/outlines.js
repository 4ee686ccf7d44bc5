// Outlines of the map (the view's units filled, the upper units as lines) drawn on a 2D canvas
// under deck.gl's transparent WebGL canvas, instead of two GeoJsonLayer (fill + stroke
// sublayers). On the CPU renderer (SwiftShader) deck.gl's PathLayer over a few tens of thousands
// of vertices kept the GPU process busy ~10 s after the page had loaded, holding back every frame
// of the page (docs/screens/DRAWING.md); a 2D path of the same vertices is drawn in milliseconds.
// The outlines are a backdrop: not pickable, as before.

import {canvasFor} from './canvas2d.js';

const WORLD = 512; // deck.gl's Web Mercator world size at zoom 0
const DEG = Math.PI / 180;

function worldX(lon) {
  return (WORLD * (lon * DEG + Math.PI)) / (2 * Math.PI);
}

function worldY(lat) {
  const phi = Math.max(-85.05, Math.min(85.05, lat)) * DEG;
  return (WORLD * (Math.PI + Math.log(Math.tan(Math.PI / 4 + phi / 2)))) / (2 * Math.PI);
}

// Rings of a GeoJSON geometry as flat arrays of world coordinates [x0, y0, x1, y1, …].
function rings(geometry, out = []) {
  if (!geometry) return out;
  const ring = (coords) => {
    const a = new Float64Array(coords.length * 2);
    coords.forEach((c, i) => {
      a[2 * i] = worldX(c[0]);
      a[2 * i + 1] = worldY(c[1]);
    });
    out.push(a);
  };
  switch (geometry.type) {
    case 'Polygon':
    case 'MultiLineString':
      geometry.coordinates.forEach(ring);
      break;
    case 'MultiPolygon':
      geometry.coordinates.forEach((p) => p.forEach(ring));
      break;
    case 'LineString':
      ring(geometry.coordinates);
      break;
    case 'GeometryCollection':
      geometry.geometries.forEach((g) => rings(g, out));
      break;
    default:
      break;
  }
  return out;
}

const css = (c) => `rgba(${c[0]},${c[1]},${c[2]},${(c[3] ?? 255) / 255})`;
const BASE_FILL = [242, 241, 236, 255];

export class OutlineCanvas {
  constructor(parent) {
    this.canvas = document.createElement('canvas');
    this.canvas.className = 'contours';
    Object.assign(this.canvas.style, {position: 'absolute', left: '0', top: '0', zIndex: '0', pointerEvents: 'none'});
    parent.prepend(this.canvas);
    this.units = [];
    this.upper = [];
    this.key = null;
    this.version = 0;
  }

  // ``outlines``: units (``properties.fill``, ``properties.selected``); ``upper``: lines over them.
  setData(outlines, upper) {
    const feats = (fc) => (fc && fc.features) || [];
    this.units = feats(outlines).map((f) => ({
      rings: rings(f.geometry),
      fill: css((f.properties && f.properties.fill) || BASE_FILL),
      selected: !!(f.properties && f.properties.selected),
    }));
    this.upper = feats(upper).map((f) => ({rings: rings(f.geometry)}));
    this.version += 1;
  }

  // Draw for a deck.gl WebMercatorViewport (no pitch, no bearing); skipped when nothing changed.
  draw(viewport) {
    const ctx = canvasFor(this, viewport);
    if (!ctx) return;
    // World → screen pixels is affine for a flat Mercator view: from two projected points.
    const a = viewport.project([-10, 40]);
    const b = viewport.project([10, 55]);
    const sx = (b[0] - a[0]) / (worldX(10) - worldX(-10));
    const sy = (b[1] - a[1]) / (worldY(55) - worldY(40));
    const ox = a[0] - sx * worldX(-10);
    const oy = a[1] - sy * worldY(40);
    ctx.lineJoin = 'round';
    const path = (list) => {
      const p = new Path2D();
      for (const r of list) {
        p.moveTo(ox + sx * r[0], oy + sy * r[1]);
        for (let i = 2; i < r.length; i += 2) p.lineTo(ox + sx * r[i], oy + sy * r[i + 1]);
      }
      return p;
    };
    // Units filled, their borders, the upper lines, then the
    // selected units' borders on top.
    for (const u of this.units) {
      ctx.fillStyle = u.fill;
      ctx.fill(path(u.rings), 'evenodd'); // one path per unit: its holes stay holes
    }
    const plain = this.units.filter((u) => !u.selected).flatMap((u) => u.rings);
    if (plain.length) {
      ctx.strokeStyle = css([165, 165, 160, 255]);
      ctx.lineWidth = 0.8;
      ctx.stroke(path(plain));
    }
    const up = this.upper.flatMap((u) => u.rings);
    if (up.length) {
      ctx.strokeStyle = css([110, 110, 105, 255]);
      ctx.lineWidth = 1.4;
      ctx.stroke(path(up));
    }
    const sel = this.units.filter((u) => u.selected).flatMap((u) => u.rings);
    if (sel.length) {
      ctx.strokeStyle = css([40, 40, 40, 255]);
      ctx.lineWidth = 2.5;
      ctx.stroke(path(sel));
    }
  }
}
