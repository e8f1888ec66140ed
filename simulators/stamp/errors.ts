/** The shared simulator error log (simulators/error-log.ts), under the name this simulator imports. */
export { ErrorLog } from "../error-log.js";
