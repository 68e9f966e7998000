import type { RequestFailure } from "../http/types.js";

/** What the JD hints name: the keys' and region's settings, and the values that may be shown. */
export interface JdHintSettings {
  readonly accessKey: string;
  readonly region: string;
  /** Where the region was set: `region of provider jd in the fleet file` or `JDC_REGION`. */
  readonly regionSource: string;
  readonly endpoint: string;
}

/**
 * What to check when JD Cloud's API gateway refuses a request (docs B2: APIGW_KEY_NOT_EXITST, APIGW_SIGN_RESULT_NOT_SAME,
 * APIGW_LACK_PARAMS, UNAUTHENTICATED, HTTP_FORBIDDEN) or cannot be reached. The secret key's value is never shown.
 */
export function jdHint(s: JdHintSettings): (failure: RequestFailure) => string | undefined {
  const ak = `JDC_ACCESS_KEY "${s.accessKey}"`;
  return (failure) => {
    switch (failure.cloudCode) {
      case "APIGW_KEY_NOT_EXITST":
        return `JD Cloud knows no such access key: check the access key (${ak})`;
      case "APIGW_SIGN_RESULT_NOT_SAME":
        return `the request's signature does not match: check the secret key (JDC_SECRET_KEY: the secret of ${ak}) and the region (${s.regionSource} "${s.region}", part of what is signed)`;
      case "APIGW_NONCE_CONFLICT":
        return undefined;
      default:
        break;
    }
    if (failure.status === 401)
      return `JD Cloud refused the credentials: check the access key (${ak}), the secret key (JDC_SECRET_KEY) and this machine's clock (requests are dated)`;
    if (failure.status === 403)
      return `the account of access key ${s.accessKey} may not do this in region ${s.region}: check its permissions`;
    if (failure.networkCode !== undefined)
      return `JD Cloud at ${new URL(failure.url).origin} did not answer: check the provider's endpoint ("${s.endpoint}")`;
    return undefined;
  };
}
