// xephang rating faces: the four levels of satisfaction as inline SVG faces with their
// labels, shared by the rating tablet and the phone page. 4 is the best, 1 the worst.
export const LEVELS = [
  { score: 4, vi: 'Rất hài lòng', en: 'Very satisfied', color: '#14a05a', mouth: 'M20 40 Q32 54 44 40 Z' },
  { score: 3, vi: 'Hài lòng', en: 'Satisfied', color: '#7cbf2a', mouth: 'M21 40 Q32 49 43 40' },
  { score: 2, vi: 'Bình thường', en: 'Neutral', color: '#f0a800', mouth: 'M21 43 L43 43' },
  { score: 1, vi: 'Không hài lòng', en: 'Dissatisfied', color: '#d62b2b', mouth: 'M21 46 Q32 36 43 46' },
];

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
