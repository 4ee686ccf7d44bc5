// The observatory's 2D-canvas map (a Streamlit component, plain JavaScript, no build step, no
// WebGL): a choropleth (units filled by class, their borders, upper lines, the selected unit
// ringed) or a link map (light outlines, arcs between places). Spec: observatoire/render/canvas_map.py.
// deck.gl on the CPU renderer cost ~5–10 s per map (docs/screens/DRAWING.md); this draws in ms.
// Nothing is fetched; every text is set with textContent (names may come from users).
'use strict';

(() => {
  const WORLD = 512; // deck.gl's Web Mercator world size at zoom 0: the same zoom levels
  const DEG = Math.PI / 180;
  const MIN_ZOOM = 3;
  const MAX_ZOOM = 13;
  const wx = (lon) => (WORLD * (lon + 180)) / 360;
  const wy = (lat) => {
    const phi = Math.max(-85.05, Math.min(85.05, lat)) * DEG;
    return WORLD / 2 - (WORLD * Math.log(Math.tan(Math.PI / 4 + phi / 2))) / (2 * Math.PI);
  };

  const box = document.getElementById('carte');
  const base = document.getElementById('fond');
  const over = document.getElementById('survol');
  const tip = document.getElementById('infobulle');
  const key = document.getElementById('legende');
  let spec = null;
  let units = []; // {code, name, value, path, bbox}
  let layers = null; // Path2D in world coordinates: per class, borders, upper lines, selected
  let links = [];
  let view = null; // {x, y, zoom}: world centre and zoom
  let hovered = null;
  let clicks = 0;
  let pending = false;
  let frameHeight = null; // the height last asked of Streamlit for the frame

  function send(type, extra) {
    window.parent.postMessage({isStreamlitMessage: true, type, ...extra}, '*');
  }

  // Delta-encoded integer rings → Path2D in world coordinates, with the unit's bounding box.
  function decode(rings, q, closed, path, bbox) {
    for (const r of rings) {
      let X = 0;
      let Y = 0;
      for (let i = 0; i < r.length; i += 2) {
        X += r[i];
        Y += r[i + 1];
        const x = wx(X * q);
        const y = wy(Y * q);
        if (i === 0) path.moveTo(x, y);
        else path.lineTo(x, y);
        if (bbox) {
          if (x < bbox[0]) bbox[0] = x;
          if (y < bbox[1]) bbox[1] = y;
          if (x > bbox[2]) bbox[2] = x;
          if (y > bbox[3]) bbox[3] = y;
        }
      }
      if (closed) path.closePath();
    }
  }

  function load(s) {
    spec = s;
    const q = s.q;
    const byClass = new Map();
    const borders = new Path2D();
    const selected = new Path2D();
    units = s.units.map((u) => {
      const path = new Path2D();
      const bbox = [Infinity, Infinity, -Infinity, -Infinity];
      decode(u.rings, q, true, path, bbox);
      if (!byClass.has(u.cls)) byClass.set(u.cls, new Path2D());
      byClass.get(u.cls).addPath(path);
      (u.code && u.code === s.selected ? selected : borders).addPath(path);
      return {code: u.code, name: u.name, value: u.value, path, bbox};
    });
    const upper = new Path2D();
    decode(s.upper || [], q, false, upper, null);
    layers = {byClass, borders, selected, upper, hasSelected: units.some((u) => u.code && u.code === s.selected)};
    links = (s.links || []).map((l) => ({a: [wx(l.ends[0]), wy(l.ends[1])], b: [wx(l.ends[2]), wy(l.ends[3])], label: l.label}));
    view = {x: wx(s.view.longitude), y: wy(s.view.latitude), zoom: s.view.zoom};
    hovered = null;
    legend(s.legend);
  }

  // The colour key: a swatch and a label per class, then the source (text only).
  function legend(l) {
    key.replaceChildren();
    key.hidden = !l;
    if (!l) return;
    const el = (tag, cls, text) => {
      const e = document.createElement(tag);
      if (cls) e.className = cls;
      if (text !== undefined) e.textContent = text;
      return e;
    };
    key.append(el('div', 'titre', l.title));
    for (const r of l.rows) {
      const line = el('div', 'ligne');
      const swatch = el('span', 'pastille');
      swatch.style.background = r.colour;
      line.append(swatch, el('span', null, r.label));
      key.append(line);
    }
    key.append(el('div', 'source', l.source));
  }

  function size() {
    const dpr = window.devicePixelRatio || 1;
    const w = box.clientWidth;
    const h = box.clientHeight;
    for (const c of [base, over]) {
      if (c.width !== Math.round(w * dpr) || c.height !== Math.round(h * dpr)) {
        c.width = Math.round(w * dpr);
        c.height = Math.round(h * dpr);
        c.style.width = `${w}px`;
        c.style.height = `${h}px`;
      }
    }
    return {w, h, dpr};
  }

  // World → CSS pixels: x·s + ox, y·s + oy.
  function transform() {
    const s = Math.pow(2, view.zoom);
    return {s, ox: box.clientWidth / 2 - view.x * s, oy: box.clientHeight / 2 - view.y * s};
  }

  function arc(ctx, t, l) {
    const ax = l.a[0] * t.s + t.ox;
    const ay = l.a[1] * t.s + t.oy;
    const bx = l.b[0] * t.s + t.ox;
    const by = l.b[1] * t.s + t.oy;
    // A bow to the left of the way from a to b, a fifth of its length.
    const cx = (ax + bx) / 2 - (by - ay) / 5;
    const cy = (ay + by) / 2 + (bx - ax) / 5;
    return [ax, ay, cx, cy, bx, by];
  }

  function draw() {
    pending = false;
    if (!spec) return;
    const {dpr} = size();
    const ctx = base.getContext('2d');
    const t = transform();
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, base.width, base.height);
    ctx.setTransform(dpr * t.s, 0, 0, dpr * t.s, dpr * t.ox, dpr * t.oy);
    ctx.lineJoin = 'round';
    for (const [cls, path] of layers.byClass) {
      ctx.fillStyle = cls >= 0 ? spec.colours[cls] : spec.missing;
      ctx.fill(path, 'evenodd');
    }
    const px = 1 / t.s; // one CSS pixel in world units
    const chart = spec.links && spec.links.length;
    ctx.strokeStyle = chart ? '#969696' : 'rgba(255,255,255,0.7)';
    ctx.lineWidth = (chart ? 1 : 0.6) * px;
    ctx.stroke(layers.borders);
    if (spec.upper && spec.upper.length) {
      ctx.strokeStyle = 'rgba(40,40,40,0.8)';
      ctx.lineWidth = 1.2 * px;
      ctx.stroke(layers.upper);
    }
    if (layers.hasSelected) {
      ctx.strokeStyle = '#e61e1e';
      ctx.lineWidth = 3 * px;
      ctx.stroke(layers.selected);
    }
    if (links.length) {
      ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
      ctx.lineWidth = 3;
      ctx.lineCap = 'round';
      const [c0, c1] = spec.link_colours;
      for (const l of links) {
        const p = arc(ctx, t, l);
        const g = ctx.createLinearGradient(p[0], p[1], p[4], p[5]);
        g.addColorStop(0, c0);
        g.addColorStop(1, c1);
        ctx.strokeStyle = g;
        ctx.globalAlpha = 0.86;
        ctx.beginPath();
        ctx.moveTo(p[0], p[1]);
        ctx.quadraticCurveTo(p[2], p[3], p[4], p[5]);
        ctx.stroke();
      }
      ctx.globalAlpha = 1;
    }
    drawHover();
    window.__cartePaintedKey = spec.key;
    window.__cartePaintedAt = performance.now();
  }

  function drawHover() {
    const ctx = over.getContext('2d');
    const dpr = window.devicePixelRatio || 1;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, over.width, over.height);
    if (!hovered || !hovered.path) return;
    const t = transform();
    ctx.setTransform(dpr * t.s, 0, 0, dpr * t.s, dpr * t.ox, dpr * t.oy);
    ctx.strokeStyle = '#111';
    ctx.lineWidth = 2 / t.s;
    ctx.stroke(hovered.path);
  }

  function redraw() {
    if (!pending) {
      pending = true;
      requestAnimationFrame(draw);
    }
  }

  // What is under a point of the map (CSS pixels): a unit, a link, or null.
  function pick(x, y) {
    const t = transform();
    if (links.length) {
      const ctx = base.getContext('2d');
      let best = null;
      let bestD = 36; // 6 px, squared
      for (const l of links) {
        const p = arc(ctx, t, l);
        for (let k = 0; k <= 24; k++) {
          const s = k / 24;
          const u = 1 - s;
          const px = u * u * p[0] + 2 * u * s * p[2] + s * s * p[4];
          const py = u * u * p[1] + 2 * u * s * p[3] + s * s * p[5];
          const d = (px - x) ** 2 + (py - y) ** 2;
          if (d < bestD) {
            bestD = d;
            best = l;
          }
        }
      }
      return best ? {lines: [best.label]} : null;
    }
    if (spec.pickable === false) return null;
    const X = (x - t.ox) / t.s;
    const Y = (y - t.oy) / t.s;
    const ctx = over.getContext('2d');
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    for (const u of units) {
      const b = u.bbox;
      if (X < b[0] || X > b[2] || Y < b[1] || Y > b[3]) continue;
      if (ctx.isPointInPath(u.path, X, Y, 'evenodd')) {
        return {unit: u, lines: [u.name, ...spec.tooltip.map((line) => line.replace('{value}', u.value))]};
      }
    }
    return null;
  }

  function showTip(x, y, lines) {
    if (!lines) {
      tip.hidden = true;
      return;
    }
    tip.textContent = lines.join('\n');
    tip.hidden = false;
    const left = x + 14 + tip.offsetWidth > box.clientWidth - 4 ? x - 14 - tip.offsetWidth : x + 14;
    const top = y - tip.offsetHeight - 10 < 4 ? y + 18 : y - tip.offsetHeight - 10;
    tip.style.left = `${Math.max(4, left)}px`;
    tip.style.top = `${top}px`;
  }

  function hover(x, y) {
    const hit = pick(x, y);
    const unit = hit && hit.unit ? hit.unit : null;
    if (unit !== hovered) {
      hovered = unit;
      drawHover();
    }
    box.classList.toggle('cible', !!unit);
    showTip(x, y, hit ? hit.lines : null);
  }

  function zoomAt(x, y, dz) {
    const z = Math.max(MIN_ZOOM, Math.min(MAX_ZOOM, view.zoom + dz));
    const t = transform();
    const X = (x - t.ox) / t.s;
    const Y = (y - t.oy) / t.s;
    const s = Math.pow(2, z);
    // Keep the world point under (x, y) where it is.
    view = {x: X - (x - box.clientWidth / 2) / s, y: Y - (y - box.clientHeight / 2) / s, zoom: z};
    redraw();
  }

  let drag = null;
  const local = (e) => {
    const r = box.getBoundingClientRect();
    return [e.clientX - r.left, e.clientY - r.top];
  };
  box.addEventListener('pointerdown', (e) => {
    if (e.target.tagName === 'BUTTON' || !view) return;
    const [x, y] = local(e);
    drag = {x, y, vx: view.x, vy: view.y, moved: false};
    box.setPointerCapture(e.pointerId);
  });
  box.addEventListener('pointermove', (e) => {
    if (!view) return;
    const [x, y] = local(e);
    if (!drag) return hover(x, y);
    if (Math.abs(x - drag.x) + Math.abs(y - drag.y) > 4) drag.moved = true;
    if (!drag.moved) return;
    box.classList.add('glisse');
    showTip(0, 0, null);
    const s = Math.pow(2, view.zoom);
    view = {...view, x: drag.vx - (x - drag.x) / s, y: drag.vy - (y - drag.y) / s};
    redraw();
  });
  box.addEventListener('pointerup', (e) => {
    if (!drag) return;
    const moved = drag.moved;
    drag = null;
    box.classList.remove('glisse');
    if (moved) return;
    const [x, y] = local(e);
    const hit = pick(x, y);
    if (hit && hit.unit && hit.unit.code) {
      clicks += 1;
      send('streamlit:setComponentValue', {value: {code: hit.unit.code, n: clicks}, dataType: 'json'});
    }
  });
  box.addEventListener('pointerleave', () => {
    if (drag) return;
    hovered = null;
    drawHover();
    showTip(0, 0, null);
  });
  box.addEventListener(
    'wheel',
    (e) => {
      if (!view) return;
      e.preventDefault();
      const [x, y] = local(e);
      zoomAt(x, y, -Math.max(-1, Math.min(1, e.deltaY / 250)));
    },
    {passive: false},
  );
  box.addEventListener('dblclick', (e) => {
    const [x, y] = local(e);
    zoomAt(x, y, 1);
  });
  document.getElementById('plus').addEventListener('click', () => zoomAt(box.clientWidth / 2, box.clientHeight / 2, 1));
  document.getElementById('moins').addEventListener('click', () => zoomAt(box.clientWidth / 2, box.clientHeight / 2, -1));
  window.addEventListener('resize', redraw);

  window.addEventListener('message', (event) => {
    const msg = event.data;
    if (!msg || msg.type !== 'streamlit:render') return;
    const args = msg.args;
    const height = args.height || 600;
    box.style.height = `${height}px`;
    // Streamlit sends the same arguments again (e.g. once the frame is measured): the frame's
    // height is asked for only when it changes (each ask sets it again and lays the page out).
    if (height !== frameHeight) send('streamlit:setFrameHeight', {height: height + 2});
    frameHeight = height;
    if (args.label) box.setAttribute('aria-label', args.label);
    if (!spec || args.spec.key !== spec.key) load(args.spec);
    redraw();
  });

  // For the browser tests: where a place is drawn (CSS pixels of the frame).
  window.__carte = {
    project: (lon, lat) => {
      const t = transform();
      return [wx(lon) * t.s + t.ox, wy(lat) * t.s + t.oy];
    },
    view: () => ({...view}),
  };
  send('streamlit:componentReady', {apiVersion: 1});
})();
