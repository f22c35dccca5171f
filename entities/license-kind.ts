export enum LicenseKind {
  /** Pooled, usable by any compatible product instance of the Virtual Account. */
  SMART = "SMART",
  /** PAK-based; convertible to SMART where the product is smart-enabled (R20). */
  CLASSIC = "CLASSIC",
}
