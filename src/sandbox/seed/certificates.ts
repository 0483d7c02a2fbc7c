import type { Rng } from '../rng.js';
import type { CertificateRecord, ProjectRecord, SandboxState } from '../state.js';

const DAY = 86_400;
const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

interface SeedCertificate {
  name: string;
  /** Days before the anchor that it was uploaded. */
  uploaded: number;
  /** Days after the anchor that it expires (negative: already expired). */
  expires: number;
  org: boolean;
  /** Names of the projects it is active in. */
  projects: string[];
}

/**
 * Uploaded oldest first. The first is active org-wide and expires within two weeks, with its
 * replacement already uploaded and active beside it; one is retired (inactive everywhere, so it
 * can be deleted); one is still active in the archived project, which blocks its deletion.
 */
const CERTIFICATES: SeedCertificate[] = [
  { name: 'Edge gateway mTLS 2024', uploaded: 355, expires: 9, org: true, projects: [] },
  { name: 'Partner SFTP bridge (retired)', uploaded: 300, expires: 65, org: false, projects: [] },
  { name: 'Legacy Search crawler client', uploaded: 280, expires: 85, org: false, projects: ['Legacy Search'] },
  { name: 'Billing webhook client', uploaded: 160, expires: 570, org: false, projects: ['Billing'] },
  { name: 'Support ingress mTLS', uploaded: 95, expires: 635, org: false, projects: ['Support Assistant', 'Atlas'] },
  { name: 'EU data plane client', uploaded: 48, expires: 682, org: false, projects: ['Data Platform'] },
  { name: 'Edge gateway mTLS 2025', uploaded: 12, expires: 718, org: true, projects: [] },
];

/** PEM-shaped text: a DER-like base64 body in 64-character lines. Not a parseable certificate. */
function pem(rng: Rng): string {
  const length = rng.int(16, 22) * 64 + rng.int(4, 60);
  let body = 'MII' + String.fromCharCode(0x43 + rng.int(0, 3)) + 'zCC';
  while (body.length < length) body += BASE64[rng.int(0, BASE64.length - 1)];
  const padding = rng.int(0, 2);
  body = body.slice(0, body.length - padding) + '='.repeat(padding);
  const lines = body.match(/.{1,64}/g) ?? [];
  return ['-----BEGIN CERTIFICATE-----', ...lines, '-----END CERTIFICATE-----'].join('\n');
}

export function seedCertificates(state: SandboxState, rng: Rng): void {
  const byName = new Map<string, ProjectRecord>();
  for (const project of state.projects.values()) byName.set(project.name, project);

  for (const seed of CERTIFICATES) {
    const created = state.anchor - seed.uploaded * DAY + rng.int(9 * 3_600, 18 * 3_600);
    const validAt = created - rng.int(1, 5) * DAY;
    const cert: CertificateRecord = {
      id: `cert_${rng.token(24)}`,
      name: seed.name,
      created_at: created,
      content: pem(rng),
      valid_at: validAt,
      expires_at: state.anchor + seed.expires * DAY + rng.int(0, DAY - 1),
      active_in_org: seed.org,
      active_in_projects: new Set(
        seed.projects.map((name) => byName.get(name)?.id).filter((id): id is string => id !== undefined),
      ),
    };
    state.certificates.set(cert.id, cert);
  }
}
