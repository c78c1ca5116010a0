/**
 * Who is asking: the authenticated user as services see it (no HTTP types). Roles are exactly those of
 * SPEC section 3.
 */

export const ROLES = ['customer', 'venue_staff', 'admin', 'ops'] as const;
export type Role = (typeof ROLES)[number];

/** The caller of a service: user id (`sub`), tenant (`tid`) and role from a verified JWT. */
export interface Actor {
  userId: string;
  tenantId: string;
  role: Role;
}
