// xephang rating faces: the four levels of satisfaction as inline SVG faces, with their
// labels (from labels.js), shared by the rating tablet, the phone page and the dashboard.
// 4 is the best, 1 the worst.
import { RATING_LEVELS } from '/assets/labels.js';

const DRAWN = {
  4: { color: '#14a05a', mouth: 'M20 40 Q32 54 44 40 Z' },
  3: { color: '#7cbf2a', mouth: 'M21 40 Q32 49 43 40' },
  2: { color: '#f0a800', mouth: 'M21 43 L43 43' },
  1: { color: '#d62b2b', mouth: 'M21 46 Q32 36 43 46' },
};
export const LEVELS = RATING_LEVELS.map((l) => ({ ...l, ...DRAWN[l.score] }));

export function face(level) {
  const fill = level.mouth.endsWith('Z') ? '#7a1d1d' : 'none';
  return `<svg viewBox="0 0 64 64" aria-hidden="true" class="face">
    <circle cx="32" cy="32" r="30" fill="${level.color}"/>
    <circle cx="32" cy="32" r="27" fill="#fff" fill-opacity="0.12"/>
    <ellipse cx="23" cy="25" rx="3.6" ry="4.6" fill="#1a1a1a"/>
    <ellipse cx="41" cy="25" rx="3.6" ry="4.6" fill="#1a1a1a"/>
    <path d="${level.mouth}" fill="${fill}" stroke="#1a1a1a" stroke-width="3.6" stroke-linecap="round" stroke-linejoin="round"/>
  </svg>`;
}
