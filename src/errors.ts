import { GraphQLError } from "graphql";

/**
 * Domain errors (R3). Each carries a stable `extensions.code`; the Apollo error formatter lets these
 * through and masks everything else as INTERNAL_SERVER_ERROR.
 */
export abstract class DomainError extends GraphQLError {
  abstract readonly code: string;
  constructor(message: string, extensions: Record<string, unknown> = {}, code: string) {
    super(message, { extensions: { code, ...extensions } });
  }
}

export class UnauthenticatedError extends DomainError {
  readonly code = "UNAUTHENTICATED";
  constructor(message = "Authentication required: send a valid bearer token.", extensions: Record<string, unknown> = {}) {
    super(message, { ...extensions, http: { status: 401 } }, "UNAUTHENTICATED");
  }
}

export class ForbiddenError extends DomainError {
  readonly code = "FORBIDDEN";
  constructor(message = "You are not allowed to do this.") {
    super(message, {}, "FORBIDDEN");
  }
}

export class NotFoundError extends DomainError {
  readonly code = "NOT_FOUND";
  constructor(what: string) {
    super(`${what} was not found.`, {}, "NOT_FOUND");
  }
}

/** A well-formed request that the object's current state does not allow. */
export class ConflictError extends DomainError {
  readonly code = "CONFLICT";
  constructor(message: string) {
    super(message, {}, "CONFLICT");
  }
}

/** Invalid input; `field` names the offending input path, e.g. `input.name` or `lines[2].quantity`. */
export class InputError extends DomainError {
  readonly code = "BAD_USER_INPUT";
  constructor(
    readonly field: string | undefined,
    message: string,
  ) {
    super(message, field ? { field } : {}, "BAD_USER_INPUT");
  }
}

export const isDomainError = (error: unknown): error is DomainError => error instanceof DomainError;

/** R33: the database is unreachable or not answering; the client may retry (HTTP 503). */
export class ServiceUnavailableError extends DomainError {
  readonly code = "SERVICE_UNAVAILABLE";
  constructor(message = "The service is temporarily unavailable; try again shortly.") {
    super(message, { http: { status: 503 } }, "SERVICE_UNAVAILABLE");
  }
}
