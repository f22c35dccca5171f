import fs from "node:fs";
import path from "node:path";
import { buildSchema, findBreakingChanges } from "graphql";
import { emittedSdl } from "../src/schema-sdl";

const committed = path.join(__dirname, "..", "schema", "schema.graphql");
const contract = path.join(__dirname, "..", "..", "shared", "spec", "schema.graphql");

/**
 * Contract parts that later issues add (orders & licenses: #3, devices: #4). Each issue deletes its
 * lines here; when the list is empty the emitted schema holds the whole contract.
 */
const NOT_YET_BUILT = [
  // #3 orders and licenses
  /^(LicenseKind|LicenseStatus|ComplianceStatus|OrderStatus|AlertType|AlertSeverity|License|LicenseFilter|LicensePool|Order|OrderLine|Alert|LicenseConnection|LicenseEdge|OrderConnection|OrderEdge|UpsertProductInput|PlaceOrderInput|OrderLineInput|AssignOrderInput|TransferLicensesInput|TransferLicensesPayload|ConvertClassicLicenseInput|SetLicenseTagsInput) was removed\.$/,
  /^SmartAccount\.(orders|licensePools|licenses|alerts) was removed\.$/,
  /^VirtualAccount\.(licenses|licensePools|alerts) was removed\.$/,
  /^Mutation\.(upsertProduct|placeOrder|assignOrder|transferLicenses|convertClassicLicense|setLicenseTags) was removed\.$/,
  // #4 devices
  /^(ProductInstance|LicenseUsage|RegistrationToken|ProductInstanceConnection|ProductInstanceEdge|RegistrationTokenConnection|RegistrationTokenEdge|CreateRegistrationTokenInput|CreateRegistrationTokenPayload|RegisterProductInstanceInput|RegisterProductInstancePayload|ReportUsageInput|UsageInput|TransferProductInstanceInput) was removed\.$/,
  /^SmartAccount\.productInstances was removed\.$/,
  /^VirtualAccount\.(productInstances|registrationTokens) was removed\.$/,
  /^Mutation\.(createRegistrationToken|revokeRegistrationToken|registerProductInstance|reportUsage|transferProductInstance|removeProductInstance) was removed\.$/,
];

describe("the emitted schema", () => {
  it("is committed up to date in schema/schema.graphql (run `npm run schema:emit`)", () => {
    expect(fs.readFileSync(committed, "utf8")).toBe(emittedSdl());
  });

  it("keeps the contract for every type this slice builds (findBreakingChanges)", () => {
    const breaking = findBreakingChanges(buildSchema(fs.readFileSync(contract, "utf8")), buildSchema(emittedSdl()))
      .map((change) => change.description)
      .filter((description) => !NOT_YET_BUILT.some((pending) => pending.test(description)));
    expect(breaking).toEqual([]);
  });
});
