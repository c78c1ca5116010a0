/**
 * How a gate device looks from the cloud during an event (issue 9): in touch or not, manifest age,
 * upload backlog, clock skew — judged from its row and its latest health report, with the problems
 * spelled out. Pure (`now` is the cloud's clock). The thresholds are constants here so the page, the
 * JSON and the tests agree on what "amber" means.
 */
import type { GateReport } from '../../../shared/sync-protocol';
import type { DeviceOperations, GateOperations } from './schema';

/** A device heard from within this long is online. Gates report at least every sync interval (30 s). */
export const ONLINE_WITHIN_SECONDS = 90;
/** Beyond this without contact a device is offline (red); between the two it is late (amber). */
export const OFFLINE_AFTER_SECONDS = 300;
/** A manifest older than this means pulls are failing: changes (revocations) are not reaching the gate. */
export const MANIFEST_STALE_SECONDS = 300;
/** This many scans waiting for upload is a backlog worth looking at. */
export const BACKLOG_WARNING = 100;
/** Scans waiting while the last upload is older than this: uploads are failing. */
export const UPLOAD_STALE_SECONDS = 120;
/** A device clock further off than this places its scans badly in time (it never blocks sync). */
export const CLOCK_SKEW_WARNING_SECONDS = 300;

export const iso = (date: Date | null | undefined) => (date ? date.toISOString() : null);
const ageSeconds = (now: number, date: Date | null | undefined) =>
  date ? Math.max(0, Math.round((now - date.getTime()) / 1000)) : null;

function minutes(seconds: number): string {
  if (seconds < 90) return `${Math.round(seconds)} s`;
  if (seconds < 90 * 60) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

/** Judges one device from its row and latest report (pure: `now` is the cloud's clock). */
export function judgeDevice(
  now: number,
  eventId: string,
  device: {
    id: string;
    name: string;
    lastSeenAt: Date | null;
    lastUploadAt: Date | null;
    lastReportAt: Date | null;
    clockOffsetMs: number | null;
    report: GateReport | undefined;
  },
): DeviceOperations {
  const contacts = [device.lastSeenAt, device.lastReportAt, device.lastUploadAt]
    .filter((d): d is Date => d !== null)
    .map((d) => d.getTime());
  const lastContact = contacts.length > 0 ? new Date(Math.max(...contacts)) : null;
  const contactAge = ageSeconds(now, lastContact);
  const connection: DeviceOperations['connection'] =
    contactAge === null
      ? 'never'
      : contactAge <= ONLINE_WITHIN_SECONDS
        ? 'online'
        : contactAge <= OFFLINE_AFTER_SECONDS
          ? 'late'
          : 'offline';
  const report = device.report;
  const reportAge = ageSeconds(now, device.lastReportAt) ?? 0;
  const eventFigures = report?.events.find((e) => e.eventId === eventId);
  const manifestAge =
    eventFigures?.manifestAgeSeconds != null ? Math.round(eventFigures.manifestAgeSeconds + reportAge) : null;
  const uploadAge = ageSeconds(now, device.lastUploadAt);
  const skew = report ? report.clockOffsetMs : device.clockOffsetMs;

  const problems: string[] = [];
  let health: DeviceOperations['health'] = 'ok';
  const warn = (problem: string) => {
    problems.push(problem);
    if (health === 'ok') health = 'warning';
  };
  if (connection === 'never') {
    problems.push('never synced with the cloud');
    health = 'critical';
  } else if (connection === 'offline') {
    problems.push(`no contact for ${minutes(contactAge ?? 0)}`);
    health = 'critical';
  } else if (connection === 'late') {
    warn(`no contact for ${minutes(contactAge ?? 0)}`);
  }
  if (report && !eventFigures) warn('holds no manifest of this event');
  if (manifestAge !== null && manifestAge > MANIFEST_STALE_SECONDS)
    warn(`manifest ${minutes(manifestAge)} old`);
  const pending = report?.pendingUploads ?? null;
  if (pending !== null && pending >= BACKLOG_WARNING) warn(`${pending} scans waiting for upload`);
  else if (pending !== null && pending > 0 && (uploadAge === null || uploadAge > UPLOAD_STALE_SECONDS))
    warn(`${pending} scans waiting for upload`);
  if (skew !== null && Math.abs(skew) > CLOCK_SKEW_WARNING_SECONDS * 1000)
    warn(`clock ${minutes(Math.abs(skew) / 1000)} ${skew > 0 ? 'behind' : 'ahead'}`);

  return {
    deviceId: device.id,
    name: device.name,
    connection,
    health,
    problems,
    lastContactAt: iso(lastContact),
    lastContactAgeSeconds: contactAge,
    lastReportAt: iso(device.lastReportAt),
    manifestAgeSeconds: manifestAge,
    manifestSeq: eventFigures?.manifestSeq ?? null,
    pendingUploads: pending,
    lastUploadAt: iso(device.lastUploadAt),
    lastUploadAgeSeconds: uploadAge,
    clockSkewMs: skew,
    reportedOfflineSeconds: report?.offlineSeconds ?? null,
    agentVersion: report?.agentVersion ?? null,
    decisions: report?.decisions ?? null,
  };
}

/** A gate's health from its devices: all down is critical, any trouble is a warning. */
export function gateHealth(deviceList: DeviceOperations[]): GateOperations['health'] {
  if (deviceList.length === 0) return 'idle';
  if (deviceList.every((d) => d.health === 'critical')) return 'critical';
  return deviceList.some((d) => d.health !== 'ok') ? 'warning' : 'ok';
}
