import { InitialSchema1763900000000 } from "./1763900000000-initial-schema";
import { Catalog1763990000000 } from "./1763990000000-catalog";
import { PoolIndex1764000000000 } from "./1764000000000-pool-index";
import { RowScopeIndexes1764100000000 } from "./1764100000000-row-scope-indexes";
import { SkuKey1764200000000 } from "./1764200000000-sku-key";
import { LicensePools1764300000000 } from "./1764300000000-license-pools";
import { SilentDeviceIndex1764400000000 } from "./1764400000000-silent-device-index";
import { Notifications1764500000000 } from "./1764500000000-notifications";

/** Every migration, in order. */
export const MIGRATIONS = [
  InitialSchema1763900000000,
  Catalog1763990000000,
  PoolIndex1764000000000,
  RowScopeIndexes1764100000000,
  SkuKey1764200000000,
  LicensePools1764300000000,
  SilentDeviceIndex1764400000000,
  Notifications1764500000000,
];
