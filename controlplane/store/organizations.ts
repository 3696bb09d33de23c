import type { Queryable } from "./db.js";

export const PLANS = ["free", "pro", "enterprise"] as const;
export type Plan = (typeof PLANS)[number];

export interface Organization {
  id: string;
  name: string;
  plan: Plan;
  isOperator: boolean;
  createdAt: Date;
}

interface OrganizationRow {
  id: string;
  name: string;
  plan: Plan;
  is_operator: boolean;
  created_at: Date;
}

const toOrganization = (r: OrganizationRow): Organization => ({ id: r.id, name: r.name, plan: r.plan, isOperator: r.is_operator, createdAt: r.created_at });

export async function insertOrganization(db: Queryable, org: Omit<Organization, "createdAt">): Promise<Organization> {
  const { rows } = await db.query<OrganizationRow>(
    "INSERT INTO organizations (id, name, plan, is_operator) VALUES ($1, $2, $3, $4) RETURNING *",
    [org.id, org.name, org.plan, org.isOperator],
  );
  return toOrganization(rows[0]!);
}

export async function getOrganization(db: Queryable, id: string): Promise<Organization | null> {
  const { rows } = await db.query<OrganizationRow>("SELECT * FROM organizations WHERE id = $1", [id]);
  return rows[0] ? toOrganization(rows[0]) : null;
}

export async function getOperatorOrganization(db: Queryable): Promise<Organization | null> {
  const { rows } = await db.query<OrganizationRow>("SELECT * FROM organizations WHERE is_operator");
  return rows[0] ? toOrganization(rows[0]) : null;
}
