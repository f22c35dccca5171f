import { LicenseModel, Product } from "../../entities";
import { scopeOf } from "../auth/mutations";
import { Clock } from "../clock";
import { Actor, viewerOf } from "../actor";
import { ForbiddenError, InputError } from "../errors";
import { EventService } from "../events/event.service";
import * as input from "../input";
import { productBySku } from "./sku";

const SKU = /^[A-Za-z0-9][A-Za-z0-9._\-/+]{0,63}$/;

/** The catalog (R2): maintained by integrations holding the `catalog:write` scope. */
export class ProductService {
  constructor(
    private readonly clock: Clock,
    private readonly events: EventService,
  ) {}

  async upsert(context: Actor, raw: { sku: string; name: string; model: LicenseModel; smartEnabled: boolean }): Promise<Product> {
    const viewer = viewerOf(context);
    if (!context.access.hasScope(scopeOf("upsertProduct")))
      throw new ForbiddenError("Maintaining the catalog needs a token with the catalog:write scope.");
    const sku = typeof raw.sku === "string" ? raw.sku.trim().toUpperCase() : "";
    if (!SKU.test(sku)) throw new InputError("input.sku", "input.sku must be 1–64 characters of A-Z 0-9 . _ - / +.");
    // Catalog names are the commerce system's product descriptions, up to the column's 200 characters.
    const name = input.name(raw.name, "input.name", 200);
    return context.db.transaction(async (manager) => {
      const now = this.clock.now();
      // By the SKU's key: `isr4k-sec` updates `ISR4K-SEC`, and the seeded mixed-case SKUs keep their spelling.
      const existing = await context.db.forUpdate(productBySku(manager, sku)).getOne();
      // The entity keeps its sku_key on every save.
      const product = existing ?? manager.create(Product, { sku, createdAt: now });
      Object.assign(product, { name, model: raw.model, smartEnabled: raw.smartEnabled, updatedAt: now });
      const saved = await manager.save(product);
      await this.events.record(manager, {
        type: existing ? "PRODUCT_UPDATED" : "PRODUCT_CREATED",
        message: `${viewer.email} ${existing ? "updated" : "added"} ${sku} (${name}, ${raw.model}${raw.smartEnabled ? ", smart-enabled" : ""})`,
        actorId: viewer.id,
        smartAccountId: null,
      });
      return saved;
    });
  }
}
