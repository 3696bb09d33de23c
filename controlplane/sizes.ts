/** The instance table of DESIGN.md: compute units and connection limits per size (contract). */
export const SIZES = {
  dev: { cu: 0.25, maxConnections: 25 },
  small: { cu: 1, maxConnections: 100 },
  medium: { cu: 2, maxConnections: 200 },
  large: { cu: 4, maxConnections: 400 },
  xlarge: { cu: 8, maxConnections: 800 },
} as const;

export type Size = keyof typeof SIZES;
export const SIZE_NAMES = Object.keys(SIZES) as [Size, ...Size[]];
export const DEFAULT_SIZE: Size = "dev";

export const TIERS = ["serverless", "dedicated"] as const;
export type Tier = (typeof TIERS)[number];
export const DEFAULT_TIER: Tier = "serverless";

/** Seconds without sessions before a serverless compute is suspended (scheduler default too). */
export const DEFAULT_AUTO_SUSPEND_SECONDS = 300;
