import { License } from "../../entities";

export enum LicenseStatus {
  ACTIVE = "ACTIVE",
  EXPIRED = "EXPIRED",
}

/** R22: a lot whose end has passed is EXPIRED and counts for nothing. */
export const licenseStatus = (license: Pick<License, "endsAt">, now: Date): LicenseStatus =>
  license.endsAt !== null && license.endsAt.getTime() <= now.getTime() ? LicenseStatus.EXPIRED : LicenseStatus.ACTIVE;

export const DAY_MS = 86_400_000;

/** R28's horizon for expiring and recently expired lots. */
export const ALERT_WINDOW_DAYS = 90;
