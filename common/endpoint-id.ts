/**
 * Endpoint ids (DESIGN.md contract): "ep-" followed by lowercase letters, digits and "-", at most
 * 63 characters, e.g. ep-quiet-river-a1b2c3d4. Defined once here for every component.
 */
export const ENDPOINT_ID_MAX_LENGTH = 63;
export const ENDPOINT_ID_PATTERN = /^ep-[a-z0-9-]{1,60}$/;

export function isValidEndpointId(id: string): boolean {
  return ENDPOINT_ID_PATTERN.test(id);
}
