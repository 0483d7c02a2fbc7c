/**
 * The data-residency configurations a project can be created with, in the API's order. The tools
 * validate against this list and the sandbox enforces it, so both read the one copy here.
 */
export const RESIDENCIES = [
  'GLOBAL',
  'US_STORAGE_PROCESSING',
  'EU_STORAGE_PROCESSING',
  'JP_STORAGE',
  'JP_STORAGE_PROCESSING',
  'KR_STORAGE',
  'CA_STORAGE',
  'SG_STORAGE',
  'IN_STORAGE',
  'IN_STORAGE_PROCESSING',
  'AU_STORAGE',
  'AU_STORAGE_PROCESSING',
  'GB_STORAGE',
  'AE_STORAGE',
  'AE_STORAGE_PROCESSING',
] as const;

export type Residency = (typeof RESIDENCIES)[number];
