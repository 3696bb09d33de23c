import type { Scope } from "../store/api-keys.js";
import type { Plan } from "../store/organizations.js";

/** Who is calling: the API key that authenticated the request. */
export interface Principal {
  keyId: string;
  organizationId: string;
  plan: Plan;
  scope: Scope;
  /** The operator organisation may create organisations. */
  isOperator: boolean;
}
