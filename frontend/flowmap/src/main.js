// Flow map component of the observatory: flowmap.gl layers on deck.gl, no basemap, inside a
// Streamlit custom component (v1 protocol: postMessage with the parent frame, hand-rolled to
// avoid React). The input is the spec built in Python (observatoire/render/flowmap_spec.py).
import {Deck, MapView, WebMercatorViewport} from '@deck.gl/core';
import {FlowmapLayer} from '@flowmap.gl/layers';
import {OutlineCanvas} from './outlines.js';
import {RasterMotion} from './motion.js';
import {PlaceCanvas} from './places.js';

const mapEl = document.getElementById('carte');
const legendEl = document.getElementById('legende');
const tipEl = document.getElementById('infobulle');
const outlines = new OutlineCanvas(mapEl); // under the WebGL canvas
const motion = new RasterMotion(); // a map of many flows moves as an image (motion.js)
const places = new PlaceCanvas(mapEl); // discs and names over the WebGL canvas (places.js)

let deck = null;
let spec = null;
let specKey = null;
let viewState = null;
let scaleState = null;
let sharedMax = null; // shared flow-magnitude domain of the direction groups
let clicks = 0;
let prepared = null;
let exportPending = false;
let renders = 0; // frames drawn (the bench's frame rate)
let flowsReadyKey = null; // the spec whose flows flowmap.gl has laid out
let settled = 0; // bumped when the view stops moving: flowmap.gl then lays the flows out again
let moving = false;
let dragging = false; // the pointer holds the map

// Layers whose flows are being laid out again after the view stopped (flowmap.gl delivers them
// asynchronously): until they are, the moved picture is kept rather than the flows laid out for
// the former view drawn once more at the new one (a full draw wasted). Never more than a few
// seconds: a layout not delivered by then does not hold the drawing back.
const layouts = new Map(); // layer id → time the layout was asked for
const LAYOUT_WAIT_MS = 5000;
function layoutPending() {
  const now = performance.now();
  for (const [id, t] of layouts) if (now - t > LAYOUT_WAIT_MS) layouts.delete(id);
  return layouts.size > 0;
}

// flowmap.gl recomputes its flows (viewport filter, clustering, top N, scales, GPU buffers) on
// every viewport change, i.e. every frame of a pan or zoom: with 20 000 flows that is most of a
// frame's cost. While the view moves, this layer keeps the flows it laid out (their lines are
// in map coordinates, so they pan and zoom with the map) and lays them out again once the view
// has been still for a moment (prop ``settled``).
// A view to the pixel (1e-7 degree, 1e-6 zoom level): normalising a view state moves it by less.
const viewKey = (v) =>
  v ? [v.width, v.height, v.longitude.toFixed(7), v.latitude.toFixed(7), v.zoom.toFixed(6)].join(' ') : null;

class SteadyFlowmapLayer extends FlowmapLayer {
  shouldUpdateState(params) {
    const {changeFlags} = params;
    if (changeFlags.viewportChanged && !changeFlags.propsOrDataChanged && this.props.steady && moving) return false;
    return super.shouldUpdateState(params);
  }

  updateState(params) {
    const {oldProps, props, changeFlags} = params;
    const key = viewKey(this.context.viewport);
    const same = this.state.laidView === key;
    this.state.laidView = key; // (not setState: that would ask for one more update)
    if (props.steady && oldProps.settled !== undefined && oldProps.settled !== props.settled) {
      layouts.set(props.id, performance.now());
      return super.updateState({...params, changeFlags: {...changeFlags, viewportChanged: true}});
    }
    if (props.steady && same && changeFlags.viewportChanged && !changeFlags.propsOrDataChanged) {
      // a new viewport object for the same view (e.g. the canvas' pixels resized at load): the
      // flows laid out stay (a layout and a full draw less)
      return super.updateState({...params, changeFlags: {...changeFlags, viewportChanged: false}});
    }
    return super.updateState(params);
  }

  setState(partial) {
    super.setState(partial);
    if (partial && 'layersData' in partial) layouts.delete(this.props.id);
  }
}
SteadyFlowmapLayer.layerName = 'SteadyFlowmapLayer';

