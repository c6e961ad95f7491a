/** Prefix of the temporary names an interrupted cross-disk staging copy may leave in transit. */
export const TRANSIT_TEMP_PREFIX = '.rdl-stage-';

export function isTransitTempName(name: string): boolean {
  return name.startsWith(TRANSIT_TEMP_PREFIX);
}
