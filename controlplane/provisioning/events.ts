import { EventEmitter } from "node:events";
import type { EndpointChanged } from "../internal-api.js";

/**
 * Where proxies' caches hear that an endpoint changed. In-process now; the router issue
 * publishes the same payload over Redis.
 */
export class EndpointEvents extends EventEmitter<{ "endpoint-changed": [EndpointChanged] }> {
  changed(event: EndpointChanged): void {
    this.emit("endpoint-changed", event);
  }
}
