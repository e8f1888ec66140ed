/**
 * Which controller model a link talks to: the one the options name, or (`model: auto`) the one
 * whose model id the controller reports. Option overrides (input map, display control) are applied
 * here, so actions and polls only ever see the effective model.
 */
import type { Health } from "../types.js";
import { applyOverrides, modelsOf, type NovastarOptions } from "./options.js";
import { CONTROLLER_DISPLAY, modelForId, RECEIVER_DISPLAY, type DisplayControl, type ModelSpec } from "./registers.js";

export interface ModelMismatch {
  configured: string;
  modelId: string;
}

export class ModelResolver {
  /** The model for this link (undefined: not resolved yet; null: an id in no table). */
  current: ModelSpec | null | undefined;
  /** Health to report while the model is unknown (`degraded`/`unknown_model`), else null. */
  problem: Health | null = null;
  private readonly models: Record<string, ModelSpec>;
  private warned = false;

  constructor(
    private readonly options: NovastarOptions,
    /** Called once when a configured model's ids do not include the id the controller reports. */
    private readonly onMismatch: (m: ModelMismatch) => void,
  ) {
    this.models = modelsOf(options);
  }

  /** True when the model id must be read before the model is known. */
  get needsId(): boolean {
    return this.current === undefined && this.options.model === "auto";
  }

  /** Resolves from a model id just read (hex), or from what is known when `id` is null. */
  resolve(id: string | null): ModelSpec | null {
    const o = this.options;
    if (o.model !== "auto") {
      const model = applyOverrides(this.models[o.model]!, o);
      if (id !== null && model.modelIds.length > 0 && !model.modelIds.includes(id) && !this.warned) {
        this.warned = true;
        this.onMismatch({ configured: o.model, modelId: id });
      }
      this.problem = null;
      return (this.current = model);
    }
    if (id === null) return this.current ?? null;
    const found = modelForId(this.models, id);
    this.problem = found
      ? null
      : { status: "degraded", code: "unknown_model", message: `model id ${id} is in no table: set options.model (or add it under options.models)` };
    return (this.current = found ? applyOverrides(found, o) : null);
  }

  /** How blackout/freeze are driven: forced by the options, else the model's, else receiver bytes. */
  display(model: ModelSpec | null): DisplayControl {
    if (this.options.display === "receiver") return RECEIVER_DISPLAY;
    if (this.options.display === "controller") return CONTROLLER_DISPLAY;
    return model?.display ?? RECEIVER_DISPLAY;
  }

  /** Forget the model (the link dropped: another controller may answer when it is back). */
  forget(): void {
    this.current = undefined;
  }
}
