import type { z } from "zod";
import { ApiError } from "../errors.js";

/** Parse with a zod schema; the first problem becomes a stable error code and a readable message. */
export function validate<T>(schema: z.ZodType<T> | undefined, value: unknown, where: "body" | "query" | "path"): T {
  if (!schema) return undefined as T;
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const path = [where, ...issue.path.map(String)].join(".");
  if (issue.code === "unrecognized_keys") {
    throw new ApiError("unknown_field", `${path}: unknown field${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((k) => `"${k}"`).join(", ")}`);
  }
  throw new ApiError("invalid_request", `${path}: ${issue.message}`);
}