function send(type, data) {
  window.parent.postMessage({isStreamlitMessage: true, type, ...data}, '*');
}

const nf = new Intl.NumberFormat('fr-FR', {maximumFractionDigits: 0});
const fmt = (v) => nf.format(Math.round(v || 0));

function niceNumber(v) {
  if (!(v > 0)) return 0;
  const p = Math.pow(10, Math.floor(Math.log10(v)));
  const m = v / p;
  const nice = m >= 5 ? 5 : m >= 2 ? 2 : 1;
  return nice * p;
}

// ----- data ---------------------------------------------------------------------------------
function prepare(s) {
  const L = s.locations;
  const locations = L.id.map((id, i) => ({
    id,
    name: L.name[i],
    lon: L.lon[i],
    lat: L.lat[i],
    in: L.in[i],
    out: L.out[i],
    internal: L.internal[i],
  }));
  const F = s.flows;
  const groups = s.groups.map(() => []);
  for (let i = 0; i < F.o.length; i++) {
    groups[F.g[i]].push({o: L.id[F.o[i]], d: L.id[F.d[i]], v: F.v[i]});
  }
  const byId = new Map(locations.map((l) => [l.id, l]));
  // One data object per group for the life of the spec: a new one would make flowmap.gl start
  // again from nothing (new data provider: flows sorted, places indexed) at each layout.
  const data = groups.map((flows) => ({locations, flows}));
  const selected = new Set(s.selected || []);
  const drawnPlaces = locations.filter((l) => l.in + l.out > 0 || selected.has(l.id));
  return {locations, groups, data, byId, selected, drawnPlaces};
}

// Largest flow with an end in the viewport (adaptive scale), or of all flows (fixed).
function computeSharedMax() {
  const o = spec.options;
  if (o.locked_max) return o.locked_max;
  let max = 0;
  let bounds = null;
  if (o.adaptive && viewState && mapEl.clientWidth > 0) {
    const vp = new WebMercatorViewport({...viewState, width: mapEl.clientWidth, height: mapEl.clientHeight});
    bounds = vp.getBounds();
  }
  const inside = (l) =>
    !bounds || (l.lon >= bounds[0] && l.lon <= bounds[2] && l.lat >= bounds[1] && l.lat <= bounds[3]);
  for (const g of prepared.groups) {
    for (const f of g) {
      if (f.v > max && (inside(prepared.byId.get(f.o)) || inside(prepared.byId.get(f.d)))) max = f.v;
    }
  }
  return max || 1;
}

// ----- tooltip ------------------------------------------------------------------------------
function showTip(info, lines) {
  if (!lines) {
    tipEl.hidden = true;
    return;
  }
  tipEl.textContent = lines.join('\n'); // text only: names may come from users
  tipEl.hidden = false;
  const w = mapEl.clientWidth;
  const x = Math.min(info.x + 14, w - tipEl.offsetWidth - 4);
  const y = Math.max(info.y - tipEl.offsetHeight - 10, 4);
  tipEl.style.left = `${x}px`;
  tipEl.style.top = `${y}px`;
}

function locationLines(name, totals) {
  const u = spec.legend.unit;
  return [
    name,
    `Sortants : ${fmt(totals.out)} ${u}`,
    `Entrants : ${fmt(totals.in)} ${u}`,
    `Internes : ${fmt(totals.internal)} ${u}`,
    spec.options.estimated ? 'Valeurs ESTIMÉES (modèle)' : 'Valeurs observées',
  ];
}

function flowLines(oName, dName, v, group) {
  const g = spec.groups[group];
  return [
    `${oName} → ${dName}`,
    `${fmt(v)} ${spec.legend.unit}${g ? ' — ' + g.label : ''}`,
    spec.options.estimated ? 'Flux ESTIMÉ (modèle)' : 'Flux observé',
  ];
}

