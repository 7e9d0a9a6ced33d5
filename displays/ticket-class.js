// xephang: a ticket's class in both languages, as the kiosk shows and prints it (issue 14
// item 4): "Ưu tiên: Người cao tuổi / Priority: Elderly", or for a checked-in appointment
// "Lịch hẹn 09:30 / Appointment 09:30" (from the ticket's `slot_start`).
import { model, fmtTime } from '/assets/client.js';

/** [vi, en] of the ticket's priority class, or null for a normal ticket. */
export function ticketClass(t) {
  if (!t?.priority) return null;
  if (t.priority === 'appointment') {
    const at = t.slot_start ? ` ${fmtTime(t.slot_start)}` : '';
    return [`Lịch hẹn${at}`, `Appointment${at}`];
  }
  const p = model.priorities.find((x) => x.id === t.priority);
  const vi = p ? p.name : t.priority;
  const en = p ? (p.name_en || p.name) : t.priority;
  return [`Ưu tiên: ${vi}`, `Priority: ${en}`];
}
