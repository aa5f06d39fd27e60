// The world map of world-atlas (Natural Earth, 1:110m, TopoJSON), shipped
// with the app (/web/countries-110m.json), and Debian's iso-codes for the
// ISO 3166 codes: decoded and projected here, with no library.
let cached = null;

export async function loadWorld() {
  if (!cached) {
    cached = Promise.all([
      fetch('/web/countries-110m.json').then((r) => { if (!r.ok) throw new Error('the world map is not built into this node'); return r.json(); }),
      fetch('/web/iso_3166-1.json').then((r) => r.json()),
    ]).then(([topology, iso]) => build(topology, iso)).catch((e) => { cached = null; throw e; });
  }
  return cached;
}

function build(topology, iso) {
  const [sx, sy] = topology.transform.scale, [tx, ty] = topology.transform.translate;
  const arcs = topology.arcs.map((arc) => {
    let x = 0, y = 0;
    return arc.map(([dx, dy]) => { x += dx; y += dy; return [x * sx + tx, y * sy + ty]; });
  });
  // A ring that crosses the antimeridian (Russia, Fiji) is unwrapped: each
  // point's longitude stays within 180° of the one before, so no edge runs
  // across the whole map.
  const ring = (indexes) => {
    const points = [];
    for (const i of indexes) {
      const arc = i < 0 ? arcs[~i].slice().reverse() : arcs[i];
      points.push(...(points.length ? arc.slice(1) : arc));
    }
    for (let k = 1; k < points.length; k++) {
      const jump = points[k][0] - points[k - 1][0];
      if (Math.abs(jump) > 180) points[k] = [points[k][0] - 360 * Math.round(jump / 360), points[k][1]];
    }
    return points;
  };
  const byNumeric = new Map(iso['3166-1'].map((c) => [c.numeric, c]));
  const countries = new Map();
  for (const g of topology.objects.countries.geometries) {
    const code = byNumeric.get(g.id);
    if (!code || !g.arcs) continue;
    const polygons = g.type === 'Polygon' ? [g.arcs.map(ring)] : g.arcs.map((p) => p.map(ring));
    countries.set(code.alpha_3, { alpha3: code.alpha_3, name: code.name, polygons, centroid: centroid(polygons) });
  }
  const names = new Map(iso['3166-1'].map((c) => [c.alpha_3, c.common_name || c.name]));
  return { countries, names };
}

// The area-weighted centroid of the largest outer ring: inside the
// mainland, not pulled out to sea by islands.
function centroid(polygons) {
  let best = null, bestArea = 0;
  for (const polygon of polygons) {
    const outer = polygon[0];
    let a = 0, cx = 0, cy = 0;
    for (let i = 0, j = outer.length - 1; i < outer.length; j = i++) {
      const f = outer[j][0] * outer[i][1] - outer[i][0] * outer[j][1];
      a += f; cx += (outer[j][0] + outer[i][0]) * f; cy += (outer[j][1] + outer[i][1]) * f;
    }
    if (Math.abs(a) > bestArea) { bestArea = Math.abs(a); best = [cx / (3 * a), cy / (3 * a)]; }
  }
  return best;
}

// An equirectangular projection around the given places, scaled so that
// they fit `width` × `height` with a margin.
export function fit(points, width, height) {
  const lons = points.map((p) => p[0]), lats = points.map((p) => p[1]);
  let [x0, x1, y0, y1] = [Math.min(...lons), Math.max(...lons), Math.min(...lats), Math.max(...lats)];
  const pad = Math.max(6, (x1 - x0) * 0.18, (y1 - y0) * 0.18);
  x0 -= pad; x1 += pad; y0 -= pad; y1 += pad;
  const k = Math.cos(((y0 + y1) / 2) * Math.PI / 180);
  const scale = Math.min(width / ((x1 - x0) * k), height / (y1 - y0));
  const cx = (x0 + x1) / 2, cy = (y0 + y1) / 2;
  const project = ([lon, lat]) => [width / 2 + (lon - cx) * k * scale, height / 2 - (lat - cy) * scale];
  return { project, bounds: [cx - width / 2 / (k * scale), cx + width / 2 / (k * scale), cy - height / 2 / scale, cy + height / 2 / scale] };
}

export function pathOf(polygons, project, bounds) {
  let d = '';
  for (const polygon of polygons) {
    const outer = polygon[0];
    const lons = outer.map((p) => p[0]), lats = outer.map((p) => p[1]);
    if (Math.max(...lons) < bounds[0] - 5 || Math.min(...lons) > bounds[1] + 5 || Math.max(...lats) < bounds[2] - 5 || Math.min(...lats) > bounds[3] + 5) continue;
    for (const ring of polygon) {
      d += ring.map((p, i) => { const [x, y] = project(p); return `${i ? 'L' : 'M'}${x.toFixed(1)},${y.toFixed(1)}`; }).join('') + 'Z';
    }
  }
  return d;
}