function onFlowmapHover(group) {
  return (info) => {
    if (placeHovered) return undefined; // a place (places.js) is over the flows: its tip stays
    const obj = info && info.object;
    if (!obj) return showTip(info, null);
    if (obj.type === 'location') {
      const loc = obj.location || {};
      const t = obj.totals || {};
      const mine = prepared.byId.get(obj.id);
      const totals = mine && !loc.children
        ? mine
        : {in: t.incomingCount, out: t.outgoingCount, internal: t.internalCount};
      const name = loc.children ? `${obj.name} (regroupement de ${loc.children.length} lieux)` : obj.name;
      return showTip(info, locationLines(name, totals));
    }
    if (obj.type === 'flow') {
      return showTip(info, flowLines(obj.origin?.name, obj.dest?.name, obj.count, group));
    }
    return showTip(info, null);
  };
}

function selectLocation(id) {
  clicks += 1;
  send('streamlit:setComponentValue', {value: {code: String(id), n: clicks}, dataType: 'json'});
}

function onFlowmapClick(info) {
  const obj = info && info.object;
  if (!obj || obj.type !== 'location') return;
  const loc = obj.location || {};
  if (loc.children) {
    // A cluster: zoom in on it instead of selecting.
    viewState = {...viewState, longitude: info.coordinate[0], latitude: info.coordinate[1], zoom: viewState.zoom + 1.5};
    deck.setProps({viewState});
    return;
  }
  selectLocation(obj.id);
}

// ----- layers -------------------------------------------------------------------------------
// (the outlines are not layers: they are drawn on a 2D canvas underneath, outlines.js)
function flowLayers() {
  const o = spec.options;
  const single = spec.groups.length === 1;
  const nativeLocations = single && o.clustering;
  const layers = [];
  spec.groups.forEach((g, gi) => {
    const flows = prepared.groups[gi];
    if (!flows.length) return;
    const lock = nativeLocations
      ? o.locked_max
        ? {enabled: true, domains: {flowMagnitude: [0, o.locked_max]}}
        : undefined
      : {enabled: true, domains: {flowMagnitude: [0, sharedMax]}};
    const make = (id, topN) =>
      new SteadyFlowmapLayer({
        id,
        steady: o.steady !== false,
        settled,
        data: prepared.data[gi],
        getLocationId: (l) => l.id,
        getLocationLat: (l) => l.lat,
        getLocationLon: (l) => l.lon,
        getLocationName: (l) => l.name,
        getFlowOriginId: (f) => f.o,
        getFlowDestId: (f) => f.d,
        getFlowMagnitude: (f) => f.v,
        colorScheme: g.colors,
        opacity: o.opacity ?? 1.0,
        locationsEnabled: nativeLocations,
        locationTotalsEnabled: nativeLocations,
        locationLabelsEnabled: false,
        clusteringEnabled: nativeLocations,
        clusteringAuto: true,
        adaptiveScalesEnabled: nativeLocations ? !!o.adaptive : false,
        scaleLock: lock,
        fadeEnabled: !!o.fade,
        fadeOpacityEnabled: !!o.fade,
        fadeAmount: o.fade_amount ?? 25,
        maxTopFlowsDisplayNum: topN,
        flowLinesRenderingMode: o.curved ? 'curved' : 'straight',
        flowLineCurviness: 1,
        flowLineThicknessScale: o.thickness_scale ?? 1,
        highlightColor: '#111111',
        pickable: true,
        onHover: onFlowmapHover(gi),
        onClick: onFlowmapClick,
        onScaleChange:
          gi === firstGroup()
            ? (s) => {
                // (the layer's new flows are drawn at the next frame: no draw forced here, it
                // would draw the flows laid out before)
                flowsReadyKey = specKey;
                updateLegend(s);
              }
            : undefined,
      });
    const topN = o.top_n || 5000;
    layers.push(make(`flux-${g.key}`, topN));
  });
  if (nativeLocations) places.clear();
  else setPlaces();
  return layers;
}

