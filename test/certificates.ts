import type { AdminClient } from '../src/client/index.js';

/** A PEM certificate block the sandbox accepts, different for each seed (real base64, 64 per line). */
export function pem(seed: string | number): string {
  const body = Buffer.from(`test certificate ${seed} `.repeat(12)).toString('base64');
  return ['-----BEGIN CERTIFICATE-----', ...(body.match(/.{1,64}/g) ?? []), '-----END CERTIFICATE-----'].join('\n');
}

/** Creates a certificate named `name` and activates it for the organization; returns its ID. */
export async function newActiveCertificate(api: AdminClient, name: string): Promise<string> {
  const { id } = await api.post<{ id: string }>('/organization/certificates', { name, certificate: pem(name) });
  await api.post('/organization/certificates/activate', { certificate_ids: [id] });
  return id;
}
