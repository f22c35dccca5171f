import { registerEnumType } from "type-graphql";
import {
  AccessRequestStatus,
  LicenseKind,
  LicenseModel,
  OrderStatus,
  Role,
  SmartAccountStatus,
  SmartAccountType,
} from "../../entities";

registerEnumType(SmartAccountType, { name: "SmartAccountType" });
registerEnumType(SmartAccountStatus, { name: "SmartAccountStatus" });
registerEnumType(Role, {
  name: "Role",
  description:
    "Smart Account roles cover the whole account; Virtual Account roles cover the assigned Virtual Account and its descendants.",
});
registerEnumType(AccessRequestStatus, { name: "AccessRequestStatus" });
registerEnumType(LicenseModel, { name: "LicenseModel" });
registerEnumType(LicenseKind, {
  name: "LicenseKind",
  valuesConfig: {
    SMART: { description: "Pooled, usable by any compatible product instance of the Virtual Account." },
    CLASSIC: { description: "Classic, PAK-based license; convertible to SMART where the product is smart-enabled." },
  },
});
registerEnumType(OrderStatus, {
  name: "OrderStatus",
  valuesConfig: { PENDING: { description: "Booked against a Smart Account that is not active yet: no licenses delivered." } },
});

import { LicenseStatus } from "../../src/licenses/expiry";

registerEnumType(LicenseStatus, { name: "LicenseStatus" });

export enum ComplianceStatus {
  AUTHORIZED = "AUTHORIZED",
  OUT_OF_COMPLIANCE = "OUT_OF_COMPLIANCE",
}
registerEnumType(ComplianceStatus, { name: "ComplianceStatus" });

export enum AlertType {
  INSUFFICIENT_LICENSES = "INSUFFICIENT_LICENSES",
  LICENSES_EXPIRING = "LICENSES_EXPIRING",
  LICENSES_EXPIRED = "LICENSES_EXPIRED",
  PRODUCT_INSTANCE_NOT_REPORTING = "PRODUCT_INSTANCE_NOT_REPORTING",
}
registerEnumType(AlertType, { name: "AlertType" });

export enum AlertSeverity {
  MAJOR = "MAJOR",
  MINOR = "MINOR",
}
registerEnumType(AlertSeverity, { name: "AlertSeverity" });
