export { freePort } from "../../common/free-port.js";
