// xephang: a ticket's class in both languages, as the kiosk shows and prints it (issue 14
// item 4): "Ưu tiên: Người cao tuổi / Priority: Elderly", or for a checked-in appointment
// "Lịch hẹn 09:30 / Appointment 09:30" (from the ticket's `slot_start`).
import { model, fmtTime } from '/assets/client.js';
import { APPOINTMENT, priorityLabel } from '/assets/labels.js';

/** [vi, en] of the ticket's priority class, or null for a normal ticket. */
export function ticketClass(t) {
  const [vi, en] = priorityLabel(t?.priority, model.priorities) || [];
  if (!vi) return null;
  if (t.priority === APPOINTMENT) {
    const at = t.slot_start ? ` ${fmtTime(t.slot_start)}` : '';
    return [`${vi}${at}`, `${en}${at}`];
  }
  return [`Ưu tiên: ${vi}`, `Priority: ${en}`];
}
