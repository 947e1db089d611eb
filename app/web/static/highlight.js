// Cut a message into pieces at every span boundary, so overlapping evidence can be marked in place.

import { codePoints } from "./common.js";

/**
 * Split text into consecutive pieces; each piece lists the spans that cover it.
 *
 * spans: [{start, end, ...}] with offsets in Unicode code points (as the API returns them).
 * Spans outside the text or empty are ignored. Returns [{text, refs}] where refs are indices
 * into spans, and the pieces' texts joined give back the text exactly.
 *
 *   segments("🔥 bị khóa", [{start: 2, end: 8}])
 *   -> [{text: "🔥 ", refs: []}, {text: "bị khóa", refs: [0]}]
 */
export function segments(text, spans) {
  const cps = codePoints(text);
  const n = cps.length;
  const valid = [];
  spans.forEach((s, i) => {
    if (Number.isInteger(s.start) && Number.isInteger(s.end) && s.start >= 0 && s.start < s.end && s.end <= n) {
      valid.push({ start: s.start, end: s.end, i });
    }
  });
  const cuts = new Set([0, n]);
  for (const s of valid) {
    cuts.add(s.start);
    cuts.add(s.end);
  }
  const points = [...cuts].sort((a, b) => a - b);
  const out = [];
  for (let k = 0; k + 1 < points.length; k++) {
    const a = points[k];
    const b = points[k + 1];
    const refs = valid.filter((s) => s.start <= a && s.end >= b).map((s) => s.i);
    out.push({ text: cps.slice(a, b).join(""), refs });
  }
  return out;
}