// Names never drawn over one another (a projector, a slide): the places with the largest
// totals keep theirs, a name that would overlap one already placed is left to the tooltip.
// Boxes in screen pixels at the current view (12-px type, about 6.6 px a character); done
// again each time the view stops moving.
const LABEL_CHAR_PX = 6.6;
const LABEL_HEIGHT_PX = 15;
let labelBoxes = [];
function declutter(cands, radius) {
  if (!viewState || !mapEl.clientWidth) return cands;
  const vp = new WebMercatorViewport({...viewState, width: mapEl.clientWidth, height: mapEl.clientHeight});
  const order = [...cands].sort((a, b) => b.in + b.out - (a.in + a.out) || (a.id < b.id ? -1 : 1));
  const placed = [];
  const kept = [];
  for (const l of order) {
    const [x, y] = vp.project([l.lon, l.lat]);
    const w = l.name.length * LABEL_CHAR_PX + 4;
    const cy = y - (radius(l) + 9);
    const box = [x - w / 2, cy - LABEL_HEIGHT_PX / 2, x + w / 2, cy + LABEL_HEIGHT_PX / 2];
    if (placed.some((b) => box[0] < b[2] && box[2] > b[0] && box[1] < b[3] && box[3] > b[1])) continue;
    placed.push(box);
    kept.push(l);
  }
  labelBoxes = kept.map((l, i) => ({id: l.id, name: l.name, box: placed[i]}));
  return kept;
}

function firstGroup() {
  return prepared.groups.findIndex((g) => g.length > 0);
}

// Own location circles (direction groups, network members): white disc, radius ∝ √(in + out),
// the selected territory (or the network's members) ringed in black; French totals on hover;
// click selects. Drawn on a 2D canvas over the flows (places.js), not as deck.gl layers.
function setPlaces() {
  const sel = prepared.selected;
  const locs = prepared.drawnPlaces;
  // A network's members are all ringed and sized by their flows; a territory keeps one disc.
  const network = spec.mode === 'reseau';
  let max = 1;
  for (const l of locs) if (network || !sel.has(l.id)) max = Math.max(max, l.in + l.out);
  const radius = (l) =>
    sel.has(l.id) && !network ? 9 : 3 + 11 * Math.sqrt(Math.min(1, (l.in + l.out) / max));
  const style = (l) => ({
    radius: radius(l),
    fill: sel.has(l.id) ? [255, 255, 255, 255] : [255, 255, 255, 225],
    line: sel.has(l.id) ? [0, 0, 0, 255] : [90, 90, 90, 255],
    width: sel.has(l.id) ? 3 : 1,
  });
  const named = declutter(
    locs.filter(
      (l) => (sel.has(l.id) && (sel.size <= 25 || l.in + l.out >= max / 4)) || (spec.options.labels && l.in + l.out >= max / 4),
    ),
    radius,
  );
  places.setData(locs, style, named, (l) => radius(l) + 9);
}

// The pointer over a place (places.js): its totals, a pointer cursor; a click selects it. Over
// no place the flows' own hover (deck.gl picking) speaks.
let placeHovered = null;
function mapXY(ev) {
  const r = mapEl.getBoundingClientRect();
  return {x: ev.clientX - r.left, y: ev.clientY - r.top};
}
function placeAt({x, y}) {
  return moving ? null : places.hit(x, y);
}
mapEl.addEventListener('pointermove', (ev) => {
  const at = mapXY(ev);
  const p = placeAt(at);
  if (p) showTip(at, locationLines(p.name, p));
  else if (placeHovered) showTip({}, null);
  if (!!p !== !!placeHovered && deck) deck.getCanvas().style.cursor = p ? 'pointer' : 'grab';
  placeHovered = p;
});
mapEl.addEventListener('pointerleave', () => {
  if (placeHovered) showTip({}, null); // (the flows' hover let the place's tip stand)
  placeHovered = null;
});
mapEl.addEventListener('click', (ev) => {
  const p = placeAt(mapXY(ev));
  if (p) selectLocation(p.id);
});

function layers() {
  return flowLayers();
}

// ----- legend (HTML over the map: a screenshot explains itself) -----------------------------
function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

