/**
 * Calls on the site's conference codecs (every device of kind codec) as an agent module: the
 * `{codec}-call-quality` and `{codec}-call-dropped` alarms and the `call.dropped` event
 * (agent/calls/watch.ts), and the optional test call as a readiness item (agent/calls/test-call.ts).
 * It hears the codecs' states and `call.ended` events through the context's listeners (removed in
 * stop) and only watches: a codec's health is its driver's, and nothing here waits on a codec
 * except the test call, which a readiness check asks for.
 */
import type { ActionTable } from "../../drivers/types.js";
import { DeviceError } from "../../drivers/types.js";
import { CallWatch } from "../calls/watch.js";
import { TestCalls } from "../calls/test-call.js";
import type { AgentModule, ModuleContext, ModuleReadiness } from "../module.js";

/** The user the test call's dial and hang-up run as (in the command audit and the logs). */
const TEST_CALL_USER = "readiness";

export class CodecModule implements AgentModule {
  readonly name = "codec";
  readonly events = ["call.dropped"] as const;
  private watch: CallWatch | undefined;
  private tests: TestCalls | undefined;
  private unlisten: (() => void)[] = [];

  /** Consulted only once started (agent/module.ts); before, it plans nothing. */
  readonly readiness: ModuleReadiness = {
    plan: (room) => this.tests?.plan(room) ?? [],
    evaluate: async (room, deadline) => {
      if (!this.tests) throw new DeviceError("not_connected", "the codec module is not running");
      return this.tests.evaluate(room, deadline);
    },
  };

  actions(): ActionTable {
    return {};
  }

  async start(ctx: ModuleContext): Promise<void> {
    const tests = new TestCalls({
      config: ctx.config,
      clock: ctx.clock,
      logger: ctx.logger,
      read: (d, ms) => ctx.devices.read(d, ms),
      stateOf: (d) => ctx.devices.state(d),
      run: (d, action, args, ms) => ctx.devices.runWithin(d, action, args, ms, TEST_CALL_USER),
    });
    const watch = new CallWatch({
      config: ctx.config,
      clock: ctx.clock,
      logger: ctx.logger,
      alarms: ctx.alarms,
      event: (type, data, device) => ctx.publishEvent(type, data, device),
      isTestCall: (d, call) => tests.isTestCall(d, call),
    });
    this.tests = tests;
    this.watch = watch;
    this.unlisten = [
      ctx.onDeviceState((device, state) => {
        watch.onState(device, state);
        tests.onState(device, state);
      }),
      ctx.onDeviceEvent((device, e) => {
        tests.onEvent(device, e);
        watch.onEvent(device, e);
      }),
    ];
  }

  async stop(): Promise<void> {
    for (const off of this.unlisten) off();
    this.unlisten = [];
    this.watch?.stop();
    // A test call in progress is hung up before the devices stop (modules stop first).
    await this.tests?.stop();
    this.watch = undefined;
    this.tests = undefined;
  }
}
