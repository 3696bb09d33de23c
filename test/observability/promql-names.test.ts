import { describe, expect, it } from "vitest";
import { metricNamesIn, sampleNames } from "./promql-names.js";

describe("metric names in PromQL", () => {
  it("finds selected metrics, not functions, labels, groupings or ranges", () => {
    expect(metricNamesIn('histogram_quantile(0.95, sum by (le) (rate(orochi_cold_start_duration_seconds_bucket{job="orochi-scheduler"}[$__rate_interval])))')).toEqual([
      "orochi_cold_start_duration_seconds_bucket",
    ]);
    expect(metricNamesIn("max by (instance) (orochi_proxy_client_connections / orochi_proxy_client_connections_limit)")).toEqual([
      "orochi_proxy_client_connections",
      "orochi_proxy_client_connections_limit",
    ]);
    expect(metricNamesIn('topk(10, sum by (endpoint) (rate(orochi_compute_units_consumed{endpoint!="other"}[5m]))) and on (instance) up == 0')).toEqual([
      "orochi_compute_units_consumed",
      "up",
    ]);
    expect(metricNamesIn('orochi:proxy_connection_errors:ratio_rate5m > 0.05 and on (instance) sum(rate(x_total{a=~"b|c"}[1m])) > 1e3')).toEqual([
      "orochi:proxy_connection_errors:ratio_rate5m",
      "x_total",
    ]);
  });

  it("reads sample names from an exposition", () => {
    const text = "# HELP a_total x\n# TYPE a_total counter\na_total 1\nh_bucket{le=\"1\"} 2\nh_count 2\nup{job=\"x\"} 1\n";
    expect([...sampleNames(text)]).toEqual(["a_total", "h_bucket", "h_count", "up"]);
  });
});