function updateLegend(s) {
  if (s) scaleState = s;
  const lg = spec.legend;
  legendEl.replaceChildren();
  legendEl.append(el('h4', null, lg.title));
  const ft = scaleState && scaleState.flowThickness;
  if (ft && ft.samples && ft.samples.length) {
    const max = ft.domain[1];
    const unitPx = ft.samples[ft.samples.length - 1].thickness / 0.5; // thickness = scale(v) × unit
    const scale = (v) => (0.025 + (0.475 * Math.min(v, max)) / max) * unitPx;
    const top = niceNumber(max);
    const values = [...new Set([top, niceNumber(top / 4), niceNumber(top / 20)])].filter((v) => v > 0);
    legendEl.append(el('div', null, `Épaisseur ∝ volume${scaleState.locked && spec.options.locked_max ? ' (échelle verrouillée)' : spec.options.adaptive ? ' (échelle adaptée à la vue)' : ''}`));
    for (const v of values) {
      const row = el('div', 'ligne');
      const line = el('span', 'trait');
      line.style.height = `${Math.max(1, scale(v)).toFixed(1)}px`;
      line.style.background = '#555';
      row.append(line, el('span', null, `${fmt(v)} ${lg.unit}`));
      legendEl.append(row);
    }
  }
  for (const c of lg.colours) {
    const row = el('div', 'ligne');
    const line = el('span', 'trait');
    line.style.height = '5px';
    line.style.background = c.colour;
    if (spec.options.estimated) line.style.opacity = String(spec.options.opacity ?? 1);
    row.append(line, el('span', null, c.label));
    legendEl.append(row);
  }
  if (spec.options.estimated && lg.colours.length) {
    // The nature on its own row, beside a lighter line: what « estimé » looks like.
    const row = el('div', 'ligne');
    const line = el('span', 'trait');
    line.style.height = '5px';
    line.style.background = lg.colours[0].colour;
    line.style.opacity = String(spec.options.opacity ?? 1);
    row.append(line, el('span', 'estime', lg.nature));
    legendEl.append(row);
  }
  if (lg.choropleth) {
    legendEl.append(el('div', null, lg.choropleth.title));
    for (const c of lg.choropleth.classes) {
      const row = el('div', 'ligne');
      const sw = el('span', 'pastille');
      sw.style.background = c.colour;
      row.append(sw, el('span', null, c.label));
      legendEl.append(row);
    }
  }
  if (lg.notes.length) legendEl.append(el('div', 'notes', lg.notes.join(' · ')));
  if (!(spec.options.estimated && lg.colours.length)) legendEl.append(el('div', lg.estimated ? 'estime' : null, lg.nature));
  legendEl.append(el('div', 'source', lg.source));
}

// ----- PNG for slides: the canvas with the legend drawn over it -------------------------------
function wrap(ctx, text, maxWidth) {
  const words = text.split(' ');
  const lines = [];
  let line = '';
  for (const w of words) {
    const next = line ? `${line} ${w}` : w;
    if (ctx.measureText(next).width > maxWidth && line) {
      lines.push(line);
      line = w;
    } else line = next;
  }
  if (line) lines.push(line);
  return lines;
}

function drawLegend(ctx) {
  const box = legendEl.getBoundingClientRect();
  const host = mapEl.getBoundingClientRect();
  const x0 = box.left - host.left;
  const y0 = box.top - host.top;
  ctx.fillStyle = 'rgba(255,255,255,0.95)';
  ctx.strokeStyle = '#bbbbbb';
  ctx.fillRect(x0, y0, box.width, box.height);
  ctx.strokeRect(x0 + 0.5, y0 + 0.5, box.width - 1, box.height - 1);
  const font = getComputedStyle(document.body).fontFamily;
  let y = y0 + 6;
  const inner = box.width - 14;
  for (const child of legendEl.children) {
    const bold = child.tagName === 'H4' || child.classList.contains('estime');
    ctx.font = `${bold ? 'bold ' : ''}${child.tagName === 'H4' ? 12 : 11}px ${font}`;
    ctx.fillStyle = child.classList.contains('estime') ? '#8a3b00' : '#222222';
    ctx.textBaseline = 'top';
    if (child.classList.contains('ligne')) {
      const sw = child.children[0];
      const label = child.children[1].textContent;
      const h = sw.classList.contains('pastille') ? 10 : Math.max(1, parseFloat(sw.style.height) || 4);
      const w = sw.classList.contains('pastille') ? 14 : 36;
      ctx.globalAlpha = parseFloat(sw.style.opacity || '1');
      ctx.fillStyle = sw.style.background || sw.style.backgroundColor;
      ctx.fillRect(x0 + 7, y + 7 - h / 2, w, h);
      ctx.globalAlpha = 1;
      const estime = child.children[1].classList.contains('estime');
      ctx.font = `${estime ? 'bold ' : ''}11px ${font}`;
      ctx.fillStyle = estime ? '#8a3b00' : '#222222';
      const parts = wrap(ctx, label, inner - w - 6);
      parts.forEach((l, k) => ctx.fillText(l, x0 + 7 + w + 6, y + k * 14.5));
      y += Math.max(15, h + 4, parts.length * 14.5);
    } else {
      for (const l of wrap(ctx, child.textContent, inner)) {
        ctx.fillText(l, x0 + 7, y);
        y += child.tagName === 'H4' ? 17 : 14.5;
      }
    }
  }
}

function exportPng() {
  const gl = deck.getCanvas();
  const w = mapEl.clientWidth;
  const h = mapEl.clientHeight;
  const ratio = gl.width / w;
  const out = document.createElement('canvas');
  out.width = gl.width;
  out.height = gl.height;
  const ctx = out.getContext('2d');
  ctx.fillStyle = '#fbfbf8';
  ctx.fillRect(0, 0, out.width, out.height);
  ctx.drawImage(outlines.canvas, 0, 0, out.width, out.height);
  ctx.drawImage(gl, 0, 0);
  ctx.drawImage(places.canvas, 0, 0, out.width, out.height);
  ctx.scale(ratio, ratio);
  drawLegend(ctx);
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  const a = document.createElement('a');
  a.href = out.toDataURL('image/png');
  a.download = `${(spec.legend.title || 'carte').replace(/[^\p{L}\p{N}]+/gu, '_')}.png`;
  window.__flowmapLastPng = a.href.length;
  document.body.append(a);
  a.click();
  a.remove();
}

const exportBtn = document.getElementById('export');
exportBtn.addEventListener('click', () => {
  if (!deck) return;
  exportPending = true;
  deck.redraw('export');
});

// ----- render ---------------------------------------------------------------------------------
// While the view moves the flows are not laid out again (SteadyFlowmapLayer) and, for a map of
// many flows, not drawn again either: the picture drawn at rest is moved as an image
// (motion.js, ``Options.raster_from``). When the view has been still for a moment (longer while
// the pointer still holds the map), ``settle`` lays the flows out for the new view (viewport
// filter, clustering level, adaptive scale, names decluttered) and deck.gl draws the map in full.
const SETTLE_MS = 200;
const SETTLE_HELD_MS = 700;
let settleTimer = null;

function rasterMotion() {
  const from = spec.options.raster_from;
  return from !== null && from !== undefined && from >= 0 && spec.flows.o.length > from;
}

function onViewStateChange({viewState: vs, interactionState}) {
  const still = viewState && ['longitude', 'latitude', 'zoom'].every((k) => vs[k] === viewState[k]);
  viewState = vs;
  if (still) {
    deck.setProps({viewState}); // the controller filling in defaults: no motion
    return;
  }
  if (!moving) startMotion();
  dragging = !!(interactionState && interactionState.isDragging);
  deck.setProps({viewState});
  showTip({}, null);
  scheduleSettle();
}

function startMotion() {
  moving = true;
  // Nothing is picked on a moved picture (a pick draws every flow again); back when settled.
  if (rasterMotion()) deck.setProps({_pickable: false});
}

function scheduleSettle() {
  clearTimeout(settleTimer);
  settleTimer = setTimeout(settle, dragging ? SETTLE_HELD_MS : SETTLE_MS);
}

function onInteractionStateChange(state) {
  const released = dragging && !state.isDragging;
  dragging = !!state.isDragging;
  if (released && moving) scheduleSettle();
}

function settle() {
  clearTimeout(settleTimer);
  moving = false;
  settled += 1;
  if (spec.options.adaptive && !spec.options.locked_max && !(spec.groups.length === 1 && spec.options.clustering)) {
    sharedMax = computeSharedMax();
  }
  if (rasterMotion()) activateCurrentViewport();
  deck.setProps({layers: layers(), _pickable: true}); // new layers: deck.gl draws the map in full
  // A layout never delivered must not leave the moved picture on screen: drawn then anyway.
  setTimeout(() => {
    if (!moving && motion.matrix !== null) deck.redraw('vue arrêtée');
  }, LAYOUT_WAIT_MS + 100);
}

// deck.gl tells its layers of the viewport when it draws them; a moved picture is not drawn, so
// they are told here, before the layout at rest: flowmap.gl then lays the flows out once, for the
// view reached (not for the view drawn last, and again at the next draw).
function activateCurrentViewport() {
  const vp = deck.getViewports()[0];
  const manager = deck.layerManager; // (not in deck.gl's typed API; present in 9.x)
  if (!vp || !manager) return;
  manager.activateViewport(vp);
  for (const l of manager.getLayers()) l.activateViewport(vp);
}

// deck.gl's draw (``_customRender``): the picture moved while the view moves, else a full draw
// (``onAfterRender`` then tells motion.js the canvases show the current view).
// The outlines (a 2D canvas) are drawn again at each frame when that is cheap: the backdrop then
// fills the edges a move uncovers; else they move with the flows.
const LIVE_OUTLINES_MS = 8;
let outlinesMs = 0; // the last outline draw that drew
function drawOrMove(reason) {
  const live = outlinesMs < LIVE_OUTLINES_MS ? [outlines.canvas] : [];
  if ((moving || layoutPending()) && !exportPending && rasterMotion() && motion.follow(viewState, live)) {
    // the places are drawn again at the current view over the moved flows (cheap), with the
    // outlines when those are drawn again too
    if (live.length) drawOutlines();
    else places.draw(deck.getViewports()[0]);
    return;
  }
  deck._drawLayers(reason);
}

function drawOutlines() {
  places.draw(deck.getViewports()[0]);
  const key = outlines.key;
  const t = performance.now();
  outlines.draw(deck.getViewports()[0]);
  if (outlines.key !== key) outlinesMs = performance.now() - t;
}

function render(args) {
  const height = args.height || 600;
  mapEl.style.height = `${height}px`;
  // Streamlit sends the same arguments again (e.g. once the frame is measured): the frame's
  // height is asked for only when it changes (each ask sets it again and lays the page out).
  if (height !== render.frameHeight) send('streamlit:setFrameHeight', {height: height + 2});
  render.frameHeight = height;
  if (args.spec.key === specKey) return; // same map on a rerun: keep the view
  spec = args.spec;
  const sameView = viewState && spec.view_key && spec.view_key === (render.lastViewKey || null);
  render.lastViewKey = spec.view_key;
  specKey = spec.key;
  prepared = prepare(spec);
  if (moving) {
    // a new map while the view moved: drawn in full at once
    clearTimeout(settleTimer);
    moving = false;
  }
  outlines.setData(spec.outlines, spec.upper_outlines);
  if (!sameView) viewState = {...spec.view, pitch: 0, bearing: 0};
  sharedMax = computeSharedMax();
  scaleState = null;
  if (!deck) {
    deck = new Deck({
      parent: mapEl,
      views: new MapView({repeat: false}),
      viewState,
      controller: {dragRotate: false, touchRotate: false},
      onViewStateChange,
      onInteractionStateChange,
      _customRender: drawOrMove,
      getCursor: ({isHovering}) => (isHovering || placeHovered ? 'pointer' : 'grab'),
      // The layers once deck.gl knows its canvas size: given at once, flowmap.gl laid the flows
      // out for a viewport of the default size, then again at the first draw (a full draw more).
      layers: [],
      onLoad: () => deck.setProps({layers: layers()}),
      // The outlines in the same frame as the WebGL layers (redrawn only when the view moved).
      onBeforeRender: drawOutlines,
      onAfterRender: () => {
        renders += 1;
        if (!motion.canvases.length) motion.attach(deck.getCanvas(), outlines.canvas);
        // a frame hidden or being removed (its tab closed) has a 0-px canvas: no viewport
        const viewport = deck.getViewports()[0];
        if (viewport) motion.drawn(viewport);
        if (exportPending) {
          exportPending = false;
          exportPng(); // right after the draw: the WebGL buffer is still readable
        }
        // For tests and the bench: when the current spec was first drawn.
        const ready = flowsReadyKey === specKey || firstGroup() < 0;
        if (ready && window.__flowmapPaintedKey !== specKey) {
          window.__flowmapPaintedKey = specKey;
          window.__flowmapPaintedAt = performance.now();
        }
      },
    });
  } else {
    deck.setProps({viewState, layers: layers(), _pickable: true});
  }
  updateLegend(null);
  window.__flowmapSpecKey = specKey;
}

// Flows laid out by the flowmap.gl layers (lines drawn), summed over the direction groups.
function drawnFlows() {
  let n = 0;
  for (const l of deck ? deck.props.layers : []) {
    if (l instanceof SteadyFlowmapLayer && l.props.visible) n += l.state?.layersData?.lineAttributes?.length || 0;
  }
  return n;
}

// Test hooks: screen position of a place, the drawn spec.
window.__flowmap = {
  project: (lon, lat) => deck.getViewports()[0].project([lon, lat]),
  place: (code) => prepared && prepared.byId.get(code),
  selected: () => [...(prepared ? prepared.selected : [])],
  labels: () => labelBoxes,
  // What the map shows now: the picture moved as an image or drawn at the current view, and the
  // flows the flowmap.gl layers hold (all of them at rest: the moved picture never stays).
  motion: () => ({
    ...motion.state(),
    view: {longitude: viewState.longitude, latitude: viewState.latitude, zoom: viewState.zoom},
    settling: moving || layoutPending(),
    raster: rasterMotion(),
    renders,
    settled,
    flows: drawnFlows(),
  }),
  // One full draw of the map, waited for (a pixel read back): its milliseconds, for the bench.
  fullDrawMs: () => {
    const gl = deck.getCanvas().getContext('webgl2');
    const px = new Uint8Array(4);
    gl.readPixels(0, 0, 1, 1, gl.RGBA, gl.UNSIGNED_BYTE, px); // what was queued before
    const t = performance.now();
    deck._drawLayers('bench');
    gl.readPixels(0, 0, 1, 1, gl.RGBA, gl.UNSIGNED_BYTE, px);
    return performance.now() - t;
  },
  // Frame counting for the bench: ``framesStart()``, then (e.g. after a scripted drag)
  // ``framesStop()`` → the browser's frames (requestAnimationFrame), deck.gl's draws and the views
  // shown (drawn or moved as an image) per second.
  framesStart: () => {
    const s = {raf: 0, draws: renders, moved: motion.moved, t0: performance.now(), on: true};
    const tick = () => {
      if (!s.on) return;
      s.raf += 1;
      requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
    window.__flowmapFrames = s;
  },
  framesStop: () => {
    const s = window.__flowmapFrames;
    s.on = false;
    const dt = (performance.now() - s.t0) / 1000;
    // views shown: frames drawn plus frames where the drawn picture was moved (motion.js)
    const views = renders - s.draws + motion.moved - s.moved;
    return {raf_fps: s.raf / dt, draw_fps: (renders - s.draws) / dt, view_fps: views / dt, seconds: dt};
  },
  // Pan and zoom for ``ms`` milliseconds as a user would; resolves to the frames per second that
  // showed a new view (drawn, or the drawn picture moved: motion.js).
  animate: (ms) =>
    new Promise((resolve) => {
      const v0 = {...viewState};
      const t0 = performance.now();
      const r0 = renders - motion.moved;
      const step = (t) => {
        const k = (t - t0) / ms;
        onViewStateChange({viewState: {...v0, longitude: v0.longitude + 1.5 * Math.sin(k * 2 * Math.PI), zoom: v0.zoom + 0.8 * Math.sin(k * Math.PI)}});
        if (t - t0 < ms) requestAnimationFrame(step);
        else resolve(((renders + motion.moved - r0) * 1000) / (t - t0));
      };
      requestAnimationFrame(step);
    }),
};

window.addEventListener('message', (event) => {
  const msg = event.data;
  if (!msg || msg.type !== 'streamlit:render') return;
  try {
    render(msg.args);
  } catch (err) {
    legendEl.textContent = `Erreur de la carte des flux : ${err && err.message}`;
    throw err;
  }
});
send('streamlit:componentReady', {apiVersion: 1});
